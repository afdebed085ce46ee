package broker_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// putPresigned sends body to a presigned PUT as Go's net/http client does
// (Content-Length from the body, whatever headers say).
func putPresigned(t *testing.T, p presigned, body []byte) response {
	t.Helper()
	return do(t, p.Method, p.URL, p.Headers, body)
}

// TestPresignLengthPinsExactly: a URL presigned for N bytes takes N bytes,
// and refuses N-1 and N+1 (OSS checks the signed Content-Length), for N = 0
// too: before, contentLength 0 signed no length and the URL took any size.
func TestPresignLengthPinsExactly(t *testing.T) {
	e := newEnv(t, options{})
	tok := token(t, "alice", nil)
	for _, n := range []int{0, 1, 1000} {
		key := "exampledir/pinned/" + strconv.Itoa(n) + ".bin"
		for _, m := range []int{n - 1, n + 1, n + 1000, n} {
			if m < 0 {
				continue
			}
			res := e.presign(tok, map[string]any{"key": key, "contentLength": n})
			var p presigned
			res.json(t, &p)
			// The pinned length is the contentLength field, never a header to
			// set (browsers refuse to set Content-Length).
			if _, in := p.Headers["Content-Length"]; res.status != 200 || in || p.ContentLength == nil || *p.ContentLength != int64(n) {
				t.Fatalf("presign %d: %d %s", n, res.status, res.body)
			}
			r := putPresigned(t, p, bytes.Repeat([]byte("x"), m))
			switch {
			case m == n && r.status != 200:
				t.Fatalf("URL for %d bytes refused %d bytes: %d %s", n, m, r.status, r.body)
			case m != n && r.status != 403:
				t.Fatalf("URL for %d bytes took %d bytes: %d %s", n, m, r.status, r.body)
			}
		}
		// Without a Content-Length at all (chunked), a pinned URL is refused.
		res := e.presign(tok, map[string]any{"key": key + ".chunked", "contentLength": n})
		var p presigned
		res.json(t, &p)
		req, _ := http.NewRequest("PUT", p.URL, io.MultiReader(strings.NewReader("xyz")))
		for k, v := range p.Headers {
			req.Header.Set(k, v)
		}
		if req.ContentLength != 0 || req.Body == nil { // 0 with a body: unknown length, sent chunked
			t.Fatalf("the request would not be chunked")
		}
		if r, err := http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		} else if r.Body.Close(); r.StatusCode < 400 {
			t.Fatalf("chunked body to a URL for %d bytes: %d", n, r.StatusCode)
		}
		if _, _, err := e.get(key + ".chunked"); err == nil {
			t.Fatalf("a chunked body was stored under a URL for %d bytes", n)
		}
		got, _, err := e.get(key)
		if err != nil || len(got) != n {
			t.Fatalf("stored %d bytes under %s (%v), want %d", len(got), key, err, n)
		}
	}
}

// TestMaxUploadHoldsOnEveryRoute: with MAX_UPLOAD_BYTES below OSS's 5 GiB,
// nothing larger goes in through any single-object route: a presign must
// pin its length (400 naming contentLength otherwise, single and batch),
// forms carry the bound, direct uploads are held to it even when
// MAX_DIRECT_UPLOAD_BYTES is larger.
func TestMaxUploadHoldsOnEveryRoute(t *testing.T) {
	const limit = 1 << 20
	e := newRoutesEnv(t, options{maxUpload: limit, maxDirect: 2 << 20})
	tok := token(t, "alice", nil)

	// Presign without contentLength: refused, pointing at the routes that
	// bound an unknown size.
	res := e.presign(tok, map[string]any{"key": "exampledir/big.bin"})
	if res.status != 400 || res.errorCode(t) != "invalid_request" {
		t.Fatalf("presign without contentLength: %d %s", res.status, res.body)
	}
	for _, want := range []string{"contentLength", "presign-post", "multipart"} {
		if !strings.Contains(string(res.body), want) {
			t.Errorf("message lacks %q: %s", want, res.body)
		}
	}
	// The same in a batch, item by item.
	res = e.presign(tok, map[string]any{"files": []map[string]any{
		{"key": "exampledir/b/1.bin"}, {"key": "exampledir/b/2.bin", "contentLength": limit}, {"key": "exampledir/b/3.bin", "contentLength": limit + 1},
	}})
	var batch struct {
		Uploads []struct {
			URL           string
			Headers       map[string]string
			ContentLength *int64
			Error         *struct{ Code, Message string }
		}
	}
	res.json(t, &batch)
	if res.status != 200 || len(batch.Uploads) != 3 {
		t.Fatalf("batch: %d %s", res.status, res.body)
	}
	if u := batch.Uploads[0]; u.Error == nil || u.Error.Code != "invalid_request" || !strings.Contains(u.Error.Message, "contentLength") {
		t.Errorf("batch item without contentLength: %+v", u)
	}
	if u := batch.Uploads[1]; u.Error != nil || u.ContentLength == nil || *u.ContentLength != int64(limit) {
		t.Errorf("batch item at the limit: %+v", u)
	}
	if u := batch.Uploads[2]; u.Error == nil || u.Error.Code != "payload_too_large" {
		t.Errorf("batch item over the limit: %+v", u)
	}
	// At the limit it works, and the URL takes exactly that.
	res = e.presign(tok, map[string]any{"key": "exampledir/limit.bin", "contentLength": limit})
	var p presigned
	res.json(t, &p)
	if res.status != 200 {
		t.Fatalf("presign at the limit: %d %s", res.status, res.body)
	}
	if r := putPresigned(t, p, make([]byte, limit+1)); r.status != 403 {
		t.Errorf("limit+1 bytes to a URL for the limit: %d", r.status)
	}
	if r := putPresigned(t, p, make([]byte, limit)); r.status != 200 {
		t.Errorf("the limit: %d %s", r.status, r.body)
	}

	// A form: maxBytes defaults to the limit, and OSS refuses more.
	f := e.presignPost(tok, map[string]any{"key": "exampledir/form.bin"})
	if f.MaxBytes != limit {
		t.Errorf("form maxBytes %d, want %d", f.MaxBytes, limit)
	}
	if r := submit(t, f, "f.bin", "application/octet-stream", make([]byte, limit+1)); r.status != 400 {
		t.Errorf("form over the limit: %d %s", r.status, r.body)
	}
	if r := submit(t, f, "f.bin", "application/octet-stream", make([]byte, 1000)); r.status != 204 {
		t.Errorf("form under the limit: %d %s", r.status, r.body)
	}

	// A direct upload: held to MAX_UPLOAD_BYTES although
	// MAX_DIRECT_UPLOAD_BYTES is larger.
	authz := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/octet-stream"}
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/direct.bin", authz, make([]byte, limit+1)); r.status != 413 || r.errorCode(t) != "payload_too_large" {
		t.Errorf("direct upload over MAX_UPLOAD_BYTES: %d %s", r.status, r.body)
	}
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/direct.bin", authz, make([]byte, limit)); r.status != 201 {
		t.Errorf("direct upload at MAX_UPLOAD_BYTES: %d %s", r.status, r.body)
	}
	if keys := e.keys("exampledir/b/"); len(keys) != 0 {
		t.Errorf("objects appeared: %v", keys)
	}
}

// TestNumericFieldsMeanWhatTheySay: every numeric field of every route,
// at and past its bounds. Accepted values mean what the README says
// (checked where the answer shows it); others are refused, never clamped.
func TestNumericFieldsMeanWhatTheySay(t *testing.T) {
	const limit = 1 << 20
	e := newRoutesEnv(t, options{maxUpload: limit})
	tok := token(t, "alice", nil)
	in := e.initiate(tok, map[string]any{"key": "exampledir/num/mp.bin", "size": 300 << 10, "partSize": 100 << 10})
	const maxTTL = 3600 // PresignMaxTTL in newEnv
	type tc struct {
		path   string
		body   map[string]any
		status int
		code   string
	}
	presign := func(extra map[string]any) map[string]any {
		b := map[string]any{"key": "exampledir/num/a.bin", "contentLength": 10}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	form := func(extra map[string]any) map[string]any {
		b := map[string]any{"key": "exampledir/num/f.bin"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	get := func(extra map[string]any) map[string]any {
		b := map[string]any{"key": "exampledir/num/a.bin"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	mp := func(extra map[string]any) map[string]any {
		b := map[string]any{"key": "exampledir/num/m.bin"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	parts := func(extra map[string]any) map[string]any {
		b := map[string]any{"handle": in.Handle, "partNumbers": []int{1}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	var cases []tc
	for _, v := range []any{-1, limit + 1, 1.5, "10", true, nil} {
		status, code := 400, "invalid_request"
		if v == limit+1 {
			status, code = 413, "payload_too_large"
		}
		cases = append(cases, tc{"/v1/presign", presign(map[string]any{"contentLength": v}), status, code})
	}
	for _, v := range []any{1.5, "60", false} {
		cases = append(cases,
			tc{"/v1/presign", presign(map[string]any{"expiresIn": v}), 400, "invalid_request"},
			tc{"/v1/presign-post", form(map[string]any{"expiresIn": v}), 400, "invalid_request"},
			tc{"/v1/presign-get", get(map[string]any{"expiresIn": v}), 400, "invalid_request"},
			tc{"/v1/multipart/parts", parts(map[string]any{"expiresIn": v}), 400, "invalid_request"},
		)
	}
	for _, v := range []any{0, -1, 1.5, "1"} {
		cases = append(cases, tc{"/v1/presign-post", form(map[string]any{"maxBytes": v}), 400, "invalid_request"})
	}
	cases = append(cases, tc{"/v1/presign-post", form(map[string]any{"maxBytes": limit + 1}), 413, "payload_too_large"})
	for _, v := range []any{0, -1, 1.5} {
		cases = append(cases, tc{"/v1/multipart", mp(map[string]any{"size": v}), 400, "invalid_request"})
	}
	cases = append(cases, tc{"/v1/multipart", mp(map[string]any{"size": int64(50000) << 30 * 2}), 413, "payload_too_large"})
	for _, v := range []any{0, -1, 100<<10 - 1, 5<<30 + 1, 1.5} {
		cases = append(cases, tc{"/v1/multipart", mp(map[string]any{"partSize": v}), 400, "invalid_request"})
	}
	for _, v := range []any{"true", 1, 0} {
		cases = append(cases,
			tc{"/v1/presign", presign(map[string]any{"overwrite": v}), 400, "invalid_request"},
			tc{"/v1/presign-post", form(map[string]any{"overwrite": v}), 400, "invalid_request"},
			tc{"/v1/multipart", mp(map[string]any{"overwrite": v}), 400, "invalid_request"},
		)
	}
	// The direct upload's one flag: exactly true or false.
	authz := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/octet-stream"}
	for _, q := range []string{"overwrite=1", "overwrite=t", "overwrite=TRUE", "overwrite=", "overwrite=true&overwrite=false", "overwrite=yes"} {
		if r := do(t, "PUT", e.url+"/v1/objects/exampledir/num/d.bin?"+q, authz, []byte("x")); r.status != 400 || r.errorCode(t) != "invalid_request" {
			t.Errorf("direct upload ?%s: %d %s", q, r.status, r.body)
		}
	}
	for _, q := range []string{"overwrite=false", "overwrite=true"} {
		if r := do(t, "PUT", e.url+"/v1/objects/exampledir/num/d.bin?"+q, authz, []byte("x")); r.status != 201 {
			t.Errorf("direct upload ?%s: %d %s", q, r.status, r.body)
		}
	}
	for _, c := range cases {
		r := e.call(tok, c.path, c.body)
		if r.status != c.status || r.errorCode(t) != c.code {
			t.Errorf("%s %v: %d %s, want %d %s", c.path, c.body, r.status, r.body, c.status, c.code)
		}
		// Batch items are judged as single presigns.
		if c.path == "/v1/presign" {
			r := e.call(tok, c.path, map[string]any{"files": []any{c.body}})
			var batch struct {
				Uploads []struct{ Error *struct{ Code string } }
			}
			r.json(t, &batch)
			if r.status != 200 || len(batch.Uploads) != 1 || batch.Uploads[0].Error == nil || batch.Uploads[0].Error.Code != c.code {
				t.Errorf("batch item %v: %d %s, want %s", c.body, r.status, r.body, c.code)
			}
		}
	}

	// expiresIn is clamped to [1, PRESIGN_MAX_TTL] (pkg/broker/doc.go): the URL
	// lives exactly as long as the clamped value says, on every route.
	for _, c := range []struct{ in, want int }{{-1, 1}, {0, 1}, {1, 1}, {maxTTL, maxTTL}, {maxTTL + 1, maxTTL}, {1 << 40, maxTTL}} {
		for path, body := range map[string]map[string]any{
			"/v1/presign":         presign(map[string]any{"expiresIn": c.in}),
			"/v1/presign-post":    form(map[string]any{"expiresIn": c.in}),
			"/v1/presign-get":     get(map[string]any{"expiresIn": c.in}),
			"/v1/multipart/parts": parts(map[string]any{"expiresIn": c.in}),
		} {
			r := e.call(tok, path, body)
			var p struct{ ExpiresAt time.Time }
			r.json(t, &p)
			want := time.Duration(c.want) * time.Second
			if d := time.Until(p.ExpiresAt); r.status != 200 || d > want+time.Second || d < want-5*time.Second {
				t.Errorf("%s expiresIn %d: %d, expires in %v, want %v", path, c.in, r.status, d, want)
			}
		}
	}
	for _, n := range []int{0, limit} {
		r := e.call(tok, "/v1/presign", presign(map[string]any{"contentLength": n}))
		var p presigned
		r.json(t, &p)
		if r.status != 200 || p.ContentLength == nil || *p.ContentLength != int64(n) {
			t.Errorf("contentLength %d: %d %s", n, r.status, r.body)
		}
	}
	f := e.presignPost(tok, form(map[string]any{"maxBytes": 1}))
	if f.MaxBytes != 1 {
		t.Errorf("maxBytes 1: %+v", f)
	}
}
