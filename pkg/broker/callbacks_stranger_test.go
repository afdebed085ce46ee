package broker_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/uploadticket"
)

// strangerCallback is what anyone with an Alibaba Cloud account can do: upload
// to a bucket of their own with x-oss-callback naming the broker's callback
// URL and a body template of literals (no ${...}), which OSS sends, signed.
// The owner's key writing outside the prefix stands in for the stranger's
// bucket. It returns OSS's answer to the stranger's upload.
func (e *env) strangerCallback(name string, body []byte) response {
	e.t.Helper()
	cb, _ := json.Marshal(map[string]string{"callbackUrl": e.url + "/v1/callbacks/oss", "callbackBody": string(body),
		"callbackBodyType": "application/json"})
	var res response
	_, err := e.oss.PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr("outside/stranger/" + name),
		Callback: oss.Ptr(base64.StdEncoding.EncodeToString(cb)), Body: strings.NewReader("stranger's bytes")})
	var se *oss.ServiceError
	switch {
	case err == nil:
		res.status = 200
	case errors.As(err, &se):
		res.status, res.body = se.StatusCode, []byte(se.Message)
	default:
		e.t.Fatalf("stranger upload %s: %v", name, err)
	}
	return res
}

// callbackLiteral is a body as the broker's template would be filled, plus
// the fields of the template before tickets (sub, pinnedSize, maxSize), so
// that code trusting the body acts on it.
func callbackLiteral(b, key, etag string, size int64, ticket string) []byte {
	m := map[string]any{"bucket": b, "key": key, "etag": etag, "size": size, "mimeType": "image/png", "crc64": "1",
		"sub": "mallory", "contentType": "image/png", "requestId": "r", "pinnedSize": "1", "maxSize": "1000"}
	if ticket != "" {
		m["ticket"] = ticket
	}
	js, _ := json.Marshal(m)
	return js
}

// retick rewrites one claim of ticket's payload and keeps its MAC.
func retick(t *testing.T, ticket, field string, v any) string {
	t.Helper()
	body, mac, _ := strings.Cut(ticket, ".")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		t.Errorf("ticket %q: %v", ticket, err)
	}
	p := map[string]any{}
	json.Unmarshal(raw, &p)
	p[field] = v
	raw, _ = json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + mac
}

// presignedTicket presigns key for tok and returns the answer and its
// callback ticket.
func (e *env) presignedTicket(tok string, req map[string]any) (presigned, string) {
	e.t.Helper()
	res := e.presign(tok, req)
	if res.status != 200 {
		e.t.Fatalf("presign: %d %s", res.status, res.body)
	}
	var p presigned
	res.json(e.t, &p)
	raw, _ := base64.StdEncoding.DecodeString(p.Headers["x-oss-callback-var"])
	var v map[string]string
	json.Unmarshal(raw, &v)
	if v["x:ticket"] == "" {
		e.t.Errorf("no ticket in the callback variables %s", raw)
	}
	return p, v["x:ticket"]
}

// TestStrangerCallbacks sweeps forged callbacks a stranger makes OSS sign:
// every field combination of a literal body (other bucket, key, sub, size,
// type, upload; expired; a MAC from another upload or key; truncated or no
// MAC; no ticket) is 403, and the victim's accepted upload is not read,
// not touched, and nobody is notified.
func TestStrangerCallbacks(t *testing.T) {
	ossLogs := &syncBuffer{}
	recv := newHookReceiver(t, false)
	e := newEnv(t, options{callbacks: true, notifyURL: recv.srv.URL, ossLogs: ossLogs})
	alice, mallory := token(t, "alice", nil), token(t, "mallory", nil)
	const victim = "exampledir/victim.png"
	img := pngBytes(t)
	p, tk := e.presignedTicket(alice, map[string]any{"key": victim, "contentType": "image/png", "contentLength": len(img)})
	r := do(t, "PUT", p.URL, p.Headers, img)
	var rc receipt
	r.json(t, &rc)
	if r.status != 200 || rc.Verdict != "accepted" {
		t.Fatalf("victim upload: %d %s", r.status, r.body)
	}
	_, other := e.presignedTicket(alice, map[string]any{"key": "exampledir/other.png", "contentType": "image/png", "contentLength": 1})
	_, mals := e.presignedTicket(mallory, map[string]any{"key": "exampledir/mallory.png", "contentType": "image/png", "contentLength": 1})
	foreign, _ := uploadticket.New([]byte("a key the broker never derived, 32 bytes long"))
	now := time.Now()
	sealed := func(s *uploadticket.Sealer, exp time.Time) string {
		if s == nil {
			return ""
		}
		v, err := s.Seal(uploadticket.Claims{Bucket: bucket, Key: victim, Subject: "mallory", ContentType: "image/png", Pinned: 1,
			MaxSize: 1000, Upload: p.Headers["x-oss-meta-"+notify.UploadMeta] + "x", Expires: exp})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var real *uploadticket.Sealer
	if k, err := uploadticket.DeriveKey(handleSecret); err == nil {
		real, _ = uploadticket.New(k)
	}
	mac := func(t string) string { _, m, _ := strings.Cut(t, "."); return m }
	payload := func(t string) string { b, _, _ := strings.Cut(t, "."); return b }
	drop := func(s string, n int) string { return s[:max(len(s)-n, 0)] }
	type tc struct{ name, bucket, key, ticket string }
	cases := []tc{
		{"no ticket", bucket, victim, ""},
		{"other bucket in the body", "otherbucket", victim, tk},
		{"other key in the body", bucket, "exampledir/other.png", tk},
		{"another upload's ticket", bucket, victim, other},
		{"another user's ticket", bucket, victim, mals},
		{"payload of one upload, MAC of another", bucket, victim, payload(retick(t, tk, "p", 1)) + "." + mac(other)},
		{"sealed with another key", bucket, victim, sealed(foreign, now.Add(time.Hour))},
		{"expired", bucket, victim, sealed(real, now.Add(-time.Second))},
		{"truncated MAC", bucket, victim, drop(tk, 1)},
		{"half a MAC", bucket, victim, drop(tk, 22)},
		{"no MAC", bucket, victim, payload(tk)},
		{"empty MAC", bucket, victim, payload(tk) + "."},
	}
	for field, v := range map[string]any{"b": "otherbucket", "k": "exampledir/other.png", "s": "mallory", "p": 1, "m": 1,
		"t": "text/html", "u": "another-upload", "e": now.Add(48 * time.Hour).Unix(), "r": "r2"} {
		key := victim
		if field == "k" {
			key = "exampledir/other.png"
		}
		cases = append(cases, tc{"ticket with another " + field, bucket, key, retick(t, tk, field, v)})
	}
	before := len(ossLogs.String())
	for i, c := range cases {
		res := e.strangerCallback(fmt.Sprint(i), callbackLiteral(c.bucket, c.key, rc.ETag, 1, c.ticket))
		if res.status != 203 || !strings.Contains(string(res.body), "Error status : 403.") {
			t.Errorf("%s: OSS answered the stranger %d %s, want 203 after the broker's 403", c.name, res.status, res.body)
		}
	}
	during := ossLogs.String()[before:]
	if !e.exists(victim) {
		t.Fatal("a forged callback deleted the victim's upload")
	}
	for _, line := range strings.Split(during, "\n") {
		if strings.Contains(line, `"key":"`+victim+`"`) || strings.Contains(line, `"key":"exampledir/other.png"`) {
			t.Errorf("a forged callback reached the victim's object: %s", line)
		}
	}
	if hs, _ := recv.deliveries(); len(hs) != 1 {
		t.Errorf("%d notifications, want only the genuine upload's", len(hs))
	}
}

// TestReplayedCallback: a genuine callback captured and replayed (through
// a stranger's upload, so OSS signs it) judges only the version it names.
// Replayed at once, it answers the same receipt under the same
// notification id; after the key was overwritten, it is refused (409, OSS
// answers the replayer 203) and the newer version is neither judged,
// touched nor reported on, whatever ETag the replay names.
func TestReplayedCallback(t *testing.T) {
	recv := newHookReceiver(t, false)
	e := newEnv(t, options{callbacks: true, notifyURL: recv.srv.URL})
	alice, bob := token(t, "alice", nil), token(t, "bob", nil)
	const key = "exampledir/replayed.png"
	small := pngBytes(t)
	p, tk := e.presignedTicket(alice, map[string]any{"key": key, "contentType": "image/png", "contentLength": len(small)})
	r := do(t, "PUT", p.URL, p.Headers, small)
	var first receipt
	r.json(t, &first)
	if r.status != 200 || first.Verdict != "accepted" {
		t.Fatalf("alice's upload: %d %s", r.status, r.body)
	}
	captured := func(etag string) []byte {
		js, _ := json.Marshal(map[string]any{"bucket": bucket, "key": key, "etag": etag, "size": len(small), "mimeType": "image/png",
			"crc64": first.CRC64, "ticket": tk, "sub": "alice", "contentType": "image/png", "requestId": "r",
			"pinnedSize": fmt.Sprint(len(small)), "maxSize": "1000000"})
		return js
	}
	// Replayed at once: the same version, the same verdict and id.
	if res := e.strangerCallback("now", captured(first.ETag)); res.status != 200 {
		t.Fatalf("replay of the current version: %d %s", res.status, res.body)
	}
	hs, _ := recv.deliveries()
	if len(hs) != 2 || hs[0].Get("Webhook-Id") != hs[1].Get("Webhook-Id") {
		t.Fatalf("replay of the same upload: %d notifications, ids %v", len(hs), hs)
	}

	// Bob overwrites the key with an accepted, larger image.
	big := append(pngBytes(t), make([]byte, 100)...)
	p2, _ := e.presignedTicket(bob, map[string]any{"key": key, "contentType": "image/png", "contentLength": len(big), "overwrite": true})
	r = do(t, "PUT", p2.URL, p2.Headers, big)
	var second receipt
	r.json(t, &second)
	if r.status != 200 || second.Verdict != "accepted" {
		t.Fatalf("bob's overwrite: %d %s", r.status, r.body)
	}
	hs, _ = recv.deliveries()
	if len(hs) != 3 || hs[2].Get("Webhook-Id") == hs[0].Get("Webhook-Id") {
		t.Fatalf("bob's upload: %d notifications, or the id of alice's", len(hs))
	}

	// Alice's callback replayed, naming her ETag or bob's: refused.
	for _, etag := range []string{first.ETag, second.ETag} {
		res := e.strangerCallback("later-"+etag, captured(etag))
		if res.status != 203 || !strings.Contains(string(res.body), "Error status : 409.") {
			t.Errorf("replay naming %s: OSS answered %d %s, want 203 after the broker's 409", etag, res.status, res.body)
		}
	}
	head, err := e.oss.HeadObject(context.Background(), &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil || strings.Trim(oss.ToString(head.ETag), `"`) != second.ETag {
		t.Fatalf("bob's version after the replays: %v %v", head, err)
	}
	if hs, _ := recv.deliveries(); len(hs) != 3 {
		t.Fatalf("%d notifications after the replays, want 3", len(hs))
	}
}
