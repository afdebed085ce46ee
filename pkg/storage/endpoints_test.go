package storage_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/storage"
)

// recorder is an HTTP listener in front of the local OSS server that notes
// each request ("METHOD ?query-names") before passing it on, Host header
// untouched, so the V4 signature made for the listener's address verifies.
type recorder struct {
	URL  string
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q []string
		for k := range r.URL.Query() {
			if !strings.HasPrefix(strings.ToLower(k), "x-oss-") {
				q = append(q, k)
			}
		}
		slices.Sort(q)
		rec.mu.Lock()
		rec.seen = append(rec.seen, strings.TrimSpace(r.Method+" "+strings.Join(q, "&")))
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.seen
	r.seen = nil
	return s
}

// TestInternalEndpoint: with InternalEndpoint set, every call the function
// makes itself (PutObject, HeadObject, multipart initiate / list / complete /
// abort) goes to the internal endpoint, and every URL or form handed to a
// client (presigned PUT, part, GET, PostObject) names the public endpoint,
// which is where the client's upload then arrives. Both listeners front
// one local OSS server, which verifies every signature.
func TestInternalEndpoint(t *testing.T) {
	ossURL := server(t)
	public, internal := newRecorder(t, ossURL), newRecorder(t, ossURL)
	c, err := storage.New(storage.Config{Bucket: bucket, Region: region,
		Endpoint: public.URL, PathStyle: true, InternalEndpoint: internal.URL, InternalPathStyle: true,
		Credentials: storage.Credentials(owner, ownSec, nil), ConnectTimeout: time.Second, RequestTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body := []byte("direct upload through the internal endpoint")
	sum := md5.Sum(body)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	expect := func(step string, r *recorder, want ...string) {
		t.Helper()
		if got := r.take(); !slices.Equal(got, want) {
			name := "public"
			if r == internal {
				name = "internal"
			}
			t.Errorf("%s: the %s endpoint got %q, want %q", step, name, got, want)
		}
	}

	_, err = c.Put(ctx, storage.Upload{Key: "exampledir/direct.txt", ContentType: "text/plain",
		ContentMD5: base64.StdEncoding.EncodeToString(sum[:])}, body)
	must("put", err)
	expect("Put", internal, "PUT")
	expect("Put", public)

	_, err = c.Head(ctx, "exampledir/direct.txt")
	must("head", err)
	expect("Head", internal, "HEAD")
	expect("Head", public)

	p, err := c.PresignPut(ctx, storage.Upload{Key: "exampledir/presigned.txt", ContentType: "text/plain"}, time.Minute)
	must("presign put", err)
	if !strings.HasPrefix(p.URL, public.URL+"/") {
		t.Errorf("presigned PUT URL %s is not on the public endpoint %s", p.URL, public.URL)
	}
	if code := upload(t, p, []byte("through the public endpoint")); code != http.StatusOK {
		t.Fatalf("presigned PUT: %d", code)
	}
	expect("PresignPut + the client's PUT", public, "PUT")
	expect("PresignPut", internal)

	g, err := c.PresignGet(ctx, storage.Download{Key: "exampledir/presigned.txt"}, time.Minute)
	must("presign get", err)
	if !strings.HasPrefix(g.URL, public.URL+"/") {
		t.Errorf("presigned GET URL %s is not on the public endpoint", g.URL)
	}
	f, err := c.PresignPost(ctx, storage.PostUpload{Key: "exampledir/form.txt", ContentType: "text/plain", MaxBytes: 1 << 10}, time.Minute)
	must("presign post", err)
	if !strings.HasPrefix(f.URL, public.URL+"/") {
		t.Errorf("PostObject form URL %s is not on the public endpoint", f.URL)
	}
	expect("PresignGet, PresignPost", public)
	expect("PresignGet, PresignPost", internal)

	id, err := c.InitiateMultipart(ctx, storage.Upload{Key: "exampledir/multi.bin", ContentType: "application/octet-stream"})
	must("initiate", err)
	expect("InitiateMultipart", internal, "POST encoding-type&uploads")
	part := []byte("one part")
	pp, err := c.PresignPart(ctx, "exampledir/multi.bin", id, 1, int64(len(part)), time.Now().Add(time.Minute))
	must("presign part", err)
	if !strings.HasPrefix(pp.URL, public.URL+"/") {
		t.Errorf("part URL %s is not on the public endpoint", pp.URL)
	}
	req, _ := http.NewRequest(pp.Method, pp.URL, bytes.NewReader(part))
	for k, v := range pp.Headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	must("upload part", err)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("part upload: %d", res.StatusCode)
	}
	expect("PresignPart + the client's part PUT", public, "PUT partNumber&uploadId")
	parts, err := c.ListParts(ctx, "exampledir/multi.bin", id)
	must("list parts", err)
	expect("ListParts", internal, "GET encoding-type&uploadId")
	_, _, err = c.CompleteMultipart(ctx, "exampledir/multi.bin", id, parts, false)
	must("complete", err)
	expect("CompleteMultipart", internal, "POST encoding-type&uploadId")

	id2, err := c.InitiateMultipart(ctx, storage.Upload{Key: "exampledir/aborted.bin", ContentType: "application/octet-stream"})
	must("initiate", err)
	must("abort", c.AbortMultipart(ctx, "exampledir/aborted.bin", id2))
	expect("InitiateMultipart, AbortMultipart", internal, "POST encoding-type&uploads", "DELETE uploadId")
	expect("every server-side call", public)
}

// TestInternalEndpointDefault: without InternalEndpoint, one endpoint
// serves both, as before.
func TestInternalEndpointDefault(t *testing.T) {
	ossURL := server(t)
	only := newRecorder(t, ossURL)
	c := client(t, only.URL, storage.Credentials(owner, ownSec, nil))
	body := []byte("x")
	sum := md5.Sum(body)
	if _, err := c.Put(context.Background(), storage.Upload{Key: "exampledir/x", ContentType: "text/plain",
		ContentMD5: base64.StdEncoding.EncodeToString(sum[:])}, body); err != nil {
		t.Fatal(err)
	}
	if got := only.take(); !slices.Equal(got, []string{"PUT"}) {
		t.Fatalf("got %q", got)
	}
}
