package broker_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// deliver sends one delivery as FC3 does: the body base64-encoded in the
// event, through the FC adapter.
func (e *whEnv) deliver(source string, h map[string]string, body []byte) response {
	e.t.Helper()
	raw := "/v1/webhooks/" + source
	method := "POST"
	enc := base64.StdEncoding.EncodeToString(body)
	yes := true
	hdr := map[string]string{}
	for k, v := range h {
		hdr[k] = v
	}
	ev := events.HTTPTriggerEvent{RawPath: &raw, Headers: &hdr, Body: &enc, IsBase64Encoded: &yes}
	ev.TriggerContext.Http.Method = &method
	ev.TriggerContext.Http.Path = &raw
	res := callFC(e.t, e.fn, &ev)
	header := http.Header{}
	for k, v := range res.Headers {
		header.Set(k, v)
	}
	b := []byte(res.Body)
	if res.IsBase64Encoded {
		b, _ = base64.StdEncoding.DecodeString(res.Body)
	}
	return response{res.StatusCode, header, b}
}

func (e *whEnv) list(prefix string) []string {
	e.t.Helper()
	return listKeys(e.t, e.oss, prefix)
}

func (e *whEnv) object(key string) ([]byte, *oss.GetObjectResult) {
	e.t.Helper()
	res, err := e.oss.GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		e.t.Fatalf("get %s: %v", key, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return b, res
}

// Independent signers (the published algorithms).

func signStandard(key []byte, id string, ts int64, body []byte) map[string]string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return map[string]string{
		"webhook-id": id, "webhook-timestamp": strconv.FormatInt(ts, 10),
		"webhook-signature": "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)),
	}
}

func signGitHub(secret, delivery string, body []byte) map[string]string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return map[string]string{
		"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(m.Sum(nil)),
		"X-GitHub-Delivery":   delivery, "X-GitHub-Event": "push",
	}
}

func signStripe(secret string, ts int64, body []byte) map[string]string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return map[string]string{"Stripe-Signature": "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(m.Sum(nil))}
}

// scheme describes one sender for the table-driven tests.
type scheme struct {
	source string
	// sign signs body for event id (ignored by Stripe) at attempt time ts
	// with the right secret, or a wrong one.
	sign      func(id string, ts time.Time, body []byte, wrongSecret bool) map[string]string
	idFor     func(id string, body []byte) string // the event id in the key
	timestamp bool                                // signs a timestamp
	idHeader  bool                                // signs an id (else the key is the body hash)
}

func bodyHash(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

var schemes = []scheme{
	{
		source: "std",
		sign: func(id string, ts time.Time, body []byte, wrong bool) map[string]string {
			k := whStdKey
			if wrong {
				k = []byte("another-standard-key-of-32-bytes")
			}
			return signStandard(k, id, ts.Unix(), body)
		},
		idFor:     func(id string, _ []byte) string { return id },
		timestamp: true, idHeader: true,
	},
	{
		source: "gh",
		sign: func(id string, _ time.Time, body []byte, wrong bool) map[string]string {
			s := whGitHubSecret
			if wrong {
				s = "another-github-secret-of-enough-length"
			}
			return signGitHub(s, id, body)
		},
		// X-GitHub-Delivery is not signed: the key is the body's hash.
		idFor: func(_ string, body []byte) string { return bodyHash(body) },
	},
	{
		source: "stripe",
		sign: func(_ string, ts time.Time, body []byte, wrong bool) map[string]string {
			s := whStripeSecret
			if wrong {
				s = "whsec_anotherStripeSecretOfEnoughLength0"
			}
			return signStripe(s, ts.Unix(), body)
		},
		idFor:     func(_ string, body []byte) string { return bodyHash(body) },
		timestamp: true,
	},
}

type whResult struct {
	Bucket, Key, ETag, ContentType, Source, EventID string
	Size                                            int64
}

// TestWebhooksEndToEnd runs every case the issue lists, per scheme, through
// the FC adapter (base64 bodies) into the local OSS server.
func TestWebhooksEndToEnd(t *testing.T) {
	for _, s := range schemes {
		t.Run(s.source, func(t *testing.T) {
			e := newWhEnv(t, whOptions{})
			folder := "exampledir/webhooks/" + s.source + "/"
			body := []byte(`{"event":"created","n":1,"text":"caf\u00e9 \u2713"}`)
			id := "evt-0001"
			hdr := s.sign(id, whClock, body, false)
			hdr["Content-Type"] = "application/json"

			// Valid.
			first := e.deliver(s.source, hdr, body)
			if first.status != 200 {
				t.Fatalf("valid: %d %s", first.status, first.body)
			}
			var got whResult
			first.json(t, &got)
			wantKey := folder + s.idFor(id, body) + ".json"
			sum := md5.Sum(body)
			if got.Key != wantKey || got.Bucket != bucket || got.Size != int64(len(body)) || got.Source != s.source ||
				got.EventID != s.idFor(id, body) || got.ContentType != "application/json" ||
				got.ETag != strings.ToUpper(hex.EncodeToString(sum[:])) {
				t.Fatalf("response %+v, want key %s", got, wantKey)
			}
			stored, obj := e.object(wantKey)
			if !bytes.Equal(stored, body) || oss.ToString(obj.ContentType) != "application/json" {
				t.Fatalf("stored %q (%s)", stored, oss.ToString(obj.ContentType))
			}
			wantMeta := map[string]string{"webhook-source": s.source, "webhook-id": s.idFor(id, body),
				"webhook-timestamp": strconv.FormatInt(whClock.Unix(), 10), "webhook-header-content-type": "application/json"}
			if s.source == "gh" {
				wantMeta["webhook-header-x-github-delivery"] = id
				wantMeta["webhook-header-x-github-event"] = "push"
			}
			for k, v := range wantMeta {
				if obj.Metadata[k] != v {
					t.Fatalf("x-oss-meta-%s = %q, want %q (all: %v)", k, obj.Metadata[k], v, obj.Metadata)
				}
			}

			// Replay: the sender's retry, re-signed the next day (past
			// midnight UTC) as real senders do. Same answer, no second
			// object, the first copy (and its timestamp) kept.
			e.now = whClock.Add(15 * time.Hour)
			retry := s.sign(id, e.now, body, false)
			retry["Content-Type"] = "application/json"
			second := e.deliver(s.source, retry, body)
			if second.status != first.status || !bytes.Equal(second.body, first.body) {
				t.Fatalf("redelivery: %d %s, first was %d %s", second.status, second.body, first.status, first.body)
			}
			if second.header.Get("X-Webhook-Duplicate") != "true" || first.header.Get("X-Webhook-Duplicate") != "" {
				t.Fatalf("duplicate header: first %q second %q", first.header.Get("X-Webhook-Duplicate"), second.header.Get("X-Webhook-Duplicate"))
			}
			// An exact replay of the first request (same signature) too,
			// for the schemes whose signature is still fresh.
			if !s.timestamp {
				if r := e.deliver(s.source, hdr, body); r.status != 200 || !bytes.Equal(r.body, first.body) {
					t.Fatalf("identical replay: %d %s", r.status, r.body)
				}
			}
			if keys := e.list(folder); len(keys) != 1 {
				t.Fatalf("objects after redelivery: %v", keys)
			}
			if _, obj := e.object(wantKey); obj.Metadata["webhook-timestamp"] != strconv.FormatInt(whClock.Unix(), 10) {
				t.Fatalf("redelivery rewrote the object: %v", obj.Metadata)
			}

			// Same id, different body.
			other := []byte(`{"event":"created","n":2}`)
			oh := s.sign(id, e.now, other, false)
			oh["Content-Type"] = "application/json"
			r := e.deliver(s.source, oh, other)
			if s.idHeader {
				if r.status != 409 || r.errorCode(t) != "event_conflict" {
					t.Fatalf("same id, other body: %d %s", r.status, r.body)
				}
				if stored, _ := e.object(wantKey); !bytes.Equal(stored, body) {
					t.Fatalf("conflict changed the object: %q", stored)
				}
				if keys := e.list(folder); len(keys) != 1 {
					t.Fatalf("objects after conflict: %v", keys)
				}
			} else {
				// GitHub and Stripe sign no id: the id is the body's hash,
				// so another body is another event, never a conflict.
				if r.status != 200 {
					t.Fatalf("%s, other body: %d %s", s.source, r.status, r.body)
				}
				if keys := e.list(folder); len(keys) != 2 {
					t.Fatalf("objects: %v", keys)
				}
			}
			before := e.list("")

			// Every refusal below is the same 401 and stores nothing.
			unauthorized := func(name string, r response) {
				t.Helper()
				if r.status != 401 || r.errorCode(t) != "unauthorized" {
					t.Fatalf("%s: %d %s", name, r.status, r.body)
				}
				if c := r.header.Get("WWW-Authenticate"); c != "" {
					t.Fatalf("%s: a Bearer challenge (%q) on a webhook route", name, c)
				}
				var eb struct {
					Error struct{ Code, Message string }
				}
				r.json(t, &eb)
				if eb.Error.Message != "a valid webhook signature is required" {
					t.Fatalf("%s: non-uniform message %q", name, eb.Error.Message)
				}
			}
			fresh := []byte(`{"event":"fresh"}`)
			tampered := append([]byte{}, fresh...)
			tampered[3] ^= 1
			unauthorized("tampered body", e.deliver(s.source, s.sign("evt-2", e.now, fresh, false), tampered))
			unauthorized("wrong secret", e.deliver(s.source, s.sign("evt-2", e.now, fresh, true), fresh))
			unauthorized("no signature", e.deliver(s.source, map[string]string{"Content-Type": "application/json"}, fresh))
			unauthorized("unknown source", e.deliver("nope", s.sign("evt-2", e.now, fresh, false), fresh))
			unauthorized("source case", e.deliver(strings.ToUpper(s.source), s.sign("evt-2", e.now, fresh, false), fresh))
			stale := s.sign("evt-2", e.now.Add(-5*time.Minute-time.Second), fresh, false)
			if s.timestamp {
				unauthorized("stale timestamp", e.deliver(s.source, stale, fresh))
				unauthorized("future timestamp", e.deliver(s.source, s.sign("evt-2", e.now.Add(5*time.Minute+time.Second), fresh, false), fresh))
			}
			if after := e.list(""); len(after) != len(before) {
				t.Fatalf("a refused delivery stored something: %v", after)
			}
			if !s.timestamp {
				// GitHub signs no timestamp: an old delivery verifies, dated
				// by its receipt.
				if r := e.deliver(s.source, stale, fresh); r.status != 200 {
					t.Fatalf("github old delivery: %d %s", r.status, r.body)
				}
			}

			// Oversized: a valid signature over maxWH+1 bytes gets 413.
			big := bytes.Repeat([]byte("x"), int(e.maxWH)+1)
			bh := s.sign("evt-big", e.now, big, false)
			if r := e.deliver(s.source, bh, big); r.status != 413 || r.errorCode(t) != "payload_too_large" {
				t.Fatalf("oversized: %d %s", r.status, r.body)
			}
			exact := big[:e.maxWH]
			if r := e.deliver(s.source, s.sign("evt-max", e.now, exact, false), exact); r.status != 200 {
				t.Fatalf("exactly the limit: %d %s", r.status, r.body)
			}
			for _, k := range e.list("") {
				if strings.Contains(k, "evt-big") || strings.Contains(k, bodyHash(big)) {
					t.Fatalf("oversized body stored as %s", k)
				}
			}

			// Secrets and signatures never reach the logs.
			logs := e.logs.String()
			for _, secret := range []string{whStdSecret, string(whStdKey), whGitHubSecret, whStripeSecret,
				hdr["webhook-signature"], hdr["X-Hub-Signature-256"], hdr["Stripe-Signature"]} {
				if secret != "" && strings.Contains(logs, secret) {
					t.Fatalf("logs hold %q", secret)
				}
			}
			if !strings.Contains(logs, "webhook rejected") {
				t.Fatalf("rejections are not logged: %s", logs)
			}
		})
	}
}

// TestWebhookBinaryBody: a body that is not text arrives base64-encoded
// from FC and is verified and stored byte for byte.
func TestWebhookBinaryBody(t *testing.T) {
	e := newWhEnv(t, whOptions{})
	body := make([]byte, 256)
	for i := range body {
		body[i] = byte(i)
	}
	h := signStandard(whStdKey, "bin-1", whClock.Unix(), body)
	r := e.deliver("std", h, body)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	key := "exampledir/webhooks/std/bin-1.bin"
	if got, obj := e.object(key); !bytes.Equal(got, body) || oss.ToString(obj.ContentType) != "application/octet-stream" {
		t.Fatalf("stored %d bytes, %s", len(got), oss.ToString(obj.ContentType))
	}
}

// TestWebhookChunkedTooLarge: without a Content-Length (plain HTTP,
// chunked), the limit is enforced while reading.
func TestWebhookChunkedTooLarge(t *testing.T) {
	e := newWhEnv(t, whOptions{maxBytes: 1024})
	body := bytes.Repeat([]byte("y"), 4096)
	req, _ := http.NewRequest("POST", e.url+"/v1/webhooks/gh", io.MultiReader(bytes.NewReader(body)))
	for k, v := range signGitHub(whGitHubSecret, "big-1", body) {
		req.Header.Set(k, v)
	}
	req.ContentLength = -1
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("chunked: %d", res.StatusCode)
	}
	if keys := e.list(""); len(keys) != 0 {
		t.Fatalf("stored %v", keys)
	}
}

// TestWebhookPutOnlyPolicy: with the OSS docs' PutObject-only policy the
// first delivery is stored, but a redelivery can only be recognised where
// the key is the body's hash (Stripe). Elsewhere the broker cannot tell a
// redelivery from a conflict and answers 502 without touching the object.
func TestWebhookPutOnlyPolicy(t *testing.T) {
	e := newWhEnv(t, whOptions{putOnly: true})
	body := []byte(`{"a":1}`)
	hdr := map[string]string{"Content-Type": "application/json"}
	for k, v := range signStandard(whStdKey, "msg-1", whClock.Unix(), body) {
		hdr[k] = v
	}
	if r := e.deliver("std", hdr, body); r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	if r := e.deliver("std", hdr, body); r.status != 502 || r.errorCode(t) != "storage_unavailable" {
		t.Fatalf("redelivery without GetObject: %d %s", r.status, r.body)
	}
	if !strings.Contains(e.logs.String(), "lacks oss:GetObject") {
		t.Fatalf("the missing permission is not logged: %s", e.logs.String())
	}
	if got, _ := e.object("exampledir/webhooks/std/msg-1.json"); !bytes.Equal(got, body) {
		t.Fatalf("object changed: %q", got)
	}

	sh := signStripe(whStripeSecret, whClock.Unix(), body)
	sh["Content-Type"] = "application/json"
	first := e.deliver("stripe", sh, body)
	second := e.deliver("stripe", sh, body)
	if first.status != 200 || second.status != 200 || !bytes.Equal(first.body, second.body) {
		t.Fatalf("stripe: %d %s / %d %s", first.status, first.body, second.status, second.body)
	}
}

// TestWebhookFolderReserved: JWT callers cannot write where verified
// webhooks live, so nobody can plant or pre-empt an event.
func TestWebhookFolderReserved(t *testing.T) {
	e := newWhEnv(t, whOptions{})
	tok := token(t, "alice", nil)
	authz := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
	for _, key := range []string{"exampledir/webhooks/std/2026/05/14/evt-1.json", "exampledir/webhooks/"} {
		method := "PUT"
		if strings.HasSuffix(key, "/") {
			method = "POST"
		}
		if r := do(t, method, e.url+"/v1/objects/"+key, authz, []byte(`{}`)); r.status != 403 || r.errorCode(t) != "key_outside_prefix" {
			t.Fatalf("%s %s: %d %s", method, key, r.status, r.body)
		}
		b, _ := json.Marshal(map[string]string{"key": key, "contentType": "application/json"})
		if r := do(t, "POST", e.url+"/v1/presign", authz, b); r.status != 403 {
			t.Fatalf("presign %s: %d %s", key, r.status, r.body)
		}
	}
	// Next to it is fine.
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/webhooks2/x.json", authz, []byte(`{}`)); r.status != 201 {
		t.Fatalf("neighbour folder: %d %s", r.status, r.body)
	}
	// Without sources the folder is an ordinary one.
	plain := newWhEnv(t, whOptions{noHooks: true})
	if r := do(t, "PUT", plain.url+"/v1/objects/exampledir/webhooks/x.json", authz, []byte(`{}`)); r.status != 201 {
		t.Fatalf("no sources: %d %s", r.status, r.body)
	}
	body := []byte(`{}`)
	if r := plain.deliver("gh", signGitHub(whGitHubSecret, "d-1", body), body); r.status != 401 {
		t.Fatalf("no sources, delivery: %d %s", r.status, r.body)
	}
}

// TestWebhookPerUserPrefix: with a prefix template the webhooks live under
// the placeholders filled with "webhooks", and JWT users (even one whose
// sub is "webhooks") cannot write there.
func TestWebhookPerUserPrefix(t *testing.T) {
	e := newWhEnv(t, whOptions{prefix: "exampledir/{sub}/"})
	body := []byte(`{"a":1}`)
	hdr := signGitHub(whGitHubSecret, "d-42", body)
	hdr["Content-Type"] = "application/json"
	r := e.deliver("gh", hdr, body)
	var got whResult
	r.json(t, &got)
	if r.status != 200 || got.Key != "exampledir/webhooks/webhooks/gh/"+bodyHash(body)+".json" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	authz := map[string]string{"Authorization": "Bearer " + token(t, "webhooks", nil)}
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/webhooks/webhooks/gh/2026/05/14/d-43.json", authz, body); r.status != 403 {
		t.Fatalf("sub=webhooks into the folder: %d %s", r.status, r.body)
	}
	if r := do(t, "PUT", e.url+"/v1/objects/exampledir/webhooks/mine.json", authz, body); r.status != 201 {
		t.Fatalf("sub=webhooks, own folder: %d %s", r.status, r.body)
	}
}

func TestWebhookRouteErrors(t *testing.T) {
	e := newWhEnv(t, whOptions{})
	if r := do(t, "GET", e.url+"/v1/webhooks/gh", nil, nil); r.status != 405 || r.header.Get("Allow") != "POST" {
		t.Fatalf("GET: %d %s", r.status, r.body)
	}
	// A signed delivery with a Content-Type that is not a media type: the
	// header shapes nothing, so it is stored (as application/octet-stream,
	// the body not being JSON) with the header kept as metadata.
	body := []byte(`x`)
	h := signGitHub(whGitHubSecret, "d-ct", body)
	h["Content-Type"] = "not a type"
	if r := e.deliver("gh", h, body); r.status != 200 {
		t.Fatalf("bad content type: %d %s", r.status, r.body)
	}
	_, obj := e.object("exampledir/webhooks/gh/" + bodyHash(body) + ".bin")
	if oss.ToString(obj.ContentType) != "application/octet-stream" || obj.Metadata["webhook-header-content-type"] != "not a type" {
		t.Fatalf("stored as %s, %v", oss.ToString(obj.ContentType), obj.Metadata)
	}
	// An encoded or nested source is not a source.
	for _, src := range []string{"g%68", "gh/", "gh/x", ""} {
		if r := e.deliver(src, signGitHub(whGitHubSecret, "d-1", body), body); r.status != 401 {
			t.Fatalf("%q: %d %s", src, r.status, r.body)
		}
	}
}
