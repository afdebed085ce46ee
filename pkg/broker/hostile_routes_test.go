package broker_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestKeyAttacksOnNewRoutes sends hostile keys through the FC adapter to
// every route that takes a key: presign-post, presign-get, multipart
// initiate and a batch item. Each is judged by the same key gate.
func TestKeyAttacksOnNewRoutes(t *testing.T) {
	e := newRoutesEnv(t, options{prefix: "exampledir/{sub}/"})
	tok := token(t, "alice", nil)
	keys := []struct {
		name, key string
		status    int
	}{
		{"dot-dot segment", "exampledir/alice/../bob/x", 400},
		{"dot segment", "exampledir/alice/./x", 400},
		{"backslash", `exampledir/alice\..\bob\x`, 400},
		{"double slash", "exampledir/alice//x", 400},
		{"leading slash", "/exampledir/alice/x", 400},
		{"NUL", "exampledir/alice/a\x00b", 400},
		{"CR LF", "exampledir/alice/a\r\nx-oss-meta-evil: 1", 400},
		{"bidi override", "exampledir/alice/a\u202egnp.exe", 400},
		{"full-width dots", "exampledir/alice/\uff0e\uff0e/x", 400},
		{"zero-width space between dots", "exampledir/alice/.\u200b./x", 400},
		{"NFKC c/o", "exampledir/alice/\u2105x", 400},
		{"NFKC digit full stop", "exampledir/alice/\u2488/x", 400},
		{"replacement character", "exampledir/alice/a\ufffd", 400},
		{"1024 bytes", "exampledir/alice/" + strings.Repeat("k", 1024-len("exampledir/alice/")), 400},
		{"other user", "exampledir/bob/x", 403},
		{"prefix boundary", "exampledir/alice2/x", 403},
		{"no folder", "exampledir/x", 403},
		{"outside", "other/x", 403},
		{"encoded stays literal", "exampledir/alice/%2e%2e/x", 200},
	}
	routes := []struct {
		path string
		body func(key string) map[string]any
		ok   int
	}{
		{"/v1/presign-post", func(k string) map[string]any { return map[string]any{"key": k, "contentType": "text/plain"} }, 200},
		{"/v1/presign-get", func(k string) map[string]any { return map[string]any{"key": k} }, 200},
		{"/v1/multipart", func(k string) map[string]any { return map[string]any{"key": k} }, 200},
	}
	auth := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
	for _, rt := range routes {
		for _, k := range keys {
			b, _ := json.Marshal(rt.body(k.key))
			res := invokeFC(t, e.handler, "POST", rt.path, auth, string(b))
			if res.StatusCode != k.status {
				t.Errorf("%s %s (%q): %d %s, want %d", rt.path, k.name, k.key, res.StatusCode, res.Body, k.status)
			}
		}
	}
	// The same keys as batch items: each refused on its own, in order.
	var files []map[string]any
	for _, k := range keys {
		files = append(files, map[string]any{"key": k.key})
	}
	b, _ := json.Marshal(map[string]any{"files": files})
	res := invokeFC(t, e.handler, "POST", "/v1/presign", auth, string(b))
	var out batchResult
	if res.StatusCode != 200 || json.Unmarshal([]byte(res.Body), &out) != nil || len(out.Uploads) != len(keys) {
		t.Fatalf("batch: %d %s", res.StatusCode, res.Body)
	}
	for i, k := range keys {
		u := out.Uploads[i]
		wantCode := map[int]string{400: "invalid_key", 403: "key_outside_prefix", 200: ""}[k.status]
		if (u.Error == nil) != (wantCode == "") || u.Error != nil && u.Error.Code != wantCode {
			t.Errorf("batch item %s: %+v, want %q", k.name, u, wantCode)
		}
	}
	// Invalid UTF-8 in any body is refused, never repaired.
	for _, rt := range routes {
		res := invokeFC(t, e.handler, "POST", rt.path, auth, `{"key":"exampledir/alice/a`+"\xff"+`b"}`)
		if res.StatusCode != 400 {
			t.Errorf("%s invalid UTF-8: %d", rt.path, res.StatusCode)
		}
	}
	// Only the literal double-encoded key made it anywhere in OSS (as an
	// in-progress multipart upload, which leaves no object).
	if stored := e.keys(""); len(stored) != 0 {
		t.Errorf("objects stored: %q", stored)
	}
}

// TestNewRoutesMethodsAndBodies: POST only, JSON only, strict decoding, and
// the uniform 401 before anything else.
func TestNewRoutesMethodsAndBodies(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	for _, path := range []string{"/v1/presign-post", "/v1/presign-get", "/v1/multipart", "/v1/multipart/parts", "/v1/multipart/complete", "/v1/multipart/abort"} {
		if r := do(t, "GET", e.url+path, map[string]string{"Authorization": "Bearer " + tok}, nil); r.status != 405 || r.header.Get("Allow") != "POST" {
			t.Errorf("GET %s: %d allow %q", path, r.status, r.header.Get("Allow"))
		}
		if r := do(t, "POST", e.url+path, map[string]string{"Content-Type": "application/json"}, []byte(`{}`)); r.status != 401 || r.errorCode(t) != "unauthorized" {
			t.Errorf("POST %s without token: %d", path, r.status)
		}
		if r := do(t, "POST", e.url+path, map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "text/plain"}, []byte(`{}`)); r.status != 415 {
			t.Errorf("POST %s as text/plain: %d", path, r.status)
		}
		for _, body := range []string{`{"handle":"x"}{}`, `[]`, `{"handle":1}`, `{"nope":true}`, ``} {
			if r := do(t, "POST", e.url+path, map[string]string{"Authorization": "Bearer " + tok}, []byte(body)); r.status != 400 {
				t.Errorf("POST %s %q: %d %s", path, body, r.status, r.body)
			}
		}
		if r := do(t, "POST", e.url+path+"/", map[string]string{"Authorization": "Bearer " + tok}, []byte(`{}`)); r.status != 404 {
			t.Errorf("POST %s/: %d", path, r.status)
		}
	}
}
