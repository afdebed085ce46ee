package broker_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/storage"
	"github.com/ossbroker/ossbroker/pkg/uploadevent"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// notifySecret is the tests' NOTIFICATION_SECRET (32 bytes, base64).
const notifySecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// hookReceiver records notifications; with hang, it never answers until
// the test ends (a receiver that hangs).
type hookReceiver struct {
	mu   sync.Mutex
	got  []http.Header
	body [][]byte
	srv  *httptest.Server
}

func newHookReceiver(t *testing.T, hang bool) *hookReceiver {
	r := &hookReceiver{}
	stop := make(chan struct{})
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, req.Header.Clone())
		r.body = append(r.body, b)
		r.mu.Unlock()
		if hang {
			<-stop
		}
	}))
	t.Cleanup(func() { close(stop); r.srv.Close() })
	return r
}

func (r *hookReceiver) deliveries() ([]http.Header, [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.got...), append([][]byte(nil), r.body...)
}

// only returns the one notification received, verified.
func (r *hookReceiver) only(t *testing.T) notify.Payload {
	t.Helper()
	hs, bodies := r.deliveries()
	if len(hs) != 1 {
		t.Fatalf("%d notifications, want 1", len(hs))
	}
	src, _ := webhook.NewSource("uploads", webhook.Standard, "S", notifySecret)
	if _, err := src.Verify(hs[0], bodies[0], time.Now(), 0); err != nil {
		t.Fatalf("notification does not verify: %v", err)
	}
	var p notify.Payload
	if err := json.Unmarshal(bodies[0], &p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hs[0].Get("Webhook-Id"), "upl_") {
		t.Fatalf("webhook-id %q is not the object version's", hs[0].Get("Webhook-Id"))
	}
	return p
}

func (e *env) meta(key string) map[string]string {
	e.t.Helper()
	res, err := e.oss.HeadObject(context.Background(), &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		e.t.Fatalf("head %s: %v", key, err)
	}
	out := map[string]string{}
	for k, v := range res.Metadata {
		out[strings.ToLower(k)] = v
	}
	return out
}

// TestCallbackPathNotifies: with notifications on, the callback route
// notifies each verdict once (accepted, rejected), signed, with the sub
// the upload was signed for; the object carries that sub as pinned
// metadata, which the uploader can neither drop nor change.
func TestCallbackPathNotifies(t *testing.T) {
	for _, tc := range []struct {
		name, key, typ string
		body           func(*testing.T) []byte
		want           string
	}{
		{"accepted", "exampledir/n/a.png", "image/png", pngBytes, notify.Completed},
		{"rejected", "exampledir/n/b.png", "image/png", func(*testing.T) []byte { return []byte(htmlBytes) }, notify.Rejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv := newHookReceiver(t, false)
			e := newEnv(t, options{callbacks: true, notifyURL: recv.srv.URL})
			sub := "ålice/ü 1"
			tok := token(t, sub, nil)
			res := e.presign(tok, map[string]any{"key": tc.key, "contentType": tc.typ})
			var p presigned
			res.json(t, &p)
			if p.Headers["x-oss-meta-"+notify.SubMeta] != notify.EncodeSub(sub) {
				t.Fatalf("presign headers %v lack the pinned sub", p.Headers)
			}
			// Without the pinned header, or with another sub: refused.
			for _, v := range []string{"", notify.EncodeSub("mallory")} {
				h := map[string]string{}
				for k, x := range p.Headers {
					h[k] = x
				}
				if v == "" {
					delete(h, "x-oss-meta-"+notify.SubMeta)
				} else {
					h["x-oss-meta-"+notify.SubMeta] = v
				}
				if r := do(t, "PUT", p.URL, h, tc.body(t)); r.status != 403 {
					t.Fatalf("PUT with sub header %q: %d %s", v, r.status, r.body)
				}
			}
			if r := do(t, "PUT", p.URL, p.Headers, tc.body(t)); r.status != 200 {
				t.Fatalf("PUT: %d %s", r.status, r.body)
			}
			n := recv.only(t)
			if n.Type != tc.want || n.Data.Sub != sub || n.Data.Key != tc.key || n.Data.DeclaredType != tc.typ {
				t.Fatalf("notification %+v", n)
			}
			if tc.want == notify.Completed {
				if got := notify.DecodeSub(e.meta(tc.key)[notify.SubMeta]); got != sub {
					t.Fatalf("stored sub %q, want %q", got, sub)
				}
			}
		})
	}
}

// TestNotificationNeverDelaysTheReceipt: a receiver that hangs costs the
// callback route at most NotifyTimeout (2 s), inside OSS's 5 s budget:
// the uploader still gets the receipt (200), not 203 CallbackFailed.
func TestNotificationNeverDelaysTheReceipt(t *testing.T) {
	recv := newHookReceiver(t, true)
	e := newEnv(t, options{callbacks: true, notifyURL: recv.srv.URL})
	r := e.presignAndPut(token(t, "alice", nil), "exampledir/n/hang.png", "image/png", pngBytes(t))
	var rc receipt
	r.json(t, &rc)
	if r.status != 200 || rc.Verdict != "accepted" {
		t.Fatalf("PUT with a hanging receiver: %d %s", r.status, r.body)
	}
	if hs, _ := recv.deliveries(); len(hs) != 1 {
		t.Fatalf("%d attempts, want exactly 1", len(hs))
	}
}

// TestEveryRoutePinsTheSub: PostObject forms pin the sub field in the
// policy, direct uploads and multipart uploads store it, and no caller
// metadata may use the broker's names (ossbroker-*, webhook-*).
func TestEveryRoutePinsTheSub(t *testing.T) {
	recv := newHookReceiver(t, false)
	e := newEnv(t, options{callbacks: true, notifyURL: recv.srv.URL})
	tok := token(t, "bob", nil)

	f := e.presignPost(tok, map[string]any{"key": "exampledir/n/form.png", "contentType": "image/png"})
	if f.Fields["x-oss-meta-"+notify.SubMeta] != "bob" {
		t.Fatalf("form fields %v lack the sub", f.Fields)
	}
	forged := postForm{URL: f.URL, Fields: map[string]string{}}
	for k, v := range f.Fields {
		forged.Fields[k] = v
	}
	forged.Fields["x-oss-meta-"+notify.SubMeta] = "mallory"
	if r := submit(t, forged, "a.png", "image/png", pngBytes(t)); r.status != 403 {
		t.Fatalf("form with another sub: %d %s", r.status, r.body)
	}
	if r := submit(t, f, "a.png", "image/png", pngBytes(t)); r.status != 200 {
		t.Fatalf("form: %d %s", r.status, r.body)
	}
	if n := recv.only(t); n.Data.Sub != "bob" || n.Type != notify.Completed {
		t.Fatalf("form notification %+v", n)
	}

	r := do(t, "PUT", e.url+"/v1/objects/exampledir/n/direct.png", map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "image/png"}, pngBytes(t))
	if r.status != 201 || e.meta("exampledir/n/direct.png")[notify.SubMeta] != "bob" {
		t.Fatalf("direct upload: %d %s, meta %v", r.status, r.body, e.meta("exampledir/n/direct.png"))
	}

	in := e.initiate(tok, map[string]any{"key": "exampledir/n/big.png", "contentType": "image/png"})
	parts := e.uploadParts(tok, in, pngBytes(t))
	if res := e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": parts}); res.status != 201 {
		t.Fatalf("complete: %d %s", res.status, res.body)
	}
	if e.meta("exampledir/n/big.png")[notify.SubMeta] != "bob" {
		t.Fatal("multipart object lacks the sub")
	}
	if hs, bodies := recv.deliveries(); len(hs) != 2 || !strings.Contains(string(bodies[1]), `"key":"exampledir/n/big.png"`) {
		t.Fatalf("multipart complete not notified: %d", len(hs))
	}

	for _, name := range []string{notify.SubMeta, "OSSBROKER-anything", "webhook-source", "webhook-id"} {
		for _, route := range []string{"/v1/presign", "/v1/multipart"} {
			res := e.call(tok, route, map[string]any{"key": "exampledir/n/m.png", "contentType": "image/png", "metadata": map[string]string{name: "x"}})
			if res.status != 400 || !strings.Contains(string(res.body), "invalid_request") {
				t.Errorf("%s with metadata %q: %d %s", route, name, res.status, res.body)
			}
		}
	}
}

// TestNotificationIDPerUpload: the same bytes uploaded to the same key by
// two users are two uploads with two notification ids, each with its own
// sub; and the OSS-triggered inspector, handling the event of the second
// upload, notifies it under the id the callback route used.
func TestNotificationIDPerUpload(t *testing.T) {
	recv := newHookReceiver(t, false)
	e := newEnv(t, options{callbacks: true, notifyURL: recv.srv.URL})
	const key = "exampledir/n/same.png"
	img := pngBytes(t)
	var etag string
	for i, sub := range []string{"alice", "bob"} {
		res := e.presign(token(t, sub, nil), map[string]any{"key": key, "contentType": "image/png", "overwrite": true})
		var p presigned
		res.json(t, &p)
		r := do(t, "PUT", p.URL, p.Headers, img)
		var rc receipt
		r.json(t, &rc)
		if r.status != 200 || rc.Verdict != "accepted" {
			t.Fatalf("%s: %d %s", sub, r.status, r.body)
		}
		etag = rc.ETag
		hs, bodies := recv.deliveries()
		var n notify.Payload
		json.Unmarshal(bodies[i], &n)
		if want := notify.ID(bucket, key, rc.ETag, p.Headers["x-oss-meta-"+notify.UploadMeta]); len(hs) != i+1 ||
			hs[i].Get("Webhook-Id") != want || n.Data.Sub != sub {
			t.Fatalf("%s: %d notifications, id %q (want %q), sub %q", sub, len(hs), hs[i].Get("Webhook-Id"), want, n.Data.Sub)
		}
	}
	hs, _ := recv.deliveries()
	if hs[0].Get("Webhook-Id") == hs[1].Get("Webhook-Id") {
		t.Fatal("two uploads of the same bytes share a notification id")
	}

	// The inspector function's path, for bob's upload.
	store, err := storage.New(storage.Config{Bucket: bucket, Region: region, Endpoint: e.ossURL, PathStyle: true,
		Credentials: storage.Credentials(ownerID, ownerSecret, nil)})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := inspect.New(inspect.Config{Store: store, MaxSize: 1 << 20})
	src, _ := webhook.NewSource("uploads", webhook.Standard, "NOTIFICATION_SECRET", notifySecret)
	n, _ := notify.New(notify.Config{URL: recv.srv.URL, Signer: src})
	keys, _ := objectkey.NewPolicy("exampledir/")
	h, err := uploadevent.New(uploadevent.Config{Store: store, Inspector: in, Keys: keys, Notifier: n, MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	if _, err := h.Handle(context.Background(), events.OssEvent{Events: []*events.OssEventRecord{{
		EventName: str(uploadevent.Events[0]),
		Oss:       &events.Oss{Bucket: &events.Bucket{Name: str(bucket)}, Object: &events.Object{Key: str(key), ETag: str(etag)}},
	}}}); err != nil {
		t.Fatal(err)
	}
	hs, _ = recv.deliveries()
	if len(hs) != 3 || hs[2].Get("Webhook-Id") != hs[1].Get("Webhook-Id") {
		t.Fatalf("the inspector notified bob's upload under %q, the callback route under %q", hs[len(hs)-1].Get("Webhook-Id"), hs[1].Get("Webhook-Id"))
	}
}
