package broker_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/osscallback"
	"github.com/ossbroker/ossbroker/pkg/uploadticket"
)

func pngBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const htmlBytes = "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"

// receipt is the JSON OSS relays from the callback route.
type receipt struct {
	Bucket, Key, ETag, CRC64, DeclaredType, DetectedType, Verdict, Reason, Action string
	Size                                                                          int64
}

// presignAndPut presigns key as contentType and PUTs body to OSS with
// exactly the returned headers, as an uploader does.
func (e *env) presignAndPut(tok, key, contentType string, body []byte) response {
	e.t.Helper()
	res := e.presign(tok, map[string]any{"key": key, "contentType": contentType})
	if res.status != 200 {
		e.t.Fatalf("presign: %d %s", res.status, res.body)
	}
	var p presigned
	res.json(e.t, &p)
	return do(e.t, p.Method, p.URL, p.Headers, body)
}

func (e *env) exists(key string) bool {
	_, err := e.oss.HeadObject(context.Background(), &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	return err == nil
}

// testTickets seals tickets with the key the test broker derives from
// handleSecret.
func testTickets(t *testing.T) *uploadticket.Sealer {
	t.Helper()
	k, err := uploadticket.DeriveKey(handleSecret)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := uploadticket.New(k)
	return s
}

// ticketFor is a ticket as the broker seals it for alice's upload of key.
func ticketFor(t *testing.T, key, upload string) string {
	t.Helper()
	tk, err := testTickets(t).Seal(uploadticket.Claims{Bucket: bucket, Key: key, Subject: "alice", ContentType: "image/png",
		Pinned: -1, MaxSize: 1 << 20, Upload: upload, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// putPinned stores body at key as the owner, with upload id pinned as the
// broker pins it, and returns the ETag.
func (e *env) putPinned(key, contentType string, body []byte, upload string) string {
	e.t.Helper()
	res, err := e.oss.PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key),
		ContentType: oss.Ptr(contentType), Metadata: map[string]string{notify.UploadMeta: upload}, Body: bytes.NewReader(body)})
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.Trim(oss.ToString(res.ETag), `"`)
}

// callbackJSON is a callback body as OSS fills the broker's template.
func callbackJSON(b, key, etag, ticket string) []byte {
	js, _ := json.Marshal(map[string]any{"bucket": b, "key": key, "etag": etag, "size": 10, "mimeType": "image/png",
		"crc64": "1", "ticket": ticket})
	return js
}

func TestCallbackPresignedPut(t *testing.T) {
	e := newEnv(t, options{callbacks: true})
	tok := token(t, "alice", nil)

	// The presign answer lists the callback headers: they are signed.
	res := e.presign(tok, map[string]any{"key": "exampledir/cb/a.png", "contentType": "image/png"})
	var p presigned
	res.json(t, &p)
	cb, _ := base64.StdEncoding.DecodeString(p.Headers["x-oss-callback"])
	vars, _ := base64.StdEncoding.DecodeString(p.Headers["x-oss-callback-var"])
	var v map[string]string
	json.Unmarshal(vars, &v)
	tk, err := testTickets(t).Open(v["x:ticket"], time.Now())
	if !strings.Contains(string(cb), `"callbackUrl":"`+e.url+`/v1/callbacks/oss"`) || err != nil || len(v) != 1 ||
		tk.Subject != "alice" || tk.Key != "exampledir/cb/a.png" || tk.Upload != p.Headers["x-oss-meta-"+notify.UploadMeta] {
		t.Fatalf("callback headers: %s / %s (%v)", cb, vars, err)
	}
	// Without them, or changed, OSS refuses the upload.
	h := map[string]string{}
	for k, v := range p.Headers {
		h[k] = v
	}
	h["x-oss-callback-var"] = base64.StdEncoding.EncodeToString([]byte(`{"x:sub":"mallory"}`))
	if r := do(t, "PUT", p.URL, h, pngBytes(t)); r.status != 403 {
		t.Fatalf("changed callback var: %d %s", r.status, r.body)
	}

	// A matching upload: OSS answers with the broker's receipt, accepted.
	img := pngBytes(t)
	r := do(t, "PUT", p.URL, p.Headers, img)
	if r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	var rc receipt
	r.json(t, &rc)
	if rc.Verdict != "accepted" || rc.Key != "exampledir/cb/a.png" || rc.Bucket != bucket || rc.Size != int64(len(img)) ||
		rc.DeclaredType != "image/png" || rc.DetectedType != "image/png" || rc.ETag == "" || rc.CRC64 == "" || rc.Reason != "" {
		t.Fatalf("receipt %s", r.body)
	}
	if !e.exists("exampledir/cb/a.png") {
		t.Fatal("accepted object missing")
	}

	// HTML declared as image/png: rejected, and moved to the quarantine.
	r = e.presignAndPut(tok, "exampledir/cb/disguised.png", "image/png", []byte(htmlBytes))
	if r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	r.json(t, &rc)
	if rc.Verdict != "rejected" || rc.Reason != "content_type_mismatch" || rc.DetectedType != "text/html" || rc.Action != "quarantined" {
		t.Fatalf("receipt %s", r.body)
	}
	if e.exists("exampledir/cb/disguised.png") {
		t.Fatal("rejected object still stored")
	}
	if !e.exists(inspect.QuarantineKey("exampledir/cb/disguised.png", rc.ETag)) {
		t.Fatal("rejected object not in the quarantine")
	}
	if !strings.Contains(e.logs.String(), `"verdict":"rejected"`) {
		t.Error("the verdict is not logged")
	}
}

func TestCallbackTagMode(t *testing.T) {
	e := newEnv(t, options{callbacks: true, rejectAction: inspect.Tag})
	tok := token(t, "alice", nil)
	r := e.presignAndPut(tok, "exampledir/cb/evidence.jpg", "image/jpeg", []byte(htmlBytes))
	var rc receipt
	r.json(t, &rc)
	if r.status != 200 || rc.Verdict != "rejected" || rc.Action != "tagged" || rc.DetectedType != "text/html" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	tags, err := e.oss.GetObjectTagging(context.Background(), &oss.GetObjectTaggingRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("exampledir/cb/evidence.jpg")})
	if err != nil || len(tags.Tags) != 2 {
		t.Fatalf("tags %v %v", tags, err)
	}
}

// TestCallbackServerDown: OSS cannot reach the callback route, answers 203
// CallbackFailed, and the object stays (verdict pending).
func TestCallbackServerDown(t *testing.T) {
	e := newEnv(t, options{callbacks: true, callbackURL: "http://" + closedAddr(t) + "/v1/callbacks/oss"})
	tok := token(t, "alice", nil)
	r := e.presignAndPut(tok, "exampledir/cb/pending.png", "image/png", pngBytes(t))
	if r.status != 203 || !strings.Contains(string(r.body), "<Code>CallbackFailed</Code>") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if !e.exists("exampledir/cb/pending.png") {
		t.Fatal("object not kept after a failed callback")
	}
}

func TestCallbackPostObject(t *testing.T) {
	e := newEnv(t, options{callbacks: true})
	tok := token(t, "alice", nil)
	post := func(key, contentType string, body []byte) response {
		res := e.call(tok, "/v1/presign-post", map[string]any{"key": key, "contentType": contentType})
		if res.status != 200 {
			t.Fatalf("presign-post: %d %s", res.status, res.body)
		}
		var f struct {
			URL    string
			Fields map[string]string
		}
		res.json(t, &f)
		tk, err := testTickets(t).Open(f.Fields["x:ticket"], time.Now())
		if f.Fields["callback"] == "" || err != nil || tk.Subject != "alice" || tk.Key != key ||
			tk.Upload != f.Fields["x-oss-meta-"+notify.UploadMeta] {
			t.Fatalf("form fields %v (%v)", f.Fields, err)
		}
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for k, v := range f.Fields {
			w.WriteField(k, v)
		}
		fw, _ := w.CreateFormFile("file", "x")
		fw.Write(body)
		w.Close()
		return do(t, "POST", f.URL, map[string]string{"Content-Type": w.FormDataContentType()}, b.Bytes())
	}
	var rc receipt
	r := post("exampledir/cb/form.png", "image/png", pngBytes(t))
	r.json(t, &rc)
	if r.status != 200 || rc.Verdict != "accepted" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r = post("exampledir/cb/form-bad.png", "image/png", []byte(htmlBytes))
	r.json(t, &rc)
	if r.status != 200 || rc.Verdict != "rejected" || e.exists("exampledir/cb/form-bad.png") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestCallbackMultipartCompleteReceipt(t *testing.T) {
	e := newEnv(t, options{callbacks: true})
	tok := token(t, "alice", nil)
	for _, tc := range []struct {
		key, ct    string
		data       []byte
		status     int
		verdict    string
		stillThere bool
	}{
		{"exampledir/cb/mp.png", "image/png", append(pngBytes(t), randomData(150<<10)...), 201, "accepted", true},
		{"exampledir/cb/mp-bad.png", "image/png", append([]byte(htmlBytes), bytes.Repeat([]byte(" "), 150<<10)...), 200, "rejected", false},
	} {
		in := e.initiate(tok, map[string]any{"key": tc.key, "contentType": tc.ct, "size": len(tc.data), "partSize": 100 << 10})
		parts := e.uploadParts(tok, in, tc.data)
		res := e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": parts})
		var rc receipt
		res.json(t, &rc)
		if res.status != tc.status || rc.Verdict != tc.verdict || rc.Size != int64(len(tc.data)) || e.exists(tc.key) != tc.stillThere {
			t.Fatalf("%s: %d %s", tc.key, res.status, res.body)
		}
	}
}

// forge is a callback request as OSS would send it, signed with key and
// naming keyURL.
func forge(t *testing.T, e *env, key *rsa.PrivateKey, keyURL, path string, body []byte) response {
	t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, bytes.NewReader(body))
	msg, err := osscallback.StringToSign(req.URL.EscapedPath(), req.URL.RawQuery, req.URL.RawQuery != "", body)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := osscallback.Sign(key, msg)
	return do(t, "POST", req.URL.String(), map[string]string{
		"Content-Type": "application/json", "Authorization": sig,
		"x-oss-pub-key-url": base64.StdEncoding.EncodeToString([]byte(keyURL)),
	}, body)
}

// TestForgedCallbacks: anything but OSS's own callback for an object of
// this bucket under the prefix is 403, changes nothing, and fetches no key
// from anywhere but the trusted URL.
func TestForgedCallbacks(t *testing.T) {
	emuKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	e := newEnv(t, options{callbacks: true, callbackKey: emuKey})
	// A disguised object, stored with a ticket's upload id: a genuine
	// callback would reject and delete it; a forged one must not.
	upload := uploadticket.NewUploadID()
	etag := e.putPinned("exampledir/forged.png", "image/png", []byte(htmlBytes), upload)
	e.putPinned("outside/forged.png", "image/png", []byte(htmlBytes), upload)
	tk := ticketFor(t, "exampledir/forged.png", upload)
	body := func(b, key string) []byte { return callbackJSON(b, key, etag, tk) }
	good := body(bucket, "exampledir/forged.png")
	trusted := e.emu.CallbackKeyURL()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)

	// A listener posing as another key host: nothing may connect to it.
	var hits atomic.Int64
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Close()
		}
	}()
	evilHost := "http://" + ln.Addr().String() + "/callback_pub_key_v1.pem"

	cases := []struct {
		name   string
		key    *rsa.PrivateKey
		keyURL string
		path   string
		body   []byte
		tamper func([]byte) []byte
	}{
		{"another key", other, trusted, "/v1/callbacks/oss", good, nil},
		{"tampered body", emuKey, trusted, "/v1/callbacks/oss", good, func(b []byte) []byte { return bytes.Replace(b, []byte(`"size":10`), []byte(`"size":11`), 1) }},
		{"another key on another host", other, evilHost, "/v1/callbacks/oss", good, nil},
		{"look-alike host", other, "http://gosspublic.alicdn.com.evil.example/callback_pub_key_v1.pem", "/v1/callbacks/oss", good, nil},
		{"look-alike prefix", other, "http://evilgosspublic.alicdn.com/callback_pub_key_v1.pem", "/v1/callbacks/oss", good, nil},
		{"userinfo trick", other, "http://gosspublic.alicdn.com@" + ln.Addr().String() + "/callback_pub_key_v1.pem", "/v1/callbacks/oss", good, nil},
		{"trusted path elsewhere", other, strings.Replace(trusted, "v1", "v2", 1), "/v1/callbacks/oss", good, nil},
		{"key outside the prefix", emuKey, trusted, "/v1/callbacks/oss", body(bucket, "outside/forged.png"), nil},
		{"folder", emuKey, trusted, "/v1/callbacks/oss", body(bucket, "exampledir/"), nil},
		{"dot segments", emuKey, trusted, "/v1/callbacks/oss", body(bucket, "exampledir/../outside/forged.png"), nil},
		{"another bucket", emuKey, trusted, "/v1/callbacks/oss", body("otherbucket", "exampledir/forged.png"), nil},
		{"not the template", emuKey, trusted, "/v1/callbacks/oss", []byte(`["exampledir/forged.png"]`), nil},
	}
	for _, tc := range cases {
		b := tc.body
		res := func() response {
			if tc.tamper == nil {
				return forge(t, e, tc.key, tc.keyURL, tc.path, b)
			}
			// Signed over the original body, sent with another.
			req, _ := http.NewRequest("POST", e.url+tc.path, nil)
			msg, _ := osscallback.StringToSign(req.URL.EscapedPath(), "", false, b)
			sig, _ := osscallback.Sign(tc.key, msg)
			return do(t, "POST", e.url+tc.path, map[string]string{"Authorization": sig,
				"x-oss-pub-key-url": base64.StdEncoding.EncodeToString([]byte(tc.keyURL))}, tc.tamper(b))
		}()
		if res.status != 403 || res.errorCode(t) != "invalid_callback" {
			t.Errorf("%s: %d %s", tc.name, res.status, res.body)
		}
	}
	// Path and query are signed too: signed for one URI, sent to another.
	for _, uri := range [][2]string{
		{"/v1/callbacks/oss", "/v1/callbacks/oss?x=1"},
		{"/v1/callbacks/oss?x=1", "/v1/callbacks/oss"},
		{"/v1/callbacks/oss?x=1", "/v1/callbacks/oss?x=2"},
		{"/other", "/v1/callbacks/oss"},
		{"/v1/callbacks/oss", "/v1/callbacks/oss?"},
	} {
		signed, sent := uri[0], uri[1]
		path, query, hasQuery := strings.Cut(signed, "?")
		msg, _ := osscallback.StringToSign(path, query, hasQuery, good)
		sig, _ := osscallback.Sign(emuKey, msg)
		res := do(t, "POST", e.url+sent, map[string]string{"Authorization": sig,
			"x-oss-pub-key-url": base64.StdEncoding.EncodeToString([]byte(trusted))}, good)
		if res.status != 403 {
			t.Errorf("signed for %s, sent to %s: %d %s", signed, sent, res.status, res.body)
		}
	}
	if hits.Load() != 0 || e.keyDials.Load() != 0 {
		t.Fatalf("untrusted key hosts were contacted: %d connections, %d dials", hits.Load(), e.keyDials.Load())
	}
	for _, k := range []string{"exampledir/forged.png", "outside/forged.png"} {
		if !e.exists(k) {
			t.Fatalf("%s was deleted by a forged callback", k)
		}
	}
	// The same request, genuinely signed: judged (and the disguise deleted).
	res := forge(t, e, emuKey, trusted, "/v1/callbacks/oss", good)
	var rc receipt
	res.json(t, &rc)
	if res.status != 200 || rc.Verdict != "rejected" || e.exists("exampledir/forged.png") {
		t.Fatalf("genuine callback: %d %s", res.status, res.body)
	}
}

func TestCallbackRouteOff(t *testing.T) {
	e := newEnv(t, options{})
	if r := do(t, "POST", e.url+"/v1/callbacks/oss", nil, []byte("{}")); r.status != 404 {
		t.Fatalf("callback route without PUBLIC_BASE_URL: %d", r.status)
	}
	// And presign carries no callback.
	res := e.presign(token(t, "alice", nil), map[string]any{"key": "exampledir/a.png", "contentType": "image/png"})
	var p presigned
	res.json(t, &p)
	if _, ok := p.Headers["x-oss-callback"]; ok {
		t.Fatal("callback header without PUBLIC_BASE_URL")
	}
}

// callbackSpecCases are real requests for every response the OpenAPI
// document lists for /v1/callbacks/oss and the receipt of a multipart
// complete (TestOpenAPIDescribesEveryResponse runs them).
func callbackSpecCases(t *testing.T) []specCase {
	emuKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	e := newEnv(t, options{callbacks: true, callbackKey: emuKey})
	down := newEnv(t, options{callbacks: true, callbackKey: emuKey, endpoint: "http://" + closedAddr(t)})
	off := newEnv(t, options{})
	etags := map[string]string{}
	upload := uploadticket.NewUploadID()
	for _, k := range []string{"exampledir/spec/cb-good.png", "exampledir/spec/cb-bad.png", "exampledir/spec/cb-stale.png"} {
		body := pngBytes(t)
		if strings.Contains(k, "bad") {
			body = []byte(htmlBytes)
		}
		etags[k] = e.putPinned(k, "image/png", body, upload)
	}
	etags["exampledir/spec/cb-stale.png"] = "0123456789ABCDEF0123456789ABCDEF" // an earlier version
	signed := func(e *env, key string) (map[string]string, []byte) {
		body := callbackJSON(bucket, key, etags[key], ticketFor(t, key, upload))
		msg, _ := osscallback.StringToSign("/v1/callbacks/oss", "", false, body)
		sig, _ := osscallback.Sign(emuKey, msg)
		return map[string]string{"Content-Type": "application/json", "Authorization": sig,
			"x-oss-pub-key-url": base64.StdEncoding.EncodeToString([]byte(e.emu.CallbackKeyURL()))}, body
	}
	goodH, goodB := signed(e, "exampledir/spec/cb-good.png")
	badH, badB := signed(e, "exampledir/spec/cb-bad.png")
	staleH, staleB := signed(e, "exampledir/spec/cb-stale.png")
	downH, downB := signed(down, "exampledir/spec/cb-good.png")
	forgedH := map[string]string{"Content-Type": "application/json", "Authorization": "AAAA",
		"x-oss-pub-key-url": base64.StdEncoding.EncodeToString([]byte("http://evil.example/callback_pub_key_v1.pem"))}

	tok := token(t, "alice", nil)
	data := append([]byte(htmlBytes), bytes.Repeat([]byte(" "), 150<<10)...)
	in := e.initiate(tok, map[string]any{"key": "exampledir/spec/mp-bad.png", "contentType": "image/png", "size": len(data), "partSize": 100 << 10})
	parts := e.uploadParts(tok, in, data)
	complete, _ := json.Marshal(map[string]any{"handle": in.Handle, "parts": parts})
	js := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}

	return []specCase{
		{"callback accepted", e.url, "POST", "/v1/callbacks/oss", goodH, goodB, 200},
		{"callback rejected", e.url, "POST", "/v1/callbacks/oss", badH, badB, 200},
		{"callback forged", e.url, "POST", "/v1/callbacks/oss", forgedH, goodB, 403},
		{"callback for an overwritten version", e.url, "POST", "/v1/callbacks/oss", staleH, staleB, 409},
		{"callback route off", off.url, "POST", "/v1/callbacks/oss", goodH, goodB, 404},
		{"callback too large", e.url, "POST", "/v1/callbacks/oss", goodH, bytes.Repeat([]byte(" "), 17<<10), 413},
		{"callback storage down", down.url, "POST", "/v1/callbacks/oss", downH, downB, 502},
		{"callback GET", e.url, "GET", "/v1/callbacks/oss", nil, nil, 405},
		{"put disguised", e.url, "PUT", "/v1/objects/exampledir/spec/disguised.png",
			map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "image/png"}, []byte(htmlBytes), 415},
		{"multipart complete rejected", e.url, "POST", "/v1/multipart/complete", js, complete, 200},
	}
}

// TestDirectUploadInspected: with inspection on, a direct upload's bytes
// are judged before they are stored: a mismatch is 415 and nothing is
// stored; a match is stored as before.
func TestDirectUploadInspected(t *testing.T) {
	e := newEnv(t, options{callbacks: true, contentTypes: "image/*,text/plain,application/octet-stream"})
	tok := "Bearer " + token(t, "alice", nil)
	for _, tc := range []struct {
		key, ct string
		body    []byte
		status  int
		code    string
	}{
		{"exampledir/d/ok.png", "image/png", pngBytes(t), 201, ""},
		{"exampledir/d/disguised.png", "image/png", []byte(htmlBytes), 415, "content_type_mismatch"},
		{"exampledir/d/html.txt", "text/plain", []byte(htmlBytes), 415, "content_type_mismatch"},
		{"exampledir/d/hidden.bin", "application/octet-stream", []byte("%PDF-1.7\n%%EOF\n"), 415, "unsupported_media_type"},
		{"exampledir/d/blob.bin", "application/octet-stream", []byte{0, 1, 2, 3}, 201, ""},
	} {
		r := do(t, "PUT", e.url+"/v1/objects/"+tc.key, map[string]string{"Authorization": tok, "Content-Type": tc.ct}, tc.body)
		if r.status != tc.status || (tc.code != "" && r.errorCode(t) != tc.code) || e.exists(tc.key) != (tc.status == 201) {
			t.Errorf("%s: %d %s", tc.key, r.status, r.body)
		}
	}
}
