package broker_test

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/golang-jwt/jwt/v5"
)

func TestPresignThenUpload(t *testing.T) {
	e := newEnv(t, options{})
	tok := token(t, "alice", nil)
	res := e.presign(tok, map[string]any{"key": "exampledir/a/hello world+ü.txt", "contentType": "text/plain",
		"metadata": map[string]string{"Owner": "alice"}})
	if res.status != 200 {
		t.Fatalf("presign: %d %s", res.status, res.body)
	}
	var p presigned
	res.json(t, &p)
	if p.Method != "PUT" || p.Bucket != bucket || p.Key != "exampledir/a/hello world+ü.txt" {
		t.Fatalf("presign response: %+v", p)
	}
	want := map[string]string{"Content-Type": "text/plain", "x-oss-forbid-overwrite": "true", "x-oss-meta-owner": "alice"}
	for k, v := range want {
		if p.Headers[k] != v {
			t.Errorf("headers[%q] = %q, want %q (all: %v)", k, p.Headers[k], v, p.Headers)
		}
	}
	if len(p.Headers) != len(want) {
		t.Errorf("headers = %v, want exactly %v", p.Headers, want)
	}
	if d := time.Until(p.ExpiresAt); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("expiresAt %v is not ~15 minutes away", p.ExpiresAt)
	}
	if !strings.Contains(p.URL, "x-oss-signature-version=OSS4-HMAC-SHA256") || !strings.HasPrefix(p.URL, e.ossURL+"/"+bucket+"/") {
		t.Fatalf("url is not a V4 presigned path-style URL: %s", p.URL)
	}

	payload := []byte("hello through a presigned URL")
	up := do(t, p.Method, p.URL, p.Headers, payload)
	if up.status != 200 {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	got, meta, err := e.get(p.Key)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("stored %q, %v; want %q", got, err, payload)
	}
	if oss.ToString(meta.ContentType) != "text/plain" || meta.Metadata["Owner"] != "alice" && meta.Metadata["owner"] != "alice" {
		t.Errorf("stored content type %q metadata %v", oss.ToString(meta.ContentType), meta.Metadata)
	}

	// The same URL again: the signed forbid-overwrite makes OSS refuse.
	again := do(t, p.Method, p.URL, p.Headers, []byte("other bytes"))
	if again.status != 409 || !bytes.Contains(again.body, []byte("FileAlreadyExists")) {
		t.Fatalf("second upload: %d %s, want 409 FileAlreadyExists", again.status, again.body)
	}
	// Another Content-Type than the signed one breaks the signature.
	h := map[string]string{"Content-Type": "text/html", "x-oss-forbid-overwrite": "true", "x-oss-meta-owner": "alice"}
	if r := do(t, "PUT", p.URL, h, payload); r.status != 403 || !bytes.Contains(r.body, []byte("SignatureDoesNotMatch")) {
		t.Fatalf("changed content type: %d %s", r.status, r.body)
	}
	if got, _, _ := e.get(p.Key); !bytes.Equal(got, payload) {
		t.Fatalf("object changed to %q", got)
	}
}

func TestPresignPinsLengthAndDigest(t *testing.T) {
	e := newEnv(t, options{})
	payload := []byte("exactly these bytes")
	sum := md5.Sum(payload)
	digest := base64.StdEncoding.EncodeToString(sum[:])
	res := e.presign(token(t, "alice", nil), map[string]any{"key": "exampledir/pinned.bin",
		"contentLength": len(payload), "contentMD5": digest, "overwrite": true, "expiresIn": 60})
	var p presigned
	res.json(t, &p)
	// The pinned length is a field of its own, never a header to set
	// (browsers refuse to set Content-Length).
	_, inHeaders := p.Headers["Content-Length"]
	if res.status != 200 || inHeaders || p.ContentLength == nil || *p.ContentLength != int64(len(payload)) || p.Headers["Content-Md5"] != digest || p.Headers["x-oss-forbid-overwrite"] != "" {
		t.Fatalf("presign: %d %s", res.status, res.body)
	}
	if d := time.Until(p.ExpiresAt); d > 61*time.Second || d < 50*time.Second {
		t.Errorf("expiresIn 60 gave expiresAt in %v", d)
	}
	// A body of another length: OSS refuses, the length is signed.
	short := do(t, "PUT", p.URL, map[string]string{"Content-Type": "application/octet-stream", "Content-MD5": digest}, payload[:5])
	if short.status < 400 {
		t.Fatalf("short body accepted: %d", short.status)
	}
	ok := do(t, "PUT", p.URL, map[string]string{"Content-Type": "application/octet-stream", "Content-MD5": digest}, payload)
	if ok.status != 200 {
		t.Fatalf("upload: %d %s", ok.status, ok.body)
	}
}

func TestPresignFolderPicksName(t *testing.T) {
	e := newEnv(t, options{})
	tok := token(t, "alice", nil)
	seen := map[string]bool{}
	for range 3 {
		res := e.presign(tok, map[string]any{"key": "exampledir/photos/", "contentType": "image/png"})
		var p presigned
		res.json(t, &p)
		if res.status != 200 || !strings.HasPrefix(p.Key, "exampledir/photos/") || !strings.HasSuffix(p.Key, ".png") || seen[p.Key] {
			t.Fatalf("folder presign: %d key %q", res.status, p.Key)
		}
		seen[p.Key] = true
	}
}

func TestDirectUpload(t *testing.T) {
	e := newEnv(t, options{})
	tok := token(t, "alice", nil)
	payload := make([]byte, 256<<10)
	rand.Read(payload)
	auth := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/octet-stream"}

	res := do(t, "PUT", e.url+"/v1/objects/exampledir/bin/data%20file.bin", auth, payload)
	if res.status != 201 {
		t.Fatalf("direct upload: %d %s", res.status, res.body)
	}
	var obj struct {
		Bucket, Key, ETag, ContentType string
		Size                           int64
	}
	res.json(t, &obj)
	sum := md5.Sum(payload)
	if obj.Key != "exampledir/bin/data file.bin" || obj.Size != int64(len(payload)) ||
		obj.ETag != strings.ToUpper(hex.EncodeToString(sum[:])) || obj.Bucket != bucket {
		t.Fatalf("response %+v", obj)
	}
	if got, _, err := e.get(obj.Key); err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("stored bytes differ (err %v)", err)
	}

	// No overwrite by default; ?overwrite=true replaces.
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/bin/data%20file.bin", auth, []byte("x")); r.status != 409 || r.errorCode(t) != "object_exists" {
		t.Fatalf("overwrite without asking: %d %s", r.status, r.body)
	}
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/bin/data%20file.bin?overwrite=true", auth, []byte("x")); r.status != 201 {
		t.Fatalf("overwrite=true: %d %s", r.status, r.body)
	}
	if got, _, _ := e.get(obj.Key); string(got) != "x" {
		t.Fatalf("after overwrite: %q", got)
	}

	// POST to a folder: the broker picks the name.
	r := do(t, "POST", e.url+"/v1/objects/exampledir/hooks/", map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}, []byte(`{"a":1}`))
	r.json(t, &obj)
	if r.status != 201 || !strings.HasPrefix(obj.Key, "exampledir/hooks/") || !strings.HasSuffix(obj.Key, ".json") {
		t.Fatalf("folder POST: %d %s", r.status, r.body)
	}
	// A wrong Content-MD5 is refused and stores nothing.
	bad := map[string]string{"Authorization": "Bearer " + tok, "Content-MD5": base64.StdEncoding.EncodeToString(make([]byte, 16))}
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/md5.bin", bad, []byte("abc")); r.status != 400 {
		t.Fatalf("bad md5: %d %s", r.status, r.body)
	}
	if keys := e.keys("exampledir/md5"); len(keys) != 0 {
		t.Fatalf("bad md5 stored %v", keys)
	}
}

func TestDirectUploadTooLarge(t *testing.T) {
	e := newEnv(t, options{maxDirect: 1024})
	auth := map[string]string{"Authorization": "Bearer " + token(t, "alice", nil)}
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/big.bin", auth, make([]byte, 1025)); r.status != 413 || r.errorCode(t) != "payload_too_large" {
		t.Fatalf("1025 bytes: %d %s", r.status, r.body)
	}
	// Chunked (no Content-Length): refused while reading, nothing stored.
	req, _ := http.NewRequest("PUT", e.url+"/v1/objects/exampledir/big2.bin", io.MultiReader(bytes.NewReader(make([]byte, 4096))))
	req.Header.Set("Authorization", auth["Authorization"])
	req.ContentLength = -1
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("chunked 4096 bytes: %d", res.StatusCode)
	}
	if keys := e.keys("exampledir/"); len(keys) != 0 {
		t.Fatalf("oversized uploads stored %v", keys)
	}
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/ok.bin", auth, make([]byte, 1024)); r.status != 201 {
		t.Fatalf("1024 bytes: %d %s", r.status, r.body)
	}
}

func TestKeyGate(t *testing.T) {
	e := newEnv(t, options{})
	tok := token(t, "alice", nil)
	tests := []struct {
		key    string
		status int
		code   string
	}{
		{"other/a.txt", 403, "key_outside_prefix"},
		{"exampledir2/a.txt", 403, "key_outside_prefix"},
		{"exampledir", 403, "key_outside_prefix"},
		{"Exampledir/a.txt", 403, "key_outside_prefix"},
		{"exampledir/../other/a.txt", 400, "invalid_key"},
		{"exampledir/./a.txt", 400, "invalid_key"},
		{"exampledir//a.txt", 400, "invalid_key"},
		{"/exampledir/a.txt", 400, "invalid_key"},
		{"exampledir\\a.txt", 400, "invalid_key"},
		{"exampledir/a\x00.txt", 400, "invalid_key"},
		{"exampledir/" + strings.Repeat("a", 1013), 400, "invalid_key"},
	}
	for _, tt := range tests {
		res := e.presign(tok, map[string]any{"key": tt.key})
		if res.status != tt.status || res.errorCode(t) != tt.code {
			t.Errorf("presign %q: %d %s, want %d %s", tt.key, res.status, res.body, tt.status, tt.code)
		}
	}
	// Through the path of /v1/objects/: decoded once, then judged.
	paths := []struct {
		path   string
		status int
	}{
		{"exampledir/%2e%2e/other/x", 400},
		{"exampledir/..%2Fother/x", 400},
		{"exampledir%2F..%2Fother%2Fx", 400},
		{"exampledir/%252e%252e/x", 201}, // double-encoded: the key holds a literal "%2e%2e"
		{"exampledir2/x", 403},
		{"exampledir%2Fencoded-slash.txt", 201},
		{"exampledir/a%00b", 400},
		{"exampledir/a%0d%0ab", 400},
	}
	h := map[string]string{"Authorization": "Bearer " + tok}
	for _, p := range paths {
		if res := do(t, "PUT", e.url+"/v1/objects/"+p.path, h, []byte("x")); res.status != p.status {
			t.Errorf("PUT /v1/objects/%s: %d %s, want %d", p.path, res.status, res.body, p.status)
		}
	}
	for _, k := range e.keys("") {
		if !strings.HasPrefix(k, "exampledir/") || strings.Contains(k, "..") {
			t.Errorf("stored a key outside the prefix: %q", k)
		}
	}
}

func TestPerUserPrefix(t *testing.T) {
	e := newEnv(t, options{prefix: "exampledir/{sub}/"})
	if r := e.presign(token(t, "alice", nil), map[string]any{"key": "exampledir/alice/a.txt"}); r.status != 200 {
		t.Fatalf("own folder: %d %s", r.status, r.body)
	}
	if r := e.presign(token(t, "alice", nil), map[string]any{"key": "exampledir/bob/a.txt"}); r.status != 403 {
		t.Fatalf("other user's folder: %d %s", r.status, r.body)
	}
	if r := e.presign(token(t, "../bob", nil), map[string]any{"key": "exampledir/bob/a.txt"}); r.status != 403 {
		t.Fatalf("hostile sub: %d %s", r.status, r.body)
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t, options{})
	noneToken := func() string {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
		p := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"alice","iss":"` + issuer + `","aud":"` + audience + `","exp":9999999999}`))
		return h + "." + p + "."
	}
	wrongKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice", "iss": issuer, "aud": audience,
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("another-secret-another-secret-another"))
	tests := map[string]string{
		"missing":        "",
		"expired":        "Bearer " + token(t, "alice", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
		"wrong issuer":   "Bearer " + token(t, "alice", func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" }),
		"wrong audience": "Bearer " + token(t, "alice", func(c jwt.MapClaims) { c["aud"] = "other" }),
		"alg none":       "Bearer " + noneToken(),
		"wrong key":      "Bearer " + wrongKey,
		"no sub":         "Bearer " + token(t, "", nil),
		"basic scheme":   "Basic " + token(t, "alice", nil),
	}
	var first []byte
	for name, authz := range tests {
		h := map[string]string{"Content-Type": "application/json"}
		if authz != "" {
			h["Authorization"] = authz
		}
		res := do(t, "POST", e.url+"/v1/presign", h, []byte(`{"key":"exampledir/a.txt"}`))
		if res.status != 401 || res.errorCode(t) != "unauthorized" || res.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
			t.Errorf("%s: %d %s %v", name, res.status, res.body, res.header)
		}
		var body map[string]map[string]string
		res.json(t, &body)
		body["error"]["requestId"] = ""
		b, _ := json.Marshal(body)
		if first == nil {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Errorf("%s: body %s differs from %s", name, b, first)
		}
		if authz != "" && strings.Contains(e.logs.String(), strings.TrimPrefix(authz, "Bearer ")) {
			t.Errorf("%s: the token reached the log", name)
		}
	}
	// A token in the query string is never accepted.
	res := do(t, "POST", e.url+"/v1/presign?access_token="+token(t, "alice", nil), map[string]string{"Content-Type": "application/json"}, []byte(`{"key":"exampledir/a.txt"}`))
	if res.status != 401 {
		t.Errorf("query token: %d", res.status)
	}
}

func TestRequestValidation(t *testing.T) {
	e := newEnv(t, options{contentTypes: "image/*,text/plain"})
	tok := token(t, "alice", nil)
	h := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"unknown field", `{"key":"exampledir/a.png","contentType":"image/png","acl":"public-read"}`, 400, "invalid_request"},
		{"trailing data", `{"key":"exampledir/a.png","contentType":"image/png"} {}`, 400, "invalid_request"},
		{"not json", `key=exampledir/a.png`, 400, "invalid_request"},
		{"no key", `{"contentType":"image/png"}`, 400, "invalid_request"},
		{"type not allowed", `{"key":"exampledir/a.pdf","contentType":"application/pdf"}`, 415, "unsupported_media_type"},
		{"default type not allowed", `{"key":"exampledir/a.bin"}`, 415, "unsupported_media_type"},
		{"malformed type", `{"key":"exampledir/a.png","contentType":"image png"}`, 400, "invalid_request"},
		{"negative length", `{"key":"exampledir/a.png","contentType":"image/png","contentLength":-1}`, 400, "invalid_request"},
		{"length over max", `{"key":"exampledir/a.png","contentType":"image/png","contentLength":5368709121}`, 413, "payload_too_large"},
		{"bad md5", `{"key":"exampledir/a.png","contentType":"image/png","contentMD5":"abc"}`, 400, "invalid_request"},
		{"bad metadata name", `{"key":"exampledir/a.png","contentType":"image/png","metadata":{"a b":"x"}}`, 400, "invalid_request"},
		{"metadata not ascii", `{"key":"exampledir/a.png","contentType":"image/png","metadata":{"a":"\u00e9"}}`, 400, "invalid_request"},
		{"metadata too big", `{"key":"exampledir/a.png","contentType":"image/png","metadata":{"a":"` + strings.Repeat("x", 8200) + `"}}`, 400, "invalid_request"},
		{"body over 64KiB", `{"key":"exampledir/a.png","contentType":"image/png","metadata":{"a":"` + strings.Repeat("x", 70000) + `"}}`, 413, "payload_too_large"},
	}
	for _, tt := range tests {
		res := do(t, "POST", e.url+"/v1/presign", h, []byte(tt.body))
		if res.status != tt.status || res.errorCode(t) != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, res.status, res.body, tt.status, tt.code)
		}
	}
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/a.pdf", map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/pdf"}, []byte("%PDF")); r.status != 415 {
		t.Errorf("direct upload of a refused type: %d", r.status)
	}
	if r := do(t, "POST", e.url+"/v1/presign", map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "text/plain"}, []byte(`{}`)); r.status != 415 {
		t.Errorf("presign with a text/plain body: %d", r.status)
	}
}

func TestRoutes(t *testing.T) {
	e := newEnv(t, options{origins: []string{"https://app.example"}})
	if r := do(t, "GET", e.url+"/healthz", nil, nil); r.status != 200 || string(r.body) != `{"status":"ok"}` {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", e.url+"/nope", nil, nil); r.status != 404 || r.errorCode(t) != "not_found" {
		t.Errorf("unknown route: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", e.url+"/v1/presign", nil, nil); r.status != 405 || r.header.Get("Allow") != "POST" {
		t.Errorf("GET presign: %d %v", r.status, r.header)
	}
	pre := do(t, "OPTIONS", e.url+"/v1/presign", map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}, nil)
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(pre.header.Get("Vary"), "Origin") {
		t.Errorf("allowed preflight: %d %v", pre.status, pre.header)
	}
	for _, origin := range []string{"https://evil.example", "https://app.example.evil", "null", ""} {
		r := do(t, "OPTIONS", e.url+"/v1/presign", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"}, nil)
		if r.status != 403 || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %q: %d %v", origin, r.status, r.header)
		}
	}
	actual := do(t, "GET", e.url+"/healthz", map[string]string{"Origin": "https://app.example"}, nil)
	if actual.header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("actual request CORS headers: %v", actual.header)
	}
}

func TestStorageUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	e := newEnv(t, options{endpoint: dead})
	h := map[string]string{"Authorization": "Bearer " + token(t, "alice", nil)}
	r := do(t, "PUT", e.url+"/v1/objects/exampledir/a.txt", h, []byte("x"))
	if r.status != 502 || r.errorCode(t) != "storage_unavailable" {
		t.Fatalf("OSS down: %d %s", r.status, r.body)
	}
	// Presigning needs no network: it still works.
	if r := e.presign(token(t, "alice", nil), map[string]any{"key": "exampledir/a.txt"}); r.status != 200 {
		t.Fatalf("presign with OSS down: %d %s", r.status, r.body)
	}
}
