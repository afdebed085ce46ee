package broker_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// headObject returns the stored object's headers as OSS serves them.
func (e *env) headObject(key string) http.Header {
	e.t.Helper()
	res, err := e.oss.HeadObject(context.Background(), &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		e.t.Fatalf("head %s: %v", key, err)
	}
	return res.Headers
}

// TestPresignedPutHeaders: what the holder of a presigned PUT can and
// cannot add (the README's threat model says the same). Any x-oss-* header
// breaks the signature (V4 signs them all); Content-Disposition and
// Cache-Control are pinned when asked for; the standard headers left
// unpinned (those two, Content-Encoding, Content-Language, Expires) are the
// uploader's to set, and OSS stores them.
func TestPresignedPutHeaders(t *testing.T) {
	e := newEnv(t, options{})
	tok := token(t, "alice", nil)
	sign := func(body map[string]any) presigned {
		t.Helper()
		res := e.presign(tok, body)
		var p presigned
		res.json(t, &p)
		if res.status != 200 {
			t.Fatalf("presign %v: %d %s", body, res.status, res.body)
		}
		return p
	}
	with := func(h map[string]string, k, v string) map[string]string {
		out := map[string]string{}
		for a, b := range h {
			out[a] = b
		}
		out[k] = v
		return out
	}

	// x-oss-* headers: never addable, on a no-overwrite or an overwrite URL.
	for _, overwrite := range []bool{false, true} {
		p := sign(map[string]any{"key": "exampledir/hdr/oss.txt", "contentType": "text/plain", "contentLength": 1, "overwrite": overwrite})
		for _, h := range [][2]string{{"x-oss-meta-owner", "mallory"}, {"x-oss-object-acl", "public-read"}, {"x-oss-storage-class", "IA"},
			{"x-oss-tagging", "a=b"}, {"x-oss-forbid-overwrite", "false"}, {"x-oss-server-side-encryption", "AES256"}} {
			if r := do(t, "PUT", p.URL, with(p.Headers, h[0], h[1]), []byte("x")); r.status != 403 {
				t.Errorf("overwrite=%v, added %s: %d, want 403", overwrite, h[0], r.status)
			}
		}
	}
	if keys := e.keys("exampledir/hdr/oss"); len(keys) != 0 {
		t.Fatalf("stored %v", keys)
	}

	// Unpinned standard headers: the uploader's choice, stored by OSS.
	p := sign(map[string]any{"key": "exampledir/hdr/free.txt", "contentType": "text/plain", "contentLength": 1})
	added := map[string]string{"Content-Disposition": "inline", "Cache-Control": "public, max-age=9", "Content-Encoding": "gzip",
		"Content-Language": "fr", "Expires": "Thu, 01 Dec 2094 16:00:00 GMT"}
	h := p.Headers
	for k, v := range added {
		h = with(h, k, v)
	}
	if r := do(t, "PUT", p.URL, h, []byte("x")); r.status != 200 {
		t.Fatalf("unpinned headers: %d %s", r.status, r.body)
	}
	got := e.headObject("exampledir/hdr/free.txt")
	for k, v := range added {
		if got.Get(k) != v {
			t.Errorf("stored %s = %q, want %q", k, got.Get(k), v)
		}
	}

	// Pinned: exactly these, or nothing is stored.
	body := map[string]any{"key": "exampledir/hdr/pinned.pdf", "contentType": "application/pdf", "contentLength": 1,
		"contentDisposition": `attachment; filename="q3.pdf"`, "cacheControl": "no-store"}
	p = sign(body)
	if p.Headers["Content-Disposition"] != `attachment; filename="q3.pdf"` || p.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("pinned headers not returned: %v", p.Headers)
	}
	for name, h := range map[string]map[string]string{
		"other disposition":     with(p.Headers, "Content-Disposition", "inline"),
		"other cache control":   with(p.Headers, "Cache-Control", "public"),
		"without disposition":   without(p.Headers, "Content-Disposition"),
		"without cache control": without(p.Headers, "Cache-Control"),
	} {
		if r := do(t, "PUT", p.URL, h, []byte("x")); r.status != 403 && r.status != 400 {
			t.Errorf("%s: %d, want a refusal", name, r.status)
		}
	}
	if keys := e.keys("exampledir/hdr/pinned"); len(keys) != 0 {
		t.Fatalf("stored %v", keys)
	}
	if r := do(t, "PUT", p.URL, p.Headers, []byte("x")); r.status != 200 {
		t.Fatalf("pinned upload: %d %s", r.status, r.body)
	}
	got = e.headObject("exampledir/hdr/pinned.pdf")
	if got.Get("Content-Disposition") != `attachment; filename="q3.pdf"` || got.Get("Cache-Control") != "no-store" {
		t.Errorf("stored %v", got)
	}
	// The same pinning in a batch item.
	res := e.presign(tok, map[string]any{"files": []any{body}})
	if res.status != 200 || !contains(res.body, `"Content-Disposition":"attachment; filename=\"q3.pdf\""`) {
		t.Errorf("batch: %d %s", res.status, res.body)
	}
}

// TestPostFormHeaders: a form pins Content-Disposition and Cache-Control
// when asked; OSS checks only the fields its policy names, so a form's
// holder can add x-oss-meta-* and unpinned standard header fields (ossemu
// does as OSS documents).
func TestPostFormHeaders(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	f := e.presignPost(tok, map[string]any{"key": "exampledir/form/pinned.txt", "contentType": "text/plain",
		"contentDisposition": "attachment", "cacheControl": "no-store"})
	if f.Fields["Content-Disposition"] != "attachment" || f.Fields["Cache-Control"] != "no-store" {
		t.Fatalf("fields %v", f.Fields)
	}
	for _, tamper := range []func(map[string]string){
		func(m map[string]string) { m["Content-Disposition"] = "inline" },
		func(m map[string]string) { m["Cache-Control"] = "public" },
		func(m map[string]string) { delete(m, "Content-Disposition") },
		func(m map[string]string) { delete(m, "Cache-Control") },
	} {
		g := f
		g.Fields = map[string]string{}
		for k, v := range f.Fields {
			g.Fields[k] = v
		}
		tamper(g.Fields)
		if r := submit(t, g, "a.txt", "text/plain", []byte("x")); r.status < 400 {
			t.Errorf("tampered form %v accepted: %d", g.Fields, r.status)
		}
	}
	if r := submit(t, f, "a.txt", "text/plain", []byte("x")); r.status != 204 {
		t.Fatalf("pinned form: %d %s", r.status, r.body)
	}
	if got := e.headObject("exampledir/form/pinned.txt"); got.Get("Content-Disposition") != "attachment" || got.Get("Cache-Control") != "no-store" {
		t.Errorf("stored %v", got)
	}

	// Unpinned: extra fields go through, and are stored.
	f = e.presignPost(tok, map[string]any{"key": "exampledir/form/free.txt", "contentType": "text/plain"})
	f.Fields["x-oss-meta-owner"] = "mallory"
	f.Fields["Content-Disposition"] = "inline"
	if r := submit(t, f, "a.txt", "text/plain", []byte("x")); r.status != 204 {
		t.Fatalf("form with extra fields: %d %s", r.status, r.body)
	}
	got := e.headObject("exampledir/form/free.txt")
	if got.Get("x-oss-meta-owner") != "mallory" || got.Get("Content-Disposition") != "inline" {
		t.Errorf("stored %v", got)
	}
}

func without(h map[string]string, k string) map[string]string {
	out := map[string]string{}
	for a, b := range h {
		if a != k {
			out[a] = b
		}
	}
	return out
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
