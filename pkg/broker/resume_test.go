package broker_test

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestMultipartPartSizeContract: a client whose part length differs from
// the upload's plan (Uppy's 5 MiB chunks against the broker's 8 MiB parts)
// gets a 400 that names both lengths before anything reaches OSS, never a
// SignatureDoesNotMatch from OSS; without a declared size, contentLength
// pins the URL to the client's own part length.
func TestMultipartPartSizeContract(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	data := randomData(250 << 10)
	in := e.initiate(tok, map[string]any{"key": "exampledir/contract.bin", "size": len(data), "partSize": 100 << 10})

	for _, tc := range []struct {
		name   string
		nums   []int
		length int64
		status int
		code   string
	}{
		{"the plan's length", []int{1, 2}, 100 << 10, 200, ""},
		{"the last part's rest", []int{3}, 50 << 10, 200, ""},
		{"a client's own chunk size", []int{1}, 120 << 10, 400, "part_size_mismatch"},
		{"the full size for the last part", []int{3}, 100 << 10, 400, "part_size_mismatch"},
		{"zero", []int{1}, 0, 400, "invalid_request"},
		{"over OSS's part limit", []int{1}, 5<<30 + 1, 400, "invalid_request"},
	} {
		res := e.call(tok, "/v1/multipart/parts", map[string]any{"handle": in.Handle, "partNumbers": tc.nums, "contentLength": tc.length})
		if res.status != tc.status || tc.code != "" && !strings.Contains(string(res.body), `"code":"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, res.status, res.body, tc.status, tc.code)
		}
		if tc.code == "part_size_mismatch" && !strings.Contains(string(res.body), fmt.Sprint(tc.length)) {
			t.Errorf("%s: the message does not name the length asked for: %s", tc.name, res.body)
		}
	}

	// No declared size: the client's contentLength pins each URL to it.
	free := e.initiate(tok, map[string]any{"key": "exampledir/free.bin"})
	res := e.call(tok, "/v1/multipart/parts", map[string]any{"handle": free.Handle, "partNumbers": []int{1}, "contentLength": 120 << 10})
	var urls partURLs
	res.json(t, &urls)
	p := urls.Parts[0]
	if res.status != 200 || p.ContentLength != 120<<10 || len(p.Headers) != 0 {
		t.Fatalf("pinned part: %d %s", res.status, res.body)
	}
	if got := do(t, p.Method, p.URL, p.Headers, data[:100<<10]); got.status != 403 {
		t.Errorf("a shorter body than the pinned length: OSS answered %d, want 403", got.status)
	}
	if got := do(t, p.Method, p.URL, p.Headers, data[:120<<10]); got.status != 200 {
		t.Errorf("the pinned length: OSS answered %d %s", got.status, got.body)
	}
}

type listed struct {
	Bucket, Key    string
	PartSize, Size int64
	Parts          []struct {
		PartNumber int
		ETag       string
		Size       int64
	}
}

// TestMultipartListResumes: a client that lost its state lists the parts
// OSS holds, sends only the missing one, and completes; only the handle's
// owner may list.
func TestMultipartListResumes(t *testing.T) {
	e := newRoutesEnv(t, options{})
	alice, bob := token(t, "alice", nil), token(t, "bob", nil)
	data := randomData(250 << 10)
	in := e.initiate(alice, map[string]any{"key": "exampledir/resume.bin", "size": len(data), "partSize": 100 << 10})
	urls := e.partURLs(alice, in.Handle, 1, 3)
	for i, lo := range []int{0, 200 << 10} {
		p := urls.Parts[i]
		if res := do(t, p.Method, p.URL, p.Headers, data[lo:min(lo+100<<10, len(data))]); res.status != 200 {
			t.Fatalf("part %d: %d %s", p.PartNumber, res.status, res.body)
		}
	}

	res := e.call(alice, "/v1/multipart/list", map[string]any{"handle": in.Handle})
	var l listed
	res.json(t, &l)
	if res.status != 200 || l.Key != in.Key || l.PartSize != 100<<10 || l.Size != int64(len(data)) || len(l.Parts) != 2 ||
		l.Parts[0].PartNumber != 1 || l.Parts[0].Size != 100<<10 || l.Parts[1].PartNumber != 3 || l.Parts[1].Size != 50<<10 {
		t.Fatalf("list: %d %s", res.status, res.body)
	}
	if res := e.call(bob, "/v1/multipart/list", map[string]any{"handle": in.Handle}); res.status != 403 {
		t.Errorf("bob listed alice's upload: %d %s", res.status, res.body)
	}

	// Resume: only part 2 is sent again.
	p := e.partURLs(alice, in.Handle, 2).Parts[0]
	put := do(t, p.Method, p.URL, p.Headers, data[100<<10:200<<10])
	if put.status != 200 {
		t.Fatalf("part 2: %d %s", put.status, put.body)
	}
	parts := []map[string]any{{"partNumber": 1, "etag": l.Parts[0].ETag}, {"partNumber": 2, "etag": put.header.Get("ETag")},
		{"partNumber": 3, "etag": l.Parts[1].ETag}}
	if res := e.call(alice, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": parts}); res.status != 201 {
		t.Fatalf("complete: %d %s", res.status, res.body)
	}
	got, _, err := e.get(in.Key)
	if err != nil || string(got) != string(data) {
		t.Fatalf("stored %d bytes (%v), want the %d sent", len(got), err, len(data))
	}
}

// TestUppy6Front drives /v1/uppy/sign and /v1/uppy/s3 the way @uppy/aws-s3
// 6 does (sign, then send the request to the URL with the headers given):
// the object is stored exactly; the upload id Uppy holds is bound to its
// caller; a key outside the prefix and an overwrite are refused; the parts
// add up under the multipart limit.
func TestUppy6Front(t *testing.T) {
	e := newRoutesEnv(t, options{})
	alice, bob := token(t, "alice", nil), token(t, "bob", nil)
	sign := func(tok string, req map[string]any) (int, map[string]any) {
		t.Helper()
		res := e.call(tok, "/v1/uppy/sign", req)
		if strings.Contains(string(res.body), tok) {
			t.Errorf("the sign answer echoes the caller's token: %s", res.body)
		}
		var out map[string]any
		res.json(t, &out)
		return res.status, out
	}
	// send is the README glue: a broker path (relative URL) gets the
	// caller's token, an OSS URL only the signed headers.
	send := func(method string, signed map[string]any, ct string, body []byte) response {
		t.Helper()
		u, err := url.Parse(e.url)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := u.Parse(signed["url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		h := map[string]string{}
		if ct != "" {
			h["Content-Type"] = ct
		}
		for k, v := range signed["headers"].(map[string]any) {
			h[k] = v.(string)
		}
		if ref.Host == u.Host {
			h["Authorization"] = "Bearer " + alice
		}
		return do(t, method, ref.String(), h, body)
	}

	status, created := sign(alice, map[string]any{"method": "POST", "key": "exampledir/uppy/movie.mp4"})
	if status != 200 || !strings.HasPrefix(created["url"].(string), "/v1/uppy/s3?") || created["key"] != "exampledir/uppy/movie.mp4" {
		t.Fatalf("sign create: %d %v", status, created)
	}
	res := send("POST", created, "video/mp4", nil)
	var init struct{ Key, UploadId string }
	if err := xml.Unmarshal(res.body, &init); res.status != 200 || err != nil || init.UploadId == "" {
		t.Fatalf("create: %d %s", res.status, res.body)
	}

	data := randomData(150 << 10)
	var etags []string
	for n, chunk := range [][]byte{data[:100<<10], data[100<<10:]} {
		status, part := sign(alice, map[string]any{"method": "PUT", "key": init.Key, "uploadId": init.UploadId, "partNumber": n + 1})
		if status != 200 || !strings.HasPrefix(part["url"].(string), "http") {
			t.Fatalf("sign part %d: %d %v", n+1, status, part)
		}
		put := send("PUT", part, "", chunk)
		if put.status != 200 {
			t.Fatalf("part %d: %d %s", n+1, put.status, put.body)
		}
		etags = append(etags, put.header.Get("ETag"))
	}
	// Bob cannot act on alice's upload id, whatever he asks for.
	for _, m := range []string{"PUT", "GET", "POST", "DELETE"} {
		if status, out := sign(bob, map[string]any{"method": m, "key": init.Key, "uploadId": init.UploadId, "partNumber": 1}); status != 403 {
			t.Errorf("bob signed %s on alice's upload: %d %v", m, status, out)
		}
	}
	if res := do(t, "DELETE", e.url+"/v1/uppy/s3?uploadId="+url.QueryEscape(init.UploadId), map[string]string{"Authorization": "Bearer " + bob}, nil); res.status != 403 {
		t.Errorf("bob aborted alice's upload: %d %s", res.status, res.body)
	}
	// A key outside the prefix is refused before anything is sent.
	if status, out := sign(alice, map[string]any{"method": "POST", "key": "otherdir/x.mp4"}); status != 403 {
		t.Errorf("sign create outside the prefix: %d %v", status, out)
	}

	_, list := sign(alice, map[string]any{"method": "GET", "key": init.Key, "uploadId": init.UploadId})
	res = send("GET", list, "", nil)
	var lp struct {
		Part []struct {
			PartNumber int
			ETag       string
		}
	}
	if err := xml.Unmarshal(res.body, &lp); res.status != 200 || err != nil || len(lp.Part) != 2 || lp.Part[1].ETag != etags[1] {
		t.Fatalf("list parts: %d %s (want ETags %v)", res.status, res.body, etags)
	}

	_, done := sign(alice, map[string]any{"method": "POST", "key": init.Key, "uploadId": init.UploadId})
	doc := "<CompleteMultipartUpload>"
	for i, et := range etags {
		doc += fmt.Sprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, et)
	}
	res = send("POST", done, "application/xml", []byte(doc+"</CompleteMultipartUpload>"))
	var fin struct{ Location, Key, ETag string }
	if err := xml.Unmarshal(res.body, &fin); res.status != 200 || err != nil || fin.Key != init.Key || !strings.HasSuffix(fin.Location, "/exampledir/uppy/movie.mp4") {
		t.Fatalf("complete: %d %s", res.status, res.body)
	}
	got, obj, err := e.get(init.Key)
	if err != nil || string(got) != string(data) || *obj.ContentType != "video/mp4" {
		t.Fatalf("stored %d bytes (%v), want the %d sent as video/mp4", len(got), err, len(data))
	}
	// The same key again: overwrite protection holds (OSS refuses to
	// start an upload with x-oss-forbid-overwrite on a stored key).
	_, again := sign(alice, map[string]any{"method": "POST", "key": init.Key})
	if res := send("POST", again, "video/mp4", nil); res.status != 409 {
		t.Errorf("a second upload to a stored key: %d %s, want 409", res.status, res.body)
	}
}
