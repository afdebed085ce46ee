package ossemu

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// signedRequest signs a header-auth request with the pure functions (whose
// output the vector tests pin down).
func signedRequest(t testing.TB, method, url string, body io.Reader, hdr map[string]string, ak, sk string, now time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	ts := now.UTC().Format(TimeFormat)
	r.Header.Set("x-oss-date", ts)
	r.Header.Set("x-oss-content-sha256", UnsignedPayload)
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	cr := CanonicalRequest(method, bucket, key, r.URL.Query(), r.Header, nil)
	scope := Scope(ts[:8], testRegion, Product)
	sig := Signature(SigningKey(sk, ts[:8], testRegion, Product), StringToSign(ts, scope, cr))
	r.Header.Set("Authorization", Algorithm+" Credential="+ak+"/"+scope+",Signature="+sig)
	return r
}

// TestCutOffUploadLeavesNothing sends headers promising 1000 bytes, then
// 10 bytes, then closes the connection.
func TestCutOffUploadLeavesNothing(t *testing.T) {
	for _, store := range []string{"memory", "folder"} {
		t.Run(store, func(t *testing.T) {
			var dir string
			if store == "folder" {
				dir = t.TempDir()
			}
			env := newEnv(t, func(c *Config) { c.Dir = dir })
			r := signedRequest(t, "PUT", env.endpoint+"/"+testBucket+"/cut/off.bin", nil, nil, ownerAK, ownerSK, time.Now())
			conn, err := net.Dial("tcp", strings.TrimPrefix(env.endpoint, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			w := bufio.NewWriter(conn)
			fmt.Fprintf(w, "PUT /%s/cut/off.bin HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n", testBucket, r.URL.Host)
			for k, vs := range r.Header {
				fmt.Fprintf(w, "%s: %s\r\n", k, vs[0])
			}
			w.WriteString("\r\n0123456789")
			w.Flush()
			conn.(*net.TCPConn).CloseWrite()
			// The server answers (or just closes) once it sees EOF.
			io.Copy(io.Discard, conn)
			conn.Close()
			// The handler finishes after the connection read fails; wait for
			// it through a request on the same server (no sleeps).
			waitIdle(t, env)
			_, err = env.client(ownerAK, ownerSK).HeadObject(context.Background(), &oss.HeadObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("cut/off.bin")})
			wantServiceError(t, err, 404, "NoSuchKey", "")
			if n := len(env.s.store.listing(testBucket, "")); n != 0 {
				t.Fatalf("%d objects listed", n)
			}
			assertNoDebris(t, dir)
			if dir != "" {
				files := 0
				filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						files++
					}
					return nil
				})
				if files != 0 {
					t.Fatalf("%d files under Dir", files)
				}
			}
		})
	}
}

// waitIdle returns once no handler is running.
func waitIdle(t *testing.T, env *testEnv) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for env.s.inflight.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("handler still running")
		}
		runtime.Gosched()
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestOversizeBodyLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(t, func(c *Config) { c.Dir = dir; c.MaxObjectSize = 10 })
	c := env.client(ownerAK, ownerSK)
	_, err := c.PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("big"), Body: strings.NewReader("01234567890")})
	wantServiceError(t, err, 400, "EntityTooLarge", "")
	// Chunked body (no Content-Length) over the cap.
	r := signedRequest(t, "PUT", env.endpoint+"/"+testBucket+"/big", io.MultiReader(strings.NewReader("0123456789"), strings.NewReader("01")), nil, ownerAK, ownerSK, time.Now())
	r.ContentLength = -1
	if resp := doReq(t, r); resp.status != 400 || parseErr(t, resp.body).Code != "EntityTooLarge" {
		t.Fatalf("chunked oversize: %d %s", resp.status, resp.body)
	}
	if _, err := c.PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("fits"), Body: strings.NewReader("0123456789")}); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.s.store.head(testBucket, "big"); ok {
		t.Fatal("oversize object stored")
	}
	assertNoDebris(t, dir)
}

func TestFolderStoreSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	env := newEnv(t, func(c *Config) { c.Dir = dir })
	c := env.client(ownerAK, ownerSK)
	keys := map[string]string{
		"plain.txt":                       "hello",
		"../../etc/passwd":                "hostile",
		"..\\..\\win.ini":                 "hostile2",
		"dir/./../x":                      "dots",
		"ünïcödé/файл/文件.txt":             "unicode",
		strings.Repeat("k", 1023):         "long",
		"nul\x00byte":                     "nul",
		"a/" + strings.Repeat("../", 300): "deep",
	}
	for k, v := range keys {
		_, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(k), Body: strings.NewReader(v),
			ContentType: oss.Ptr("text/x-test"), Metadata: map[string]string{"origin": "restart"}, CacheControl: oss.Ptr("max-age=5")})
		if err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	// Nothing outside Dir; inside, only hex-named files.
	filepath.WalkDir(filepath.Dir(dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Errorf("file outside Dir: %s", p)
		}
		return nil
	})
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			stem := strings.SplitN(d.Name(), ".", 2)[0]
			if len(stem) != 64 || strings.Trim(stem, "0123456789abcdef") != "" {
				t.Errorf("file not named by key hash: %s", p)
			}
		}
		return nil
	})
	assertNoDebris(t, dir)
	env.s.Close()

	// A new server on the same folder serves the same bytes and metadata.
	env2 := newEnv(t, func(c *Config) { c.Dir = dir })
	c2 := env2.client(ownerAK, ownerSK)
	for k, v := range keys {
		get, err := c2.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(k)})
		if err != nil {
			t.Fatalf("get %q after restart: %v", k, err)
		}
		b, _ := io.ReadAll(get.Body)
		get.Body.Close()
		if string(b) != v || *get.ContentType != "text/x-test" || get.Metadata["origin"] != "restart" ||
			get.Headers.Get("Cache-Control") != "max-age=5" || *get.HashCRC64 == "" {
			t.Fatalf("after restart %q: %q %+v", k, b, get)
		}
	}
	res, err := c2.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket), MaxKeys: 1000})
	if err != nil || len(res.Contents) != len(keys) {
		t.Fatalf("list after restart: %v %d", err, len(res.Contents))
	}
}

func TestInvalidObjectNames(t *testing.T) {
	env := newEnv(t, nil)
	now := time.Now()
	for _, c := range []struct {
		path, ec string
	}{
		{"/" + testBucket + "//leading-slash", "0016-00000005"},
		{"/" + testBucket + "/%5Cbackslash", "0016-00000005"},
		{"/" + testBucket + "/" + strings.Repeat("k", 1024), "0016-00000003"},
		{"/" + testBucket + "/bad%FFutf8", "0016-00000002"},
	} {
		r := signedRequest(t, "PUT", env.endpoint+c.path, strings.NewReader("x"), nil, ownerAK, ownerSK, now)
		resp := doReq(t, r)
		if e := parseErr(t, resp.body); resp.status != 400 || e.Code != "InvalidObjectName" || e.EC != c.ec {
			t.Errorf("%s: %d %s %s", c.path[:min(len(c.path), 40)], resp.status, e.Code, e.EC)
		}
	}
	if n := len(env.s.store.listing(testBucket, "")); n != 0 {
		t.Fatalf("%d objects stored", n)
	}
}

// TestConcurrentForbidOverwrite: of many simultaneous forbid-overwrite
// puts on one key exactly one succeeds.
func TestConcurrentForbidOverwrite(t *testing.T) {
	for _, store := range []string{"memory", "folder"} {
		t.Run(store, func(t *testing.T) {
			var dir string
			if store == "folder" {
				dir = t.TempDir()
			}
			env := newEnv(t, func(c *Config) { c.Dir = dir })
			c := env.client(ownerAK, ownerSK)
			var ok, exists atomic.Int32
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("race"),
						Body: strings.NewReader(fmt.Sprint("writer ", i)), ForbidOverwrite: oss.Ptr("true")})
					if err == nil {
						ok.Add(1)
					} else if se, isSE := err.(*oss.OperationError); isSE && strings.Contains(se.Error(), "FileAlreadyExists") {
						exists.Add(1)
					} else {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if ok.Load() != 1 || exists.Load() != 15 {
				t.Fatalf("%d succeeded, %d refused", ok.Load(), exists.Load())
			}
			assertNoDebris(t, dir)
		})
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no region":      {Buckets: []string{"bucket"}},
		"no buckets":     {Region: "cn-hangzhou"},
		"bad bucket":     {Region: "cn-hangzhou", Buckets: []string{"../x"}},
		"duplicate user": {Region: "cn-hangzhou", Buckets: []string{"bucket"}, Users: []User{{AccessKeyID: "a", AccessKeySecret: "b"}, {AccessKeyID: "a", AccessKeySecret: "c"}}},
		"empty secret":   {Region: "cn-hangzhou", Buckets: []string{"bucket"}, Users: []User{{AccessKeyID: "a"}}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}
