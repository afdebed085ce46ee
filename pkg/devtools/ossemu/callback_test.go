package ossemu

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/osscallback"
)

// appServer is an application's callback endpoint: it verifies each
// callback with osscallback (trusting the emulator's key URL only) and
// answers with what it received.
type appServer struct {
	*httptest.Server
	calls   atomic.Int64
	last    atomic.Value // map[string]any: the decoded callback body
	status  int          // answer status (200)
	reply   string       // answer body ("" = echo as JSON)
	block   bool         // wait until the client gives up
	lastErr atomic.Value
}

func newAppServer(t *testing.T, emu *Server) *appServer {
	a := &appServer{status: 200}
	v := &osscallback.Verifier{Trusted: []string{emu.CallbackKeyURL()}}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if err := v.Verify(r.Context(), r, body); err != nil {
			a.lastErr.Store(err.Error())
			http.Error(w, "forged", http.StatusForbidden)
			return
		}
		if a.block {
			<-r.Context().Done()
			return
		}
		var m map[string]any
		if r.Header.Get("Content-Type") == "application/json" {
			if err := json.Unmarshal(body, &m); err != nil {
				a.lastErr.Store("body is not JSON: " + string(body))
			}
		} else {
			m = map[string]any{"form": string(body)}
		}
		a.last.Store(m)
		reply := a.reply
		if reply == "" {
			b, _ := json.Marshal(map[string]any{"received": m})
			reply = string(b)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *appServer) body(t *testing.T) map[string]any {
	t.Helper()
	if e := a.lastErr.Load(); e != nil {
		t.Fatalf("application saw: %v", e)
	}
	m, _ := a.last.Load().(map[string]any)
	if m == nil {
		t.Fatal("no callback received")
	}
	return m
}

const cbTemplate = `{"bucket":${bucket},"object":${object},"etag":${etag},"size":${size},"mimeType":${mimeType},"crc64":${crc64},"op":${operation},"sub":${x:sub}}`

func callbackParams(url, bodyType string) (string, string) {
	cb, _ := json.Marshal(map[string]string{"callbackUrl": url, "callbackBody": cbTemplate, "callbackBodyType": bodyType})
	vars, _ := json.Marshal(map[string]string{"x:sub": "user-1"})
	return base64.StdEncoding.EncodeToString(cb), base64.StdEncoding.EncodeToString(vars)
}

func TestCallbackPutObjectSDK(t *testing.T) {
	env := newEnv(t, nil)
	app := newAppServer(t, env.s)
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	cb, vars := callbackParams(app.URL+"/v1/callbacks/oss", "application/json")
	res, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("cb/a b.txt"),
		ContentType: oss.Ptr("text/plain"), Body: strings.NewReader("hello"), Callback: &cb, CallbackVar: &vars})
	if err != nil {
		t.Fatal(err)
	}
	got := app.body(t)
	etag := strings.Trim(oss.ToString(res.ETag), `"`)
	want := map[string]any{"bucket": testBucket, "object": "cb/a b.txt", "etag": etag, "size": float64(5),
		"mimeType": "text/plain", "op": "PutObject", "sub": "user-1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("callback %s = %#v, want %#v", k, got[k], v)
		}
	}
	if got["crc64"] != oss.ToString(res.HashCRC64) {
		t.Errorf("crc64 %v, header %v", got["crc64"], oss.ToString(res.HashCRC64))
	}
	// OSS hands the application's JSON to the uploader.
	if rec, _ := res.CallbackResult["received"].(map[string]any); rec["object"] != "cb/a b.txt" {
		t.Fatalf("CallbackResult %v", res.CallbackResult)
	}
	if app.calls.Load() != 1 {
		t.Fatalf("%d callbacks", app.calls.Load())
	}
}

func TestCallbackFormURLEncoded(t *testing.T) {
	env := newEnv(t, nil)
	app := newAppServer(t, env.s)
	cb, _ := json.Marshal(map[string]string{"callbackUrl": app.URL + "/cb?a=1", "callbackBody": "object=${object}&size=${size}&v=${x:v}"})
	vars, _ := json.Marshal(map[string]string{"x:v": "a&b=c"})
	_, err := env.client(ownerAK, ownerSK).PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket),
		Key: oss.Ptr("cb/x&y.txt"), Body: strings.NewReader("abc"),
		Callback: oss.Ptr(base64.StdEncoding.EncodeToString(cb)), CallbackVar: oss.Ptr(base64.StdEncoding.EncodeToString(vars))})
	if err != nil {
		t.Fatal(err)
	}
	if got := app.body(t)["form"]; got != "object=cb%2Fx%26y.txt&size=3&v=a%26b%3Dc" {
		t.Fatalf("form body %q", got)
	}
}

// TestCallbackFailures: the object is stored whatever the callback does;
// a failed callback is one attempt, then 203 CallbackFailed.
func TestCallbackFailures(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.CallbackTimeout = 300 * time.Millisecond })
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close()

	for _, tc := range []struct {
		name string
		app  func(*appServer)
		url  func(*appServer) string
	}{
		{"server down", nil, func(*appServer) string { return deadURL + "/cb" }},
		{"500", func(a *appServer) { a.status = 500 }, nil},
		{"not JSON", func(a *appServer) { a.reply = "ok" }, nil},
		{"timeout", func(a *appServer) { a.block = true }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newAppServer(t, env.s)
			if tc.app != nil {
				tc.app(app)
			}
			u := app.URL + "/cb"
			if tc.url != nil {
				u = tc.url(app)
			}
			cb, vars := callbackParams(u, "application/json")
			key := "cb/fail-" + strings.ReplaceAll(tc.name, " ", "-")
			_, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key),
				Body: strings.NewReader("kept"), Callback: &cb, CallbackVar: &vars})
			wantServiceError(t, err, 203, "CallbackFailed", "0007-00000203")
			got, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
			if err != nil {
				t.Fatalf("object not kept: %v", err)
			}
			b, _ := io.ReadAll(got.Body)
			got.Body.Close()
			if string(b) != "kept" {
				t.Fatalf("object %q", b)
			}
			if tc.url == nil && app.calls.Load() != 1 {
				t.Fatalf("callback attempted %d times, want 1 (no retry)", app.calls.Load())
			}
		})
	}
}

func TestCallbackInvalidParamStoresNothing(t *testing.T) {
	env := newEnv(t, nil)
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for name, tc := range map[string][2]string{
		"not base64":    {"%%%", ""},
		"not JSON":      {b64("nope"), ""},
		"no url":        {b64(`{"callbackBody":"a=${object}"}`), ""},
		"no body":       {b64(`{"callbackUrl":"http://127.0.0.1:1/"}`), ""},
		"bad body type": {b64(`{"callbackUrl":"http://127.0.0.1:1/","callbackBody":"a","callbackBodyType":"text/plain"}`), ""},
		"upper var":     {b64(`{"callbackUrl":"http://127.0.0.1:1/","callbackBody":"a"}`), b64(`{"x:Sub":"a"}`)},
		"var without x": {b64(`{"callbackUrl":"http://127.0.0.1:1/","callbackBody":"a"}`), b64(`{"sub":"a"}`)},
		"vars alone":    {"", b64(`{"x:a":"b"}`)},
	} {
		req := &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("cb/invalid"), Body: strings.NewReader("x")}
		if tc[0] != "" {
			req.Callback = oss.Ptr(tc[0])
		}
		if tc[1] != "" {
			req.CallbackVar = oss.Ptr(tc[1])
		}
		_, err := c.PutObject(ctx, req)
		if se := wantServiceErrorCode(t, err); se == nil || se.StatusCode != 400 || se.Code != "InvalidArgument" {
			t.Errorf("%s: %v", name, err)
		}
		if _, ok := env.s.store.head(testBucket, "cb/invalid"); ok {
			t.Fatalf("%s: object stored", name)
		}
	}
}

func wantServiceErrorCode(t *testing.T, err error) *oss.ServiceError {
	se, _ := err.(*oss.OperationError)
	if se == nil {
		return nil
	}
	var s *oss.ServiceError
	if e, ok := se.Unwrap().(*oss.ServiceError); ok {
		s = e
	}
	return s
}

func TestCallbackMultipartSDK(t *testing.T) {
	env := newEnv(t, nil)
	app := newAppServer(t, env.s)
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	key := "cb/multi.bin"
	init, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	part1 := bytes.Repeat([]byte("a"), minPartSize)
	var parts []oss.UploadPart
	for i, p := range [][]byte{part1, []byte("tail")} {
		r, err := c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(testBucket), Key: &key, UploadId: init.UploadId,
			PartNumber: int32(i + 1), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, oss.UploadPart{PartNumber: int32(i + 1), ETag: r.ETag})
	}
	cb, vars := callbackParams(app.URL+"/cb", "application/json")
	res, err := c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: &key,
		UploadId: init.UploadId, CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: parts}, Callback: &cb, CallbackVar: &vars})
	if err != nil {
		t.Fatal(err)
	}
	got := app.body(t)
	if got["size"] != float64(len(part1)+4) || got["op"] != "CompleteMultipartUpload" || got["object"] != key {
		t.Fatalf("callback body %v", got)
	}
	if rec, _ := res.CallbackResult["received"].(map[string]any); rec["object"] != key {
		t.Fatalf("CallbackResult %v", res.CallbackResult)
	}
}

// TestCallbackPresignedPut: the callback headers are signed, so changing
// them breaks the signature; sent unchanged they run the callback.
func TestCallbackPresignedPut(t *testing.T) {
	env := newEnv(t, nil)
	app := newAppServer(t, env.s)
	c := env.client(ownerAK, ownerSK)
	cb, vars := callbackParams(app.URL+"/cb", "application/json")
	ps, err := c.Presign(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("cb/presigned.txt"),
		Callback: &cb, CallbackVar: &vars})
	if err != nil {
		t.Fatal(err)
	}
	hdr := map[string]string{"x-oss-callback": cb, "x-oss-callback-var": vars}
	other, _ := callbackParams("http://127.0.0.1:1/elsewhere", "application/json")
	if r := do(t, ps.Method, ps.URL, map[string]string{"x-oss-callback": other, "x-oss-callback-var": vars}, "x"); r.status != 403 {
		t.Fatalf("changed callback header: %d %s", r.status, r.body)
	}
	if r := do(t, ps.Method, ps.URL, nil, "x"); r.status != 403 {
		t.Fatalf("callback headers left out: %d %s", r.status, r.body)
	}
	if app.calls.Load() != 0 {
		t.Fatal("a refused upload called back")
	}
	r := do(t, ps.Method, ps.URL, hdr, "hello")
	if r.status != 200 || !strings.Contains(r.body, `"received"`) || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("presigned PUT with callback: %d %s", r.status, r.body)
	}
}

// TestCallbackPostObject: a form's callback field and x: fields.
func TestCallbackPostObject(t *testing.T) {
	env := newEnv(t, nil)
	app := newAppServer(t, env.s)
	now := env.clock.Now().UTC()
	date := now.Format("20060102")
	cred := ownerAK + "/" + date + "/" + testRegion + "/oss/aliyun_v4_request"
	cb, _ := callbackParams(app.URL+"/cb", "application/json")
	policy, _ := json.Marshal(map[string]any{"expiration": now.Add(time.Hour).Format("2006-01-02T15:04:05.000Z"), "conditions": []any{
		map[string]string{"bucket": testBucket},
		map[string]string{"x-oss-signature-version": Algorithm},
		map[string]string{"x-oss-credential": cred},
		map[string]string{"x-oss-date": now.Format(TimeFormat)},
		map[string]string{"callback": cb},
		[]any{"eq", "$x:sub", "form-user"},
	}})
	p64 := base64.StdEncoding.EncodeToString(policy)
	fields := map[string]string{"key": "cb/form.txt", "policy": p64, "x-oss-signature-version": Algorithm,
		"x-oss-credential": cred, "x-oss-date": now.Format(TimeFormat), "callback": cb, "x:sub": "form-user",
		"x-oss-signature": Signature(SigningKey(ownerSK, date, testRegion, "oss"), p64)}
	post := func(fields map[string]string) response {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for k, v := range fields {
			w.WriteField(k, v)
		}
		f, _ := w.CreateFormFile("file", "form.txt")
		f.Write([]byte("form body"))
		w.Close()
		req, _ := http.NewRequest("POST", env.endpoint+"/"+testBucket, &b)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return doReq(t, req)
	}
	changed := map[string]string{}
	for k, v := range fields {
		changed[k] = v
	}
	changed["x:sub"] = "someone-else"
	if r := post(changed); r.status != 403 {
		t.Fatalf("form with a changed callback variable: %d %s", r.status, r.body)
	}
	r := post(fields)
	if r.status != 200 {
		t.Fatalf("form with callback: %d %s", r.status, r.body)
	}
	if got := app.body(t); got["sub"] != "form-user" || got["op"] != "PostObject" || got["object"] != "cb/form.txt" {
		t.Fatalf("callback body %v", got)
	}
}

func TestCallbackKeyServed(t *testing.T) {
	env := newEnv(t, nil)
	u := env.s.CallbackKeyURL()
	if u != env.endpoint+CallbackKeyPath {
		t.Fatalf("key URL %q", u)
	}
	r := do(t, "GET", u, nil, "")
	if r.status != 200 {
		t.Fatalf("GET key: %d", r.status)
	}
	if _, err := osscallback.ParsePublicKey([]byte(r.body)); err != nil {
		t.Fatal(err)
	}
}

func TestTaggingSDK(t *testing.T) {
	env := newEnv(t, nil)
	ctx := context.Background()
	owner := env.client(ownerAK, ownerSK)
	key := "uploads/t.txt"
	if _, err := owner.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: &key, Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	tagging := &oss.Tagging{TagSet: &oss.TagSet{Tags: []oss.Tag{{Key: oss.Ptr("ossbroker-verdict"), Value: oss.Ptr("rejected")}}}}
	if _, err := owner.PutObjectTagging(ctx, &oss.PutObjectTaggingRequest{Bucket: oss.Ptr(testBucket), Key: &key, Tagging: tagging}); err != nil {
		t.Fatal(err)
	}
	got, err := owner.GetObjectTagging(ctx, &oss.GetObjectTaggingRequest{Bucket: oss.Ptr(testBucket), Key: &key})
	if err != nil || len(got.Tags) != 1 || oss.ToString(got.Tags[0].Value) != "rejected" {
		t.Fatalf("tags %v, %v", got, err)
	}
	// The RAM user may only PutObject: tagging is refused by RAM.
	ram := env.client(ramAK, ramSK)
	_, err = ram.PutObjectTagging(ctx, &oss.PutObjectTaggingRequest{Bucket: oss.Ptr(testBucket), Key: &key, Tagging: tagging})
	wantServiceError(t, err, 403, "AccessDenied", "")
	_, err = owner.PutObjectTagging(ctx, &oss.PutObjectTaggingRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("uploads/none"), Tagging: tagging})
	wantServiceError(t, err, 404, "NoSuchKey", "")
}
