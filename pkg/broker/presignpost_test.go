package broker_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

type postForm struct {
	URL       string
	Fields    map[string]string
	Bucket    string
	Key       string
	MaxBytes  int64
	ExpiresAt time.Time
}

// submit posts the form as a browser does: every field, then the file
// last, as OSS requires.
func submit(t *testing.T, f postForm, filename, contentType string, file []byte) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range f.Fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="` + filename + `"`}
	h["Content-Type"] = []string{contentType}
	fw, _ := mw.CreatePart(h)
	fw.Write(file)
	mw.Close()
	res, err := http.Post(f.URL, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

func (e *env) presignPost(tok string, body map[string]any) postForm {
	e.t.Helper()
	res := e.call(tok, "/v1/presign-post", body)
	if res.status != 200 {
		e.t.Fatalf("presign-post %v: %d %s", body, res.status, res.body)
	}
	var f postForm
	res.json(e.t, &f)
	return f
}

func TestPresignPost(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	f := e.presignPost(tok, map[string]any{"key": "exampledir/forms/note.txt", "contentType": "text/plain", "maxBytes": 4096})
	if f.URL != e.ossURL+"/"+bucket || f.Key != "exampledir/forms/note.txt" || f.Bucket != bucket || f.MaxBytes != 4096 {
		t.Fatalf("presign-post: %+v", f)
	}
	if d := time.Until(f.ExpiresAt); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("expires in %v", d)
	}
	for k, v := range map[string]string{"key": f.Key, "Content-Type": "text/plain", "x-oss-forbid-overwrite": "true",
		"x-oss-signature-version": "OSS4-HMAC-SHA256", "success_action_status": "204"} {
		if f.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, f.Fields[k], v)
		}
	}
	// Over the size range: OSS refuses and stores nothing.
	if r := submit(t, f, "big.txt", "text/plain", randomData(5000)); r.status != 400 || !bytes.Contains(r.body, []byte("EntityTooLarge")) {
		t.Fatalf("too large: %d %s", r.status, r.body)
	}
	if keys := e.keys("exampledir/forms/"); len(keys) != 0 {
		t.Fatalf("a refused POST stored %v", keys)
	}
	// The browser's own file type does not matter: the signed field wins.
	payload := []byte("hello through a POST form")
	if r := submit(t, f, "note.txt", "application/x-anything", payload); r.status != 204 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	got, meta, err := e.get(f.Key)
	if err != nil || !bytes.Equal(got, payload) || oss.ToString(meta.ContentType) != "text/plain" {
		t.Fatalf("stored %q type %q: %v", got, oss.ToString(meta.ContentType), err)
	}
	// The same form again: forbid-overwrite.
	if r := submit(t, f, "note.txt", "text/plain", payload); r.status != 409 {
		t.Fatalf("second upload: %d %s", r.status, r.body)
	}
	// Tampering with a pinned field breaks the policy.
	for field, v := range map[string]string{"key": "exampledir/forms/other.txt", "Content-Type": "text/html", "x-oss-forbid-overwrite": "false"} {
		g := f
		g.Fields = map[string]string{}
		for k, x := range f.Fields {
			g.Fields[k] = x
		}
		g.Fields[field] = v
		if r := submit(t, g, "x.txt", "text/plain", []byte("x")); r.status != 403 {
			t.Errorf("tampered %s: %d %s", field, r.status, r.body)
		}
	}
	// Overwrite, when asked, replaces.
	ow := e.presignPost(tok, map[string]any{"key": f.Key, "contentType": "text/plain", "overwrite": true})
	if _, pinned := ow.Fields["x-oss-forbid-overwrite"]; pinned || ow.MaxBytes != 5<<30 {
		t.Fatalf("overwrite form: %+v", ow)
	}
	if r := submit(t, ow, "note.txt", "text/plain", []byte("v2")); r.status != 204 {
		t.Fatalf("overwrite: %d %s", r.status, r.body)
	}
	if got, _, _ := e.get(f.Key); string(got) != "v2" {
		t.Fatalf("overwrite stored %q", got)
	}
	// A folder gets a generated name, pinned in the form.
	folder := e.presignPost(tok, map[string]any{"key": "exampledir/forms/", "contentType": "image/png"})
	if !strings.HasPrefix(folder.Key, "exampledir/forms/") || !strings.HasSuffix(folder.Key, ".png") || folder.Fields["key"] != folder.Key {
		t.Fatalf("folder form: %+v", folder)
	}
}

func TestPresignPostRefusals(t *testing.T) {
	e := newRoutesEnv(t, options{contentTypes: "text/*,image/png", prefix: "exampledir/{sub}/"})
	tok := token(t, "alice", nil)
	for _, tt := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"key": "exampledir/alice/a", "contentType": "text/plain", "maxBytes": 5<<30 + 1}, 413, "payload_too_large"},
		{map[string]any{"key": "exampledir/alice/a", "contentType": "text/plain", "maxBytes": 0}, 400, "invalid_request"},
		{map[string]any{"key": "exampledir/alice/a", "contentType": "text/plain", "maxBytes": -5}, 400, "invalid_request"},
		{map[string]any{"key": "exampledir/alice/${filename}", "contentType": "text/plain"}, 400, "invalid_key"},
		{map[string]any{"key": "exampledir/alice/a${x}", "contentType": "text/plain"}, 400, "invalid_key"},
		{map[string]any{"key": "exampledir/bob/a", "contentType": "text/plain"}, 403, "key_outside_prefix"},
		{map[string]any{"key": "exampledir/alice/../bob/a", "contentType": "text/plain"}, 400, "invalid_key"},
		{map[string]any{"key": "exampledir/alice/a", "contentType": "application/pdf"}, 415, "unsupported_media_type"},
		{map[string]any{"key": "exampledir/alice/a", "contentType": "text/plain", "fields": map[string]string{"x-oss-object-acl": "public-read"}}, 400, "invalid_request"},
		{map[string]any{"key": "", "contentType": "text/plain"}, 400, "invalid_request"},
	} {
		if r := e.call(tok, "/v1/presign-post", tt.body); r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("%v: %d %s, want %d %s", tt.body, r.status, r.body, tt.status, tt.code)
		}
	}
}

func TestPresignGet(t *testing.T) {
	e := newRoutesEnv(t, options{prefix: "exampledir/{sub}/"})
	alice, bob := token(t, "alice", nil), token(t, "bob", nil)
	payload := []byte("%PDF-1.7 alice's report")
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/alice/report.pdf", map[string]string{"Authorization": "Bearer " + alice, "Content-Type": "application/pdf"}, payload); r.status != 201 {
		t.Fatalf("store: %d %s", r.status, r.body)
	}
	res := e.call(alice, "/v1/presign-get", map[string]any{"key": "exampledir/alice/report.pdf", "expiresIn": 60,
		"responseContentDisposition": `attachment; filename="report.pdf"`})
	if res.status != 200 {
		t.Fatalf("presign-get: %d %s", res.status, res.body)
	}
	var p presigned
	res.json(t, &p)
	if p.Method != "GET" || p.Key != "exampledir/alice/report.pdf" || len(p.Headers) != 0 || !strings.HasPrefix(p.URL, e.ossURL+"/"+bucket+"/exampledir/alice/report.pdf?") {
		t.Fatalf("presign-get: %+v", p)
	}
	if d := time.Until(p.ExpiresAt); d > 61*time.Second || d < 50*time.Second {
		t.Errorf("expiresIn 60 gave %v", d)
	}
	got := do(t, "GET", p.URL, nil, nil)
	if got.status != 200 || !bytes.Equal(got.body, payload) || got.header.Get("Content-Disposition") != `attachment; filename="report.pdf"` {
		t.Fatalf("GET: %d %q disposition %q", got.status, got.body, got.header.Get("Content-Disposition"))
	}
	// The URL is for GET of that key only.
	if r := do(t, "PUT", p.URL, nil, []byte("x")); r.status != 403 {
		t.Errorf("PUT with a GET URL: %d", r.status)
	}
	// Outside the caller's folder, whoever asks.
	for _, tt := range []struct {
		tok, key string
		status   int
		code     string
	}{
		{bob, "exampledir/alice/report.pdf", 403, "key_outside_prefix"},
		{alice, "exampledir/bob/x", 403, "key_outside_prefix"},
		{alice, "other/x", 403, "key_outside_prefix"},
		{alice, "exampledir/alice/../bob/x", 400, "invalid_key"},
		{alice, "exampledir/alice/%2e%2e/x", 200, ""}, // decoded once: a literal name
		{alice, "exampledir/alice/", 400, "invalid_key"},
		{alice, "", 400, "invalid_request"},
	} {
		r := e.call(tt.tok, "/v1/presign-get", map[string]any{"key": tt.key})
		if r.status != tt.status || tt.code != "" && r.errorCode(t) != tt.code {
			t.Errorf("presign-get %q: %d %s, want %d %s", tt.key, r.status, r.body, tt.status, tt.code)
		}
	}
	for _, d := range []string{"attachment\r\nX-Evil: 1", "attachment; filename=\"\u00fc.pdf\"", strings.Repeat("a", 1025)} {
		if r := e.call(alice, "/v1/presign-get", map[string]any{"key": "exampledir/alice/report.pdf", "responseContentDisposition": d}); r.status != 400 {
			t.Errorf("disposition %q: %d", d, r.status)
		}
	}
}

// Without oss:GetObject in the RAM policy, the URL is signed but OSS
// refuses it: -print-ram-policy includes the action.
func TestPresignGetRAMPolicy(t *testing.T) {
	e := newEnv(t, options{})
	tok := token(t, "alice", nil)
	res := e.call(tok, "/v1/presign-get", map[string]any{"key": "exampledir/x"})
	var p presigned
	res.json(t, &p)
	if r := do(t, "GET", p.URL, nil, nil); r.status != 403 || !bytes.Contains(r.body, []byte("AccessDenied")) {
		t.Fatalf("GET without oss:GetObject: %d %s", r.status, r.body)
	}
}
