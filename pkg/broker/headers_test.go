package broker_test

import (
	"crypto/md5"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

// clientSends is net/http's own rule for a header field value
// (httpguts.ValidHeaderFieldValue): no control byte but HTAB, no DEL.
// Its Transport refuses to send anything else.
func clientSends(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// headerUnits are every byte value and a few non-ASCII characters, to be
// put into each field that becomes a header.
func headerUnits() []string {
	var u []string
	for b := 0; b < 256; b++ {
		u = append(u, string([]byte{byte(b)}))
	}
	return append(u, "\u00e9", "\u2028", "\U0001F600", "\u0085")
}

// TestHeaderValuesEveryByte: every byte value (and some non-ASCII) in every
// field that becomes a header (the content type and its parameters,
// contentMD5, contentDisposition, cacheControl, metadata names and values),
// on every route that takes them.
// Each answer is either 400 invalid_request, or headers that Go's net/http
// client sends and that verify at ossemu. Before, CR, LF and NUL in a
// content-type parameter or around a contentMD5 were signed and returned
// (presign), or became a 502 (multipart).
func TestHeaderValuesEveryByte(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	sum := md5.Sum([]byte("x"))
	digest := base64.StdEncoding.EncodeToString(sum[:])

	// refused checks a 400 with the documented error.
	refused := func(what string, r response) bool {
		t.Helper()
		if r.status == 400 {
			if code := r.errorCode(t); code != "invalid_request" {
				t.Errorf("%s: 400 %s", what, code)
			}
			return true
		}
		if r.status != 200 && r.status != 201 {
			t.Errorf("%s: %d %s", what, r.status, r.body)
			return true
		}
		return false
	}
	// sendable checks that Go's client can send every header as given.
	sendable := func(what string, h map[string]string) bool {
		t.Helper()
		for k, v := range h {
			if !clientSends(v) {
				t.Errorf("%s: header %q: %q cannot be sent", what, k, v)
				return false
			}
		}
		return true
	}
	presignAndPut := func(what string, body map[string]any, payload []byte) {
		t.Helper()
		body["key"], body["overwrite"] = "exampledir/hdr/p.bin", true
		r := e.presign(tok, body)
		if refused(what+" presign", r) {
			if !strings.Contains(what, `\r`) && !strings.Contains(what, `\n`) && !strings.Contains(what, `\x00`) {
				return
			}
			// CR, LF, NUL: the same input in a batch gets the same answer,
			// as an item (batch items are judged as single presigns; the
			// other bytes are left to that).
			rb := e.presign(tok, map[string]any{"files": []any{body}})
			if rb.status != 200 || !strings.Contains(string(rb.body), `"code":"invalid_request"`) {
				t.Errorf("%s batch: %d %s", what, rb.status, rb.body)
			}
			return
		}
		var p presigned
		r.json(t, &p)
		if !sendable(what, p.Headers) {
			return
		}
		res := putPresigned(t, p, payload)
		if md, _ := body["contentMD5"].(string); md != "" && md != digest && strings.Contains(string(res.body), "<Code>InvalidDigest</Code>") {
			return // the signature verified; the (other) digest did not match the body
		}
		if res.status != 200 {
			t.Errorf("%s: signed headers %q do not verify at OSS: %d %s", what, p.Headers, res.status, res.body)
		}
	}
	initiate := func(what string, body map[string]any) {
		t.Helper()
		body["key"], body["overwrite"] = "exampledir/hdr/m.bin", true
		r := e.call(tok, "/v1/multipart", body)
		if refused(what+" multipart", r) {
			return
		}
		var in initiated
		r.json(t, &in)
		// OSS took the headers at initiate; abort to leave nothing behind.
		if a := e.call(tok, "/v1/multipart/abort", map[string]any{"handle": in.Handle}); a.status != 204 {
			t.Errorf("%s abort: %d", what, a.status)
		}
	}
	form := func(what string, body map[string]any) {
		t.Helper()
		body["key"], body["overwrite"] = "exampledir/hdr/f.bin", true
		r := e.call(tok, "/v1/presign-post", body)
		if refused(what+" presign-post", r) {
			return
		}
		var f postForm
		r.json(t, &f)
		if !sendable(what, map[string]string{"Content-Type": f.Fields["Content-Type"], "Content-Disposition": f.Fields["Content-Disposition"], "Cache-Control": f.Fields["Cache-Control"]}) {
			return
		}
		if res := submit(t, f, "f.bin", "application/octet-stream", []byte("x")); res.status != 204 {
			t.Errorf("%s form: %d %s", what, res.status, res.body)
		}
	}
	direct := func(what string, h map[string]string) {
		t.Helper()
		for _, v := range h {
			if !clientSends(v) {
				return // no HTTP client sends it; the trigger never sees it
			}
		}
		h["Authorization"] = "Bearer " + tok
		r := do(t, "PUT", e.url+"/v1/objects/exampledir/hdr/d.bin?overwrite=true", h, []byte("x"))
		if r.status == 400 {
			if code := r.errorCode(t); code != "invalid_request" {
				t.Errorf("%s direct: 400 %s", what, code)
			}
			return
		}
		if r.status != 201 {
			t.Errorf("%s direct: %d %s", what, r.status, r.body)
		}
	}

	for _, u := range headerUnits() {
		for _, ct := range []string{
			`text/plain; a="x` + u + `y"`, `text/plain; a=x` + u + `y`, `text/pl` + u + `ain`,
			u + `text/plain`, `text/plain` + u, `text/plain;` + u + `a=b`,
		} {
			what := "contentType " + quoteBytes(ct)
			presignAndPut(what, map[string]any{"contentType": ct}, []byte("x"))
			initiate(what, map[string]any{"contentType": ct})
			form(what, map[string]any{"contentType": ct})
			direct(what, map[string]string{"Content-Type": ct})
		}
		for _, md := range []string{digest[:10] + u + digest[11:], digest + u, u + digest, digest[:12] + u + digest[12:], strings.Replace(digest, "=", u, 1)} {
			what := "contentMD5 " + quoteBytes(md)
			presignAndPut(what, map[string]any{"contentMD5": md, "contentLength": 1}, []byte("x"))
			direct(what, map[string]string{"Content-MD5": md})
		}
		for _, field := range []string{"contentDisposition", "cacheControl"} {
			for _, v := range []string{`attachment; filename="a` + u + `b"`, u + "x", "x" + u} {
				what := field + " " + quoteBytes(v)
				presignAndPut(what, map[string]any{field: v, "contentLength": 1}, []byte("x"))
				form(what, map[string]any{field: v})
			}
		}
		for _, meta := range []map[string]string{{"k": "v" + u + "w"}, {"k" + u + "k": "v"}, {"k": u + "v"}, {"k": "v" + u}} {
			what := "metadata " + quoteBytes(meta["k"])
			presignAndPut(what, map[string]any{"metadata": meta}, []byte("x"))
			initiate(what, map[string]any{"metadata": meta})
		}
	}
	if left := listUploads(t, e.oss); len(left) != 0 {
		t.Errorf("%d multipart uploads left", len(left))
	}
}

func quoteBytes(s string) string { return strconv.Quote(s) }
