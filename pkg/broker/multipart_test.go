package broker_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/uploadhandle"
)

func (e *env) call(tok, path string, body any) response {
	e.t.Helper()
	b, ok := body.([]byte)
	if !ok {
		b, _ = json.Marshal(body)
	}
	return do(e.t, "POST", e.url+path, map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}, b)
}

type initiated struct {
	UploadID  string
	Bucket    string
	Key       string
	PartSize  int64
	PartCount int64
	Handle    string
	ExpiresAt time.Time
}

type partURLs struct {
	Parts []struct {
		PartNumber    int
		Method        string
		URL           string
		Headers       map[string]string
		ContentLength int64
	}
	ExpiresAt time.Time
}

type stored struct {
	Bucket, Key, ETag, ContentType string
	Size                           int64
}

func (e *env) initiate(tok string, body map[string]any) initiated {
	e.t.Helper()
	res := e.call(tok, "/v1/multipart", body)
	if res.status != 200 {
		e.t.Fatalf("initiate %v: %d %s", body, res.status, res.body)
	}
	var in initiated
	res.json(e.t, &in)
	return in
}

func (e *env) partURLs(tok, handle string, nums ...int) partURLs {
	e.t.Helper()
	res := e.call(tok, "/v1/multipart/parts", map[string]any{"handle": handle, "partNumbers": nums})
	if res.status != 200 {
		e.t.Fatalf("parts %v: %d %s", nums, res.status, res.body)
	}
	var p partURLs
	res.json(e.t, &p)
	return p
}

// uploadParts sends data in parts of partSize through presigned URLs and
// returns the parts list for complete.
func (e *env) uploadParts(tok string, in initiated, data []byte) []map[string]any {
	e.t.Helper()
	var nums []int
	for i := 0; int64(i)*in.PartSize < int64(len(data)); i++ {
		nums = append(nums, i+1)
	}
	urls := e.partURLs(tok, in.Handle, nums...)
	var parts []map[string]any
	for i, p := range urls.Parts {
		if p.PartNumber != nums[i] || p.Method != "PUT" {
			e.t.Fatalf("part %d: %+v", nums[i], p)
		}
		lo := int64(i) * in.PartSize
		hi := min(lo+in.PartSize, int64(len(data)))
		res := do(e.t, p.Method, p.URL, p.Headers, data[lo:hi])
		if res.status != 200 || res.header.Get("ETag") == "" {
			e.t.Fatalf("part %d upload: %d %s", p.PartNumber, res.status, res.body)
		}
		parts = append(parts, map[string]any{"partNumber": p.PartNumber, "etag": res.header.Get("ETag")})
	}
	return parts
}

func randomData(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestMultipartUpload(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	data := randomData(250 << 10)
	in := e.initiate(tok, map[string]any{"key": "exampledir/video/big ü+.mp4", "contentType": "video/mp4",
		"size": len(data), "partSize": 100 << 10, "metadata": map[string]string{"owner": "alice"}})
	if in.UploadID == "" || in.Bucket != bucket || in.Key != "exampledir/video/big ü+.mp4" || in.PartSize != 100<<10 || in.PartCount != 3 || in.Handle == "" {
		t.Fatalf("initiate: %+v", in)
	}
	if d := time.Until(in.ExpiresAt); d < 23*time.Hour || d > 24*time.Hour+time.Second {
		t.Errorf("handle expires in %v, want ~24h", d)
	}
	urls := e.partURLs(tok, in.Handle, 3, 1, 2)
	for i, want := range []struct {
		n    int
		size int64
	}{{3, 51200}, {1, 102400}, {2, 102400}} {
		p := urls.Parts[i]
		// The declared size pins each part's length (the last takes the
		// rest), given as contentLength: headers hold only what a client
		// must and can set, and a browser cannot set Content-Length.
		if p.PartNumber != want.n || p.ContentLength != want.size || len(p.Headers) != 0 {
			t.Errorf("part %d: %+v, want contentLength %d and no headers", want.n, p, want.size)
		}
	}
	if d := time.Until(urls.ExpiresAt); d < 14*time.Minute || d > 15*time.Minute+time.Second {
		t.Errorf("part URLs expire in %v, want PRESIGN_TTL", d)
	}
	// A leaked part URL takes its part's length only.
	if r := do(t, "PUT", urls.Parts[1].URL, nil, data[:1000]); r.status != 403 {
		t.Fatalf("short part body: %d", r.status)
	}
	parts := e.uploadParts(tok, in, data)
	res := e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": parts})
	if res.status != 201 {
		t.Fatalf("complete: %d %s", res.status, res.body)
	}
	var obj stored
	res.json(t, &obj)
	if obj.Bucket != bucket || obj.Key != in.Key || obj.Size != int64(len(data)) || !strings.HasSuffix(obj.ETag, "-3") || obj.ContentType != "video/mp4" {
		t.Fatalf("complete: %+v", obj)
	}
	if loc := res.header.Get("Location"); loc != "/v1/objects/exampledir/video/big%20%C3%BC+.mp4" {
		t.Errorf("Location %q", loc)
	}
	got, meta, err := e.get(in.Key)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored object differs: %v", err)
	}
	if oss.ToString(meta.ContentType) != "video/mp4" || meta.Metadata["owner"] != "alice" && meta.Metadata["Owner"] != "alice" {
		t.Errorf("stored type %q meta %v", oss.ToString(meta.ContentType), meta.Metadata)
	}
	// Completing twice: the upload is gone.
	again := e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": parts})
	if again.status != 404 || again.errorCode(t) != "upload_not_found" {
		t.Fatalf("second complete: %d %s", again.status, again.body)
	}
	// A new upload of the same key: forbid-overwrite unless asked.
	if r := e.call(tok, "/v1/multipart", map[string]any{"key": in.Key, "contentType": "video/mp4"}); r.status != 409 || r.errorCode(t) != "object_exists" {
		t.Fatalf("multipart over an existing key: %d %s", r.status, r.body)
	}
	ow := e.initiate(tok, map[string]any{"key": in.Key, "contentType": "video/mp4", "overwrite": true})
	small := randomData(1000)
	res = e.call(tok, "/v1/multipart/complete", map[string]any{"handle": ow.Handle, "parts": e.uploadParts(tok, ow, small)})
	if res.status != 201 {
		t.Fatalf("overwrite complete: %d %s", res.status, res.body)
	}
	if got, _, _ := e.get(in.Key); !bytes.Equal(got, small) {
		t.Fatal("overwrite did not replace the object")
	}
}

func TestMultipartPlan(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	// A folder gets a generated name; no size: default part size, no count.
	in := e.initiate(tok, map[string]any{"key": "exampledir/big/", "contentType": "image/png"})
	if !strings.HasPrefix(in.Key, "exampledir/big/") || !strings.HasSuffix(in.Key, ".png") || in.PartSize != 8<<20 || in.PartCount != 0 {
		t.Fatalf("folder initiate: %+v", in)
	}
	// Without a size, part URLs are not length-pinned, up to part 10000.
	if p := e.partURLs(tok, in.Handle, 10000); len(p.Parts[0].Headers) != 0 {
		t.Fatalf("unpinned part headers: %v", p.Parts[0].Headers)
	}
	// A size that needs more than 10000 default parts raises the part size
	// to whole MiB.
	big := e.initiate(tok, map[string]any{"key": "exampledir/huge.bin", "size": int64(100) << 30})
	if big.PartSize != 11<<20 || big.PartCount != 9310 {
		t.Fatalf("100 GiB plan: %+v", big)
	}
	for _, tt := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"key": "exampledir/a", "partSize": 100<<10 - 1}, 400, "invalid_request"},
		{map[string]any{"key": "exampledir/a", "partSize": int64(5)<<30 + 1}, 400, "invalid_request"},
		{map[string]any{"key": "exampledir/a", "size": int64(20) << 30, "partSize": 1 << 20}, 400, "invalid_request"},
		{map[string]any{"key": "exampledir/a", "size": 0}, 400, "invalid_request"},
		{map[string]any{"key": "exampledir/a", "size": int64(10000) * (5 << 30) * 2}, 413, "payload_too_large"},
		{map[string]any{"key": "exampledir/a", "contentType": "text/html;;"}, 400, "invalid_request"},
		{map[string]any{"key": ""}, 400, "invalid_request"},
		{map[string]any{"key": "exampledir/a", "uploadId": "x"}, 400, "invalid_request"},
		{map[string]any{"key": "exampledir/a", "metadata": map[string]string{"bad name": "x"}}, 400, "invalid_request"},
	} {
		if r := e.call(tok, "/v1/multipart", tt.body); r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("initiate %v: %d %s, want %d %s", tt.body, r.status, r.body, tt.status, tt.code)
		}
	}
	// Part number rules.
	sized := e.initiate(tok, map[string]any{"key": "exampledir/sized.bin", "size": 300 << 10, "partSize": 100 << 10})
	many := make([]int, 101)
	for i := range many {
		many[i] = i + 1
	}
	for _, nums := range [][]int{{}, {0}, {-1}, {4}, {1, 1}, many} {
		r := e.call(tok, "/v1/multipart/parts", map[string]any{"handle": sized.Handle, "partNumbers": nums})
		if r.status != 400 || r.errorCode(t) != "invalid_request" {
			t.Errorf("partNumbers %v: %d %s", nums, r.status, r.body)
		}
	}
	if r := e.call(tok, "/v1/multipart/parts", map[string]any{"handle": in.Handle, "partNumbers": []int{10001}}); r.status != 400 {
		t.Errorf("part 10001: %d", r.status)
	}
	// expiresIn is clamped to PRESIGN_MAX_TTL, and never outlives the handle.
	r := e.call(tok, "/v1/multipart/parts", map[string]any{"handle": in.Handle, "partNumbers": []int{1}, "expiresIn": 999999})
	var p partURLs
	r.json(t, &p)
	if d := time.Until(p.ExpiresAt); d > time.Hour+time.Second || d < 59*time.Minute {
		t.Errorf("expiresIn 999999 gave %v", d)
	}
}

func TestMultipartCompleteErrors(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	data := randomData(300 << 10)
	in := e.initiate(tok, map[string]any{"key": "exampledir/c.bin", "size": len(data), "partSize": 100 << 10})
	parts := e.uploadParts(tok, in, data)
	complete := func(ps any) response {
		return e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": ps})
	}
	wrongTag := []map[string]any{parts[0], parts[1], {"partNumber": 3, "etag": strings.Repeat("A", 32)}}
	for name, tt := range map[string]struct {
		parts  any
		status int
		code   string
	}{
		"no parts":      {[]any{}, 400, "invalid_request"},
		"repeated part": {[]map[string]any{parts[0], parts[0]}, 400, "invalid_request"},
		"part 0":        {[]map[string]any{{"partNumber": 0, "etag": "AB"}}, 400, "invalid_request"},
		"part 10001":    {[]map[string]any{{"partNumber": 10001, "etag": "AB"}}, 400, "invalid_request"},
		"etag not hex":  {[]map[string]any{{"partNumber": 1, "etag": "<x/>"}}, 400, "invalid_request"},
		"empty etag":    {[]map[string]any{{"partNumber": 1, "etag": ""}}, 400, "invalid_request"},
		"wrong etag":    {wrongTag, 400, "invalid_part"},
		"missing part":  {[]map[string]any{parts[0], parts[1], {"partNumber": 4, "etag": "AB"}}, 400, "invalid_part"},
		"short of size": {parts[:2], 400, "invalid_part"},
		"unknown field": {[]map[string]any{{"partNumber": 1, "etag": "AB", "size": 1}}, 400, "invalid_request"},
		"not a list":    {"1,2,3", 400, "invalid_request"},
		"null parts":    {nil, 400, "invalid_request"},
	} {
		if r := complete(tt.parts); r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("%s: %d %s, want %d %s", name, r.status, r.body, tt.status, tt.code)
		}
	}
	// Parts may be listed in any order, with or without the ETag quotes.
	unquoted := []map[string]any{parts[2], parts[0], parts[1]}
	for _, p := range unquoted {
		p["etag"] = strings.Trim(p["etag"].(string), `"`)
	}
	if r := complete(unquoted); r.status != 201 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}

	// A part under 100 KiB that is not the last: OSS's EntityTooSmall.
	un := e.initiate(tok, map[string]any{"key": "exampledir/small-parts.bin"})
	urls := e.partURLs(tok, un.Handle, 1, 2)
	var small []map[string]any
	for _, p := range urls.Parts {
		r := do(t, "PUT", p.URL, p.Headers, []byte("tiny part"))
		small = append(small, map[string]any{"partNumber": p.PartNumber, "etag": r.header.Get("ETag")})
	}
	if r := e.call(tok, "/v1/multipart/complete", map[string]any{"handle": un.Handle, "parts": small}); r.status != 400 || r.errorCode(t) != "part_too_small" {
		t.Fatalf("small parts: %d %s", r.status, r.body)
	}
	// Abort: 204, then the upload is gone for every call.
	if r := e.call(tok, "/v1/multipart/abort", map[string]any{"handle": un.Handle}); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("abort: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/v1/multipart/abort", "/v1/multipart/complete"} {
		body := map[string]any{"handle": un.Handle}
		if path != "/v1/multipart/abort" {
			body["parts"] = small
		}
		if r := e.call(tok, path, body); r.status != 404 || r.errorCode(t) != "upload_not_found" {
			t.Errorf("%s after abort: %d %s", path, r.status, r.body)
		}
	}
	if keys := e.keys("exampledir/small-parts"); len(keys) != 0 {
		t.Errorf("aborted upload stored %v", keys)
	}
}

// TestMultipartRAMPolicy: with the docs' PutObject-only policy, complete
// cannot list the parts and abort is refused: the deployment needs the
// actions -print-ram-policy prints.
func TestMultipartRAMPolicy(t *testing.T) {
	e := newEnv(t, options{})
	tok := token(t, "alice", nil)
	in := e.initiate(tok, map[string]any{"key": "exampledir/p.bin"})
	if r := e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": []map[string]any{{"partNumber": 1, "etag": "AB"}}}); r.status != 502 {
		t.Errorf("complete without oss:ListParts: %d %s", r.status, r.body)
	}
	if r := e.call(tok, "/v1/multipart/abort", map[string]any{"handle": in.Handle}); r.status != 502 {
		t.Errorf("abort without oss:AbortMultipartUpload: %d %s", r.status, r.body)
	}
}

func TestMultipartDisabled(t *testing.T) {
	e := newRoutesEnv(t, options{noHandles: true})
	tok := token(t, "alice", nil)
	for _, path := range []string{"/v1/multipart", "/v1/multipart/parts", "/v1/multipart/complete", "/v1/multipart/abort"} {
		if r := e.call(tok, path, map[string]any{"key": "exampledir/a"}); r.status != 501 || r.errorCode(t) != "multipart_unavailable" {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	// Other routes are unaffected.
	if r := e.presign(tok, map[string]any{"key": "exampledir/a"}); r.status != 200 {
		t.Errorf("presign: %d", r.status)
	}
}

// sealAs builds a handle with the test deployment's key, as an insider
// (or a bug) might: authentic, but with claims the broker never issued.
func sealAs(t *testing.T, c uploadhandle.Claims) string {
	t.Helper()
	k, _ := uploadhandle.DeriveKey(handleSecret)
	s, _ := uploadhandle.New(k)
	h, err := s.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// subjectDigest is what a handle keeps of its subject.
func subjectDigest(sub string) string {
	d := sha256.Sum256([]byte(sub))
	return base64.RawURLEncoding.EncodeToString(d[:])
}

// macRaw MACs an arbitrary payload the way the handle format does
// (independently of the package): base64url(payload) "." base64url(HMAC).
func macRaw(payload string) string {
	k, _ := uploadhandle.DeriveKey(handleSecret)
	body := base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, k)
	m.Write([]byte("ossbroker.upload-handle.v2." + body))
	return body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// clock is a settable clock for the broker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestHostileHandles: nobody but the caller who started an upload can sign
// its parts, complete or abort it, whatever they do to the handle.
func TestHostileHandles(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newRoutesEnv(t, options{prefix: "exampledir/{sub}/", now: clk.now})
	alice, bob := token(t, "alice", nil), token(t, "bob", nil)
	data := randomData(200 << 10)
	in := e.initiate(alice, map[string]any{"key": "exampledir/alice/doc.bin", "size": len(data), "partSize": 100 << 10})
	body, sig, _ := strings.Cut(in.Handle, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(body)
	retag := func(from, to string) string {
		if !strings.Contains(string(payload), from) {
			t.Fatalf("payload %s lacks %s", payload, from)
		}
		return base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), from, to, 1))) + "." + sig
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 1
		if b[i] == '.' || b[i] >= 0x7f {
			b[i] ^= 3
		}
		return string(b)
	}
	exp := strconv.FormatInt(in.ExpiresAt.Unix(), 10)
	otherKey, _ := uploadhandle.DeriveKey([]byte("another-deployment-secret-0123456789"))
	otherSealer, _ := uploadhandle.New(otherKey)
	otherDeployment, _ := otherSealer.Seal(uploadhandle.Claims{Bucket: bucket, Key: in.Key, UploadID: in.UploadID, Subject: "alice",
		PartSize: in.PartSize, Size: int64(len(data)), Expires: in.ExpiresAt})

	handles := map[string]string{
		"forged MAC":          body + "." + flip(sig, 5),
		"truncated":           in.Handle[:len(in.Handle)-3],
		"body only":           body,
		"empty":               "",
		"garbage":             "not-a-handle",
		"padding":             in.Handle + "==",
		"tampered upload id":  retag(`"u":"`+in.UploadID, `"u":"`+in.UploadID+"X"),
		"tampered key":        retag(`"k":"exampledir/alice/`, `"k":"exampledir/bob/`),
		"tampered subject":    retag(`"s":"`+subjectDigest("alice")+`"`, `"s":"`+subjectDigest("bob")+`"`),
		"tampered expiry":     retag(`"e":`+exp, `"e":9`+exp),
		"wrong version":       macRaw(strings.Replace(string(payload), `"v":2`, `"v":1`, 1)),
		"no version":          macRaw(strings.Replace(string(payload), `"v":2,`, ``, 1)),
		"other deployment":    otherDeployment,
		"other bucket":        sealAs(t, uploadhandle.Claims{Bucket: "otherbucket", Key: in.Key, UploadID: in.UploadID, Subject: "alice", PartSize: 1 << 20, Expires: in.ExpiresAt}),
		"oversized":           strings.Repeat("A", uploadhandle.MaxLen) + "." + sig,
		"percent-encoded dot": strings.Replace(in.Handle, ".", "%2E", 1),
	}
	var message string
	check := func(name, tok, h string) {
		t.Helper()
		for _, path := range []string{"/v1/multipart/parts", "/v1/multipart/complete", "/v1/multipart/abort"} {
			req := map[string]any{"handle": h, "partNumbers": []int{1}, "parts": []map[string]any{{"partNumber": 1, "etag": "AB"}}}
			switch path {
			case "/v1/multipart/parts":
				delete(req, "parts")
			case "/v1/multipart/complete":
				delete(req, "partNumbers")
			default:
				delete(req, "parts")
				delete(req, "partNumbers")
			}
			r := e.call(tok, path, req)
			if r.status != 403 || r.errorCode(t) != "invalid_handle" {
				t.Errorf("%s on %s: %d %s, want 403 invalid_handle", name, path, r.status, r.body)
				continue
			}
			var eb struct{ Error struct{ Message string } }
			r.json(t, &eb)
			if message == "" {
				message = eb.Error.Message
			} else if eb.Error.Message != message {
				t.Errorf("%s: message %q differs from %q: refusals must look alike", name, eb.Error.Message, message)
			}
			if bytes.Contains(r.body, []byte(in.UploadID)) {
				t.Errorf("%s: the answer names the upload id", name)
			}
		}
	}
	for name, h := range handles {
		check(name, alice, h)
	}
	// Another user with alice's genuine handle.
	check("another user's handle", bob, in.Handle)

	// Authentic, alice's subject, but a key outside her folder: the key
	// gate, run again, refuses it.
	inside := sealAs(t, uploadhandle.Claims{Bucket: bucket, Key: "exampledir/bob/doc.bin", UploadID: in.UploadID, Subject: "alice", PartSize: 1 << 20, Expires: in.ExpiresAt})
	if r := e.call(alice, "/v1/multipart/parts", map[string]any{"handle": inside, "partNumbers": []int{1}}); r.status != 403 || r.errorCode(t) != "key_outside_prefix" {
		t.Errorf("handle with a key outside the caller's folder: %d %s", r.status, r.body)
	}

	// None of that touched alice's upload: she finishes it.
	parts := e.uploadParts(alice, in, data)
	if r := e.call(alice, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": parts}); r.status != 201 {
		t.Fatalf("alice completes: %d %s", r.status, r.body)
	}
	if got, _, _ := e.get(in.Key); !bytes.Equal(got, data) {
		t.Fatal("alice's object differs")
	}

	// Expiry: a day later the handle opens nothing, with the same answer.
	in2 := e.initiate(alice, map[string]any{"key": "exampledir/alice/late.bin"})
	clk.add(24*time.Hour + time.Second)
	check("expired", alice, in2.Handle)
	if r := e.call(alice, "/v1/multipart/parts", map[string]any{"handle": in2.Handle, "partNumbers": []int{1}}); r.status != 403 {
		t.Fatalf("expired handle: %d", r.status)
	}
	if strings.Contains(e.logs.String(), in.Handle) || strings.Contains(e.logs.String(), sig) {
		t.Error("a handle reached the logs")
	}
}
