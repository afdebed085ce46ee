package broker_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// uploadRoutePaths are the JSON routes of presign-post, presign-get and
// multipart (their preflights are checked with the others').
var uploadRoutePaths = []string{"/v1/presign-post", "/v1/presign-get", "/v1/multipart", "/v1/multipart/parts",
	"/v1/multipart/complete", "/v1/multipart/abort"}

// uploadRouteSpecCases are real requests to those routes (and a batch
// presign), one for every response the OpenAPI document lists for them;
// TestOpenAPIDescribesEveryResponse sends them and validates each answer.
func uploadRouteSpecCases(t *testing.T) []specCase {
	t.Helper()
	r := newRoutesEnv(t, options{})
	scoped := newRoutesEnv(t, options{requireScopes: true})
	off := newRoutesEnv(t, options{noHandles: true})
	noDownloads := newRoutesEnv(t, options{noDownloads: true})
	down := newRoutesEnv(t, options{endpoint: "http://" + closedAddr(t)})
	noCreds := brokerWithoutCredentials(t)
	tok := token(t, "alice", nil)
	js := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
	anon := map[string]string{"Content-Type": "application/json"}
	text := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "text/plain"}
	j := func(v any) []byte { b, _ := json.Marshal(v); return b }
	big := j(map[string]any{"key": strings.Repeat("k", 65<<10)})
	huge := j(map[string]any{"handle": strings.Repeat("h", 1<<20)})

	// A multipart upload with its parts in OSS, one to abort, and one
	// whose key gets taken before it completes.
	data := randomData(150 << 10)
	in := r.initiate(tok, map[string]any{"key": "exampledir/spec/mp.bin", "size": len(data), "partSize": 100 << 10})
	parts := r.uploadParts(tok, in, data)
	ab := r.initiate(tok, map[string]any{"key": "exampledir/spec/abort.bin"})
	taken := r.initiate(tok, map[string]any{"key": "exampledir/spec/taken.bin"})
	takenParts := r.uploadParts(tok, taken, []byte("first"))
	if res := do(t, "PUT", r.url+"/v1/objects/exampledir/spec/taken.bin", text, []byte("second")); res.status != 201 {
		t.Fatalf("direct upload: %d %s", res.status, res.body)
	}
	forged := in.Handle[:len(in.Handle)-2] + "AA"
	h := func(extra map[string]any) []byte {
		m := map[string]any{"handle": in.Handle}
		for k, v := range extra {
			m[k] = v
		}
		return j(m)
	}
	file := map[string]any{"key": "exampledir/spec/batch.png", "contentType": "image/png"}

	return []specCase{
		{"presign batch", r.url, "POST", "/v1/presign", js, j(map[string]any{"files": []any{file, map[string]any{"key": "other/x"}}}), 200},
		{"presign no scope", scoped.url, "POST", "/v1/presign", js, j(file), 403},

		{"presign-post", r.url, "POST", "/v1/presign-post", js, j(map[string]any{"key": "exampledir/spec/form.txt", "contentType": "text/plain", "maxBytes": 4096, "expiresIn": 60}), 200},
		{"presign-post folder overwrite", r.url, "POST", "/v1/presign-post", js, j(map[string]any{"key": "exampledir/spec/", "overwrite": true}), 200},
		{"presign-post bad key", r.url, "POST", "/v1/presign-post", js, j(map[string]any{"key": "exampledir/${filename}"}), 400},
		{"presign-post no token", r.url, "POST", "/v1/presign-post", anon, j(map[string]any{"key": "exampledir/a"}), 401},
		{"presign-post outside prefix", r.url, "POST", "/v1/presign-post", js, j(map[string]any{"key": "other/a"}), 403},
		{"presign-post no scope", scoped.url, "POST", "/v1/presign-post", js, j(map[string]any{"key": "exampledir/a"}), 403},
		{"presign-post maxBytes too large", r.url, "POST", "/v1/presign-post", js, j(map[string]any{"key": "exampledir/a", "maxBytes": 1 << 40}), 413},
		{"presign-post not JSON", r.url, "POST", "/v1/presign-post", text, []byte("key=a"), 415},
		{"presign-post no credentials", noCreds, "POST", "/v1/presign-post", js, j(map[string]any{"key": "exampledir/a"}), 502},

		{"presign-get", r.url, "POST", "/v1/presign-get", js, j(map[string]any{"key": "exampledir/spec/mp.bin", "expiresIn": 60, "responseContentDisposition": "attachment"}), 200},
		{"presign-get folder", r.url, "POST", "/v1/presign-get", js, j(map[string]any{"key": "exampledir/spec/"}), 400},
		{"presign-get no token", r.url, "POST", "/v1/presign-get", anon, j(map[string]any{"key": "exampledir/a"}), 401},
		{"presign-get disabled", noDownloads.url, "POST", "/v1/presign-get", js, j(map[string]any{"key": "exampledir/a"}), 404},
		{"presign-get outside prefix", r.url, "POST", "/v1/presign-get", js, j(map[string]any{"key": "other/a"}), 403},
		{"presign-get no scope", scoped.url, "POST", "/v1/presign-get", js, j(map[string]any{"key": "exampledir/a"}), 403},
		{"presign-get too large", r.url, "POST", "/v1/presign-get", js, big, 413},
		{"presign-get not JSON", r.url, "POST", "/v1/presign-get", text, []byte("key=a"), 415},
		{"presign-get no credentials", noCreds, "POST", "/v1/presign-get", js, j(map[string]any{"key": "exampledir/a"}), 502},

		{"multipart", r.url, "POST", "/v1/multipart", js, j(map[string]any{"key": "exampledir/spec/", "contentType": "video/mp4", "size": 1 << 30,
			"overwrite": true, "metadata": map[string]string{"owner": "alice"}}), 200},
		{"multipart bad part size", r.url, "POST", "/v1/multipart", js, j(map[string]any{"key": "exampledir/a", "partSize": 1}), 400},
		{"multipart no token", r.url, "POST", "/v1/multipart", anon, j(map[string]any{"key": "exampledir/a"}), 401},
		{"multipart outside prefix", r.url, "POST", "/v1/multipart", js, j(map[string]any{"key": "other/a"}), 403},
		{"multipart exists", r.url, "POST", "/v1/multipart", js, j(map[string]any{"key": "exampledir/spec/taken.bin"}), 409},
		{"multipart size too large", r.url, "POST", "/v1/multipart", js, j(map[string]any{"key": "exampledir/a", "size": int64(1) << 60}), 413},
		{"multipart not JSON", r.url, "POST", "/v1/multipart", text, []byte("key=a"), 415},
		{"multipart off", off.url, "POST", "/v1/multipart", js, j(map[string]any{"key": "exampledir/a"}), 501},
		{"multipart storage down", down.url, "POST", "/v1/multipart", js, j(map[string]any{"key": "exampledir/a"}), 502},

		{"parts", r.url, "POST", "/v1/multipart/parts", js, h(map[string]any{"partNumbers": []int{1, 2}, "expiresIn": 60}), 200},
		{"parts bad number", r.url, "POST", "/v1/multipart/parts", js, h(map[string]any{"partNumbers": []int{0}}), 400},
		{"parts no token", r.url, "POST", "/v1/multipart/parts", anon, h(map[string]any{"partNumbers": []int{1}}), 401},
		{"parts forged handle", r.url, "POST", "/v1/multipart/parts", js, j(map[string]any{"handle": forged, "partNumbers": []int{1}}), 403},
		{"parts too large", r.url, "POST", "/v1/multipart/parts", js, big, 413},
		{"parts not JSON", r.url, "POST", "/v1/multipart/parts", text, []byte("handle=a"), 415},
		{"parts off", off.url, "POST", "/v1/multipart/parts", js, h(map[string]any{"partNumbers": []int{1}}), 501},
		{"parts no credentials", noCreds, "POST", "/v1/multipart/parts", js, h(map[string]any{"partNumbers": []int{1}}), 502},

		{"complete wrong etag", r.url, "POST", "/v1/multipart/complete", js, h(map[string]any{"parts": []map[string]any{{"partNumber": 1, "etag": strings.Repeat("0", 32)}}}), 400},
		{"complete no token", r.url, "POST", "/v1/multipart/complete", anon, h(map[string]any{"parts": parts}), 401},
		{"complete forged handle", r.url, "POST", "/v1/multipart/complete", js, j(map[string]any{"handle": forged, "parts": parts}), 403},
		{"complete too large", r.url, "POST", "/v1/multipart/complete", js, huge, 413},
		{"complete not JSON", r.url, "POST", "/v1/multipart/complete", text, []byte("handle=a"), 415},
		{"complete off", off.url, "POST", "/v1/multipart/complete", js, h(map[string]any{"parts": parts}), 501},
		{"complete storage down", down.url, "POST", "/v1/multipart/complete", js, h(map[string]any{"parts": parts}), 502},
		{"complete", r.url, "POST", "/v1/multipart/complete", js, h(map[string]any{"parts": parts}), 201},
		{"complete again", r.url, "POST", "/v1/multipart/complete", js, h(map[string]any{"parts": parts}), 404},
		{"complete key taken", r.url, "POST", "/v1/multipart/complete", js, j(map[string]any{"handle": taken.Handle, "parts": takenParts}), 409},

		{"abort bad JSON", r.url, "POST", "/v1/multipart/abort", js, []byte(`{"handle":`), 400},
		{"abort no token", r.url, "POST", "/v1/multipart/abort", anon, j(map[string]any{"handle": ab.Handle}), 401},
		{"abort forged handle", r.url, "POST", "/v1/multipart/abort", js, j(map[string]any{"handle": forged}), 403},
		{"abort too large", r.url, "POST", "/v1/multipart/abort", js, big, 413},
		{"abort not JSON", r.url, "POST", "/v1/multipart/abort", text, []byte("handle=a"), 415},
		{"abort off", off.url, "POST", "/v1/multipart/abort", js, j(map[string]any{"handle": ab.Handle}), 501},
		{"abort storage down", down.url, "POST", "/v1/multipart/abort", js, j(map[string]any{"handle": ab.Handle}), 502},
		{"abort", r.url, "POST", "/v1/multipart/abort", js, j(map[string]any{"handle": ab.Handle}), 204},
		{"abort again", r.url, "POST", "/v1/multipart/abort", js, j(map[string]any{"handle": ab.Handle}), 404},
	}
}
