package broker_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func withClaim(name string, v any) func(jwt.MapClaims) {
	return func(c jwt.MapClaims) { c[name] = v }
}

// routeCalls exercises every route that a scope governs, for one token.
func routeCalls(t *testing.T, e *env, tok string) map[string]int {
	t.Helper()
	out := map[string]int{}
	out["presign"] = e.presign(tok, map[string]any{"key": "exampledir/s/a.txt"}).status
	out["presign overwrite"] = e.presign(tok, map[string]any{"key": "exampledir/s/a.txt", "overwrite": true}).status
	out["direct"] = do(t, "PUT", e.url+"/v1/objects/exampledir/s/"+strings.ReplaceAll(t.Name(), "/", "-")+"-"+tok[len(tok)-8:],
		map[string]string{"Authorization": "Bearer " + tok}, []byte("x")).status
	out["direct overwrite"] = do(t, "PUT", e.url+"/v1/objects/exampledir/s/d.txt?overwrite=true",
		map[string]string{"Authorization": "Bearer " + tok}, []byte("x")).status
	out["presign-post"] = e.call(tok, "/v1/presign-post", map[string]any{"key": "exampledir/s/p.txt"}).status
	out["multipart"] = e.call(tok, "/v1/multipart", map[string]any{"key": "exampledir/s/m/"}).status
	out["multipart overwrite"] = e.call(tok, "/v1/multipart", map[string]any{"key": "exampledir/s/m/", "overwrite": true}).status
	out["presign-get"] = e.call(tok, "/v1/presign-get", map[string]any{"key": "exampledir/s/a.txt"}).status
	out["batch"] = e.call(tok, "/v1/presign", map[string]any{"files": []map[string]any{{"key": "exampledir/s/b.txt"}}}).status
	return out
}

func TestScopesOff(t *testing.T) {
	e := newRoutesEnv(t, options{})
	// REQUIRE_SCOPES off: a token with no scope, or unrelated ones, may
	// do everything, as before scopes existed.
	for _, tok := range []string{token(t, "alice", nil), token(t, "alice", withClaim("scope", "openid profile"))} {
		for route, status := range routeCalls(t, e, tok) {
			if status >= 400 {
				t.Errorf("%s without scopes: %d", route, status)
			}
		}
	}
}

func TestScopesRequired(t *testing.T) {
	e := newRoutesEnv(t, options{requireScopes: true})
	ok, no := 0, 403
	for _, tt := range []struct {
		name string
		tok  string
		want map[string]int
	}{
		{"no scope", token(t, "alice", nil), map[string]int{"presign": no, "presign overwrite": no, "direct": no, "direct overwrite": no,
			"presign-post": no, "multipart": no, "multipart overwrite": no, "presign-get": no, "batch": no}},
		{"upload", token(t, "alice", withClaim("scope", "openid upload")), map[string]int{"presign": ok, "presign overwrite": no, "direct": ok,
			"direct overwrite": no, "presign-post": ok, "multipart": ok, "multipart overwrite": no, "presign-get": no, "batch": ok}},
		{"upload:overwrite implies upload", token(t, "alice", withClaim("scope", "upload:overwrite")), map[string]int{"presign": ok,
			"presign overwrite": ok, "direct": ok, "direct overwrite": ok, "presign-post": ok, "multipart": ok, "multipart overwrite": ok, "presign-get": no, "batch": ok}},
		{"download", token(t, "alice", withClaim("scope", "download")), map[string]int{"presign": no, "presign overwrite": no, "direct": no,
			"direct overwrite": no, "presign-post": no, "multipart": no, "multipart overwrite": no, "presign-get": ok, "batch": no}},
		{"scp array", token(t, "alice", withClaim("scp", []string{"upload", "download"})), map[string]int{"presign": ok, "presign overwrite": no,
			"direct": ok, "direct overwrite": no, "presign-post": ok, "multipart": ok, "multipart overwrite": no, "presign-get": ok, "batch": ok}},
		{"look-alikes", token(t, "alice", withClaim("scope", "Upload uploads upload:* download:x")), map[string]int{"presign": no,
			"presign overwrite": no, "direct": no, "direct overwrite": no, "presign-post": no, "multipart": no, "multipart overwrite": no, "presign-get": no, "batch": no}},
		{"scope as an object", token(t, "alice", withClaim("scope", map[string]any{"upload": true})), map[string]int{"presign": no,
			"presign overwrite": no, "direct": no, "direct overwrite": no, "presign-post": no, "multipart": no, "multipart overwrite": no, "presign-get": no, "batch": no}},
	} {
		got := routeCalls(t, e, tt.tok)
		for route, want := range tt.want {
			if (got[route] < 400) != (want == ok) || want == no && got[route] != 403 {
				t.Errorf("%s: %s = %d, want %s", tt.name, route, got[route], map[int]string{ok: "success", no: "403"}[want])
			}
		}
	}
	// The refusal is RFC 6750's insufficient_scope, naming the scope.
	r := e.presign(token(t, "alice", withClaim("scope", "upload")), map[string]any{"key": "exampledir/a", "overwrite": true})
	if r.status != 403 || r.errorCode(t) != "insufficient_scope" || r.header.Get("WWW-Authenticate") != `Bearer error="insufficient_scope", scope="upload:overwrite"` {
		t.Fatalf("insufficient scope: %d %s %q", r.status, r.body, r.header.Get("WWW-Authenticate"))
	}
	r = e.call(token(t, "alice", nil), "/v1/presign-get", map[string]any{"key": "exampledir/a"})
	if r.header.Get("WWW-Authenticate") != `Bearer error="insufficient_scope", scope="download"` {
		t.Fatalf("download challenge %q", r.header.Get("WWW-Authenticate"))
	}
}

func TestScopeClaimConfigured(t *testing.T) {
	e := newRoutesEnv(t, options{requireScopes: true, scopeClaim: "permissions"})
	// Auth0 RBAC style: an array under "permissions"; "scope" is ignored.
	if r := e.presign(token(t, "alice", withClaim("permissions", []string{"upload"})), map[string]any{"key": "exampledir/a"}); r.status != 200 {
		t.Fatalf("permissions [upload]: %d %s", r.status, r.body)
	}
	if r := e.presign(token(t, "alice", withClaim("scope", "upload")), map[string]any{"key": "exampledir/a"}); r.status != 403 {
		t.Fatalf("scope claim read though JWT_SCOPE_CLAIM=permissions: %d", r.status)
	}
	if r := e.presign(token(t, "alice", withClaim("permissions", "upload download")), map[string]any{"key": "exampledir/a"}); r.status != 200 {
		t.Fatalf("permissions as a string: %d", r.status)
	}
}

// TestScopesOnMultipartHandles: a handle started with overwrite needs the
// overwrite scope for every later call, and upload scope is checked again.
func TestScopesOnMultipartHandles(t *testing.T) {
	e := newRoutesEnv(t, options{requireScopes: true})
	full := token(t, "alice", withClaim("scope", "upload:overwrite"))
	in := e.initiate(full, map[string]any{"key": "exampledir/ow.bin", "overwrite": true})
	for name, tok := range map[string]string{"upload only": token(t, "alice", withClaim("scope", "upload")), "download only": token(t, "alice", withClaim("scope", "download"))} {
		r := e.call(tok, "/v1/multipart/parts", map[string]any{"handle": in.Handle, "partNumbers": []int{1}})
		if r.status != 403 || r.errorCode(t) != "insufficient_scope" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := e.call(full, "/v1/multipart/abort", map[string]any{"handle": in.Handle}); r.status != 204 {
		t.Errorf("abort with the scope: %d %s", r.status, r.body)
	}
}

type batchResult struct {
	Uploads []struct {
		presigned
		Error *struct{ Code, Message string }
	}
}

func TestBatchPresign(t *testing.T) {
	e := newRoutesEnv(t, options{contentTypes: "text/*,image/*", requireScopes: true})
	tok := token(t, "alice", withClaim("scope", "upload"))
	files := []any{
		map[string]any{"key": "exampledir/batch/a.txt", "contentType": "text/plain"},
		map[string]any{"key": "other/b.txt", "contentType": "text/plain"},
		map[string]any{"key": "exampledir/batch/c.pdf", "contentType": "application/pdf"},
		map[string]any{"key": "exampledir/batch/", "contentType": "image/png", "contentLength": 3},
		map[string]any{"key": "exampledir/batch/d.txt", "contentType": "text/plain", "bogus": 1},
		map[string]any{"key": "exampledir/../e.txt", "contentType": "text/plain"},
		map[string]any{"key": "exampledir/batch/f.txt", "contentType": "text/plain", "overwrite": true},
		"not an object",
		map[string]any{"key": "exampledir/batch/g.txt", "contentLength": 5<<30 + 1, "contentType": "text/plain"},
	}
	res := e.call(tok, "/v1/presign", map[string]any{"files": files})
	if res.status != 200 {
		t.Fatalf("batch: %d %s", res.status, res.body)
	}
	var out batchResult
	res.json(t, &out)
	want := []string{"", "key_outside_prefix", "unsupported_media_type", "", "invalid_request", "invalid_key", "insufficient_scope", "invalid_request", "payload_too_large"}
	if len(out.Uploads) != len(want) {
		t.Fatalf("%d answers for %d files: %s", len(out.Uploads), len(want), res.body)
	}
	for i, code := range want {
		u := out.Uploads[i]
		switch {
		case code == "" && (u.Error != nil || u.URL == "" || u.Method != "PUT"):
			t.Errorf("item %d: %+v, want a presigned PUT", i, u)
		case code != "" && (u.Error == nil || u.Error.Code != code || u.Error.Message == "" || u.URL != ""):
			t.Errorf("item %d: %+v, want error %s", i, u, code)
		}
	}
	// Same order, and each URL works on its own.
	if out.Uploads[0].Key != "exampledir/batch/a.txt" || !strings.HasSuffix(out.Uploads[3].Key, ".png") {
		t.Fatalf("keys %q %q", out.Uploads[0].Key, out.Uploads[3].Key)
	}
	for _, i := range []int{0, 3} {
		u := out.Uploads[i]
		if r := do(t, u.Method, u.URL, u.Headers, []byte("abc")); r.status != 200 {
			t.Fatalf("upload %d: %d %s", i, r.status, r.body)
		}
	}
	// The raw JSON of an error item has only "error".
	var raw struct{ Uploads []map[string]json.RawMessage }
	res.json(t, &raw)
	if len(raw.Uploads[1]) != 1 || raw.Uploads[1]["error"] == nil {
		t.Errorf("error item: %v", raw.Uploads[1])
	}
}

func TestBatchPresignEnvelope(t *testing.T) {
	e := newRoutesEnv(t, options{requireScopes: true})
	tok := token(t, "alice", withClaim("scope", "upload"))
	item := map[string]any{"key": "exampledir/a/" + strings.Repeat("k", 900)}
	hundred := make([]any, 100)
	for i := range hundred {
		hundred[i] = item
	}
	// 100 long keys: well over the 64 KiB single-request bound, within the batch one.
	if r := e.call(tok, "/v1/presign", map[string]any{"files": hundred}); r.status != 200 {
		t.Fatalf("100 files: %d %s", r.status, r.body)
	}
	for name, tt := range map[string]struct {
		body   any
		status int
		code   string
	}{
		"101 files":           {map[string]any{"files": append(hundred, item)}, 400, "invalid_request"},
		"no files":            {map[string]any{"files": []any{}}, 400, "invalid_request"},
		"files and key":       {map[string]any{"files": []any{item}, "key": "exampledir/x"}, 400, "invalid_request"},
		"files and overwrite": {map[string]any{"files": []any{item}, "overwrite": true}, 400, "invalid_request"},
		"files not a list":    {map[string]any{"files": "a,b"}, 400, "invalid_request"},
		"unknown field":       {map[string]any{"files": []any{item}, "extra": 1}, 400, "invalid_request"},
		"over 1 MiB":          {[]byte(`{"files":[{"key":"` + strings.Repeat("a", 1<<20) + `"}]}`), 413, "payload_too_large"},
		"single over 64 KiB":  {map[string]any{"key": "exampledir/a", "metadata": map[string]string{"a": strings.Repeat("v", 70<<10)}}, 413, "payload_too_large"},
	} {
		if r := e.call(tok, "/v1/presign", tt.body); r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("%s: %d %.200s, want %d %s", name, r.status, r.body, tt.status, tt.code)
		}
	}
	// Without the upload scope the whole batch is refused.
	if r := e.call(token(t, "alice", nil), "/v1/presign", map[string]any{"files": []any{item}}); r.status != 403 || r.errorCode(t) != "insufficient_scope" {
		t.Errorf("batch without scope: %d %s", r.status, r.body)
	}
	// A bad token is still the one uniform 401, before anything is read.
	if r := e.call("x.y.z", "/v1/presign", map[string]any{"files": []any{item}}); r.status != 401 {
		t.Errorf("bad token: %d", r.status)
	}
}
