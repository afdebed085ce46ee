package broker_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// uploadRoutePaths are the JSON routes of presign-post, presign-get and
// multipart (their preflights are checked with the others').
var uploadRoutePaths = []string{"/v1/presign-post", "/v1/presign-get", "/v1/multipart", "/v1/multipart/parts",
	"/v1/multipart/complete", "/v1/multipart/abort", "/v1/multipart/list", "/v1/uppy/sign"}

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

	// Uppy 6's S3-shaped front: an upload started through it, with one part.
	images := newRoutesEnv(t, options{contentTypes: "image/*"})
	au := map[string]string{"Authorization": "Bearer " + tok}
	mp4 := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "video/mp4"}
	xmlCT := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/xml"}
	uppy := r.initiate(tok, map[string]any{"key": "exampledir/spec/uppy.bin"})
	uppyParts := r.uploadParts(tok, uppy, []byte("uppy's bytes"))
	uppyXML := []byte(fmt.Sprintf("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>", uppyParts[0]["etag"]))
	uppyTaken := r.initiate(tok, map[string]any{"key": "exampledir/spec/uppy-taken.bin"})
	uppyTakenParts := r.uploadParts(tok, uppyTaken, []byte("first"))
	if res := do(t, "PUT", r.url+"/v1/objects/exampledir/spec/uppy-taken.bin", text, []byte("second")); res.status != 201 {
		t.Fatalf("direct upload: %d %s", res.status, res.body)
	}
	uppyTakenXML := []byte(fmt.Sprintf("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>", uppyTakenParts[0]["etag"]))
	uppyAbort := r.initiate(tok, map[string]any{"key": "exampledir/spec/uppy-abort.bin"})
	// With inspection on, an upload whose bytes are not its declared type.
	insp := newEnv(t, options{callbacks: true})
	fake := insp.initiate(tok, map[string]any{"key": "exampledir/spec/fake.png", "contentType": "image/png"})
	fakeParts := insp.uploadParts(tok, fake, []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"))
	fakeXML := []byte(fmt.Sprintf("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>", fakeParts[0]["etag"]))
	s3 := func(handle string) string { return "/v1/uppy/s3?uploadId=" + url.QueryEscape(handle) }
	sign := func(m map[string]any) []byte { return j(m) }

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

		{"list", r.url, "POST", "/v1/multipart/list", js, j(map[string]any{"handle": uppy.Handle}), 200},
		{"list bad JSON", r.url, "POST", "/v1/multipart/list", js, []byte(`{"handle":`), 400},
		{"list no token", r.url, "POST", "/v1/multipart/list", anon, j(map[string]any{"handle": uppy.Handle}), 401},
		{"list forged handle", r.url, "POST", "/v1/multipart/list", js, j(map[string]any{"handle": forged}), 403},
		{"list aborted", r.url, "POST", "/v1/multipart/list", js, j(map[string]any{"handle": ab.Handle}), 404},
		{"list too large", r.url, "POST", "/v1/multipart/list", js, big, 413},
		{"list not JSON", r.url, "POST", "/v1/multipart/list", text, []byte("handle=a"), 415},
		{"list off", off.url, "POST", "/v1/multipart/list", js, j(map[string]any{"handle": uppy.Handle}), 501},
		{"list storage down", down.url, "POST", "/v1/multipart/list", js, j(map[string]any{"handle": uppy.Handle}), 502},

		{"uppy sign put", r.url, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "PUT", "key": "exampledir/spec/u.png", "contentType": "image/png"}), 200},
		{"uppy sign create", r.url, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "POST", "key": "exampledir/spec/u.bin", "overwrite": true}), 200},
		{"uppy sign part", r.url, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "PUT", "key": uppy.Key, "uploadId": uppy.Handle, "partNumber": 2}), 200},
		{"uppy sign list", r.url, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "GET", "key": uppy.Key, "uploadId": uppy.Handle}), 200},
		{"uppy sign delete object", r.url, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "DELETE", "key": "exampledir/spec/u.png"}), 400},
		{"uppy sign no token", r.url, "POST", "/v1/uppy/sign", anon, sign(map[string]any{"method": "PUT", "key": "exampledir/a"}), 401},
		{"uppy sign outside prefix", r.url, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "POST", "key": "other/a"}), 403},
		{"uppy sign forged handle", r.url, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "PUT", "key": uppy.Key, "uploadId": forged, "partNumber": 1}), 403},
		{"uppy sign too large", r.url, "POST", "/v1/uppy/sign", js, big, 413},
		{"uppy sign refused type", images.url, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "PUT", "key": "exampledir/a", "contentType": "text/plain"}), 415},
		{"uppy sign off", off.url, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "POST", "key": "exampledir/a"}), 501},
		{"uppy sign no credentials", noCreds, "POST", "/v1/uppy/sign", js, sign(map[string]any{"method": "PUT", "key": "exampledir/a"}), 502},

		{"uppy create", r.url, "POST", "/v1/uppy/s3?key=exampledir%2Fspec%2Fu.mp4", mp4, nil, 200},
		{"uppy create no key", r.url, "POST", "/v1/uppy/s3", mp4, nil, 400},
		{"uppy create no token", r.url, "POST", "/v1/uppy/s3?key=exampledir%2Fspec%2Fu.mp4", map[string]string{"Content-Type": "video/mp4"}, nil, 401},
		{"uppy create outside prefix", r.url, "POST", "/v1/uppy/s3?key=other%2Fu.mp4", mp4, nil, 403},
		{"uppy create exists", r.url, "POST", "/v1/uppy/s3?key=exampledir%2Fspec%2Ftaken.bin", mp4, nil, 409},
		{"uppy create refused type", images.url, "POST", "/v1/uppy/s3?key=exampledir%2Fspec%2Fu.mp4", mp4, nil, 415},
		{"uppy create off", off.url, "POST", "/v1/uppy/s3?key=exampledir%2Fspec%2Fu.mp4", mp4, nil, 501},
		{"uppy create storage down", down.url, "POST", "/v1/uppy/s3?key=exampledir%2Fspec%2Fu.mp4", mp4, nil, 502},
		{"uppy list", r.url, "GET", s3(uppy.Handle), au, nil, 200},
		{"uppy list no handle", r.url, "GET", "/v1/uppy/s3", au, nil, 400},
		{"uppy list no token", r.url, "GET", s3(uppy.Handle), nil, nil, 401},
		{"uppy list forged handle", r.url, "GET", s3(forged), au, nil, 403},
		{"uppy list aborted", r.url, "GET", s3(ab.Handle), au, nil, 404},
		{"uppy list off", off.url, "GET", s3(uppy.Handle), au, nil, 501},
		{"uppy list storage down", down.url, "GET", s3(uppy.Handle), au, nil, 502},
		{"uppy complete too large", r.url, "POST", s3(uppy.Handle), xmlCT, make([]byte, 1<<20+1), 413},
		{"uppy complete not XML", r.url, "POST", s3(uppy.Handle), xmlCT, []byte("{}"), 400},
		{"uppy complete key taken", r.url, "POST", s3(uppyTaken.Handle), xmlCT, uppyTakenXML, 409},
		{"uppy complete", r.url, "POST", s3(uppy.Handle), xmlCT, uppyXML, 200},
		{"uppy complete rejected by inspection", insp.url, "POST", s3(fake.Handle), xmlCT, fakeXML, 422},
		{"uppy complete again", r.url, "POST", s3(uppy.Handle), xmlCT, uppyXML, 404},
		{"uppy abort no handle", r.url, "DELETE", "/v1/uppy/s3", au, nil, 400},
		{"uppy abort no token", r.url, "DELETE", s3(uppyAbort.Handle), nil, nil, 401},
		{"uppy abort forged handle", r.url, "DELETE", s3(forged), au, nil, 403},
		{"uppy abort off", off.url, "DELETE", s3(uppyAbort.Handle), au, nil, 501},
		{"uppy abort storage down", down.url, "DELETE", s3(uppyAbort.Handle), au, nil, 502},
		{"uppy abort", r.url, "DELETE", s3(uppyAbort.Handle), au, nil, 204},
		{"uppy abort again", r.url, "DELETE", s3(uppyAbort.Handle), au, nil, 404},
		{"uppy PUT", r.url, "PUT", s3(uppyAbort.Handle), au, nil, 405},
	}
}
