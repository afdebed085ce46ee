package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/proctest"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
	"github.com/ossbroker/ossbroker/pkg/uploadevent"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

const (
	region      = "cn-hangzhou"
	bucket      = "examplebucket"
	prefix      = "exampledir/"
	ownerID     = "LTAI5tOwnerInspectorTest"
	ownerSecret = "OwnerSecretForInspectorTest0"
	inspID      = "LTAI5tInspectorFunction"
	inspSecret  = "InspectorSecretForTheTest0"
	waitTimeout = 30 * time.Second
)

// notificationSecret is a Standard Webhooks secret (32 bytes).
var notificationSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// delivery is one POST the receiver got.
type delivery struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Status  int               `json:"-"`
}

// receiver is the application's notification endpoint. It answers 503 to
// the first failFirst POSTs (a receiver that is down), 200 afterwards.
type receiver struct {
	mu        sync.Mutex
	failFirst int
	got       []delivery
	ch        chan delivery
	srv       *httptest.Server
}

func newReceiver(t testing.TB, failFirst int) *receiver {
	r := &receiver{failFirst: failFirst, ch: make(chan delivery, 64)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := delivery{Body: string(body), Headers: map[string]string{}}
		for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"} {
			d.Headers[h] = req.Header.Get(h)
		}
		r.mu.Lock()
		d.Status = http.StatusOK
		if len(r.got) < r.failFirst {
			d.Status = http.StatusServiceUnavailable
		}
		r.got = append(r.got, d)
		r.mu.Unlock()
		w.WriteHeader(d.Status)
		r.ch <- d
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) all() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// next waits for the next POST.
func (r *receiver) next(t testing.TB) delivery {
	t.Helper()
	select {
	case d := <-r.ch:
		return d
	case <-time.After(waitTimeout):
		t.Fatalf("no notification within %v", waitTimeout)
		return delivery{}
	}
}

// done is the end of one asynchronous event: its attempts and last error.
type done struct {
	id       string
	attempts int
	err      error
}

// env is one inspector deployment: the local OSS server with a trigger on
// the prefix, FC's asynchronous invocation with retries, and the compiled
// inspector polling the runtime API with the real fc.Start loop.
type env struct {
	oss    *ossemu.Server
	client *oss.Client // the bucket owner: writes what uploaders would
	rt     *fcemu.RuntimeAPI
	async  *fcemu.Async
	dones  chan done
	events chan []byte // every event the trigger emitted
	stdout *proctest.Output
	recv   *receiver
}

func start(t testing.TB, recv *receiver, extraEnv ...string) *env {
	t.Helper()
	e := &env{dones: make(chan done, 64), events: make(chan []byte, 64), stdout: &proctest.Output{}, recv: recv}
	e.rt = fcemu.NewRuntimeAPI()
	rtAddr, err := e.rt.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.rt.Close() })
	e.async = &fcemu.Async{
		Invoke:  e.rt.InvokeFunc(fcemu.Invocation{FunctionName: "ossbroker-inspector", Region: region, Timeout: 30 * time.Second}),
		Retries: 8,
		Backoff: 20 * time.Millisecond, // FC's schedule, scaled down for the test
		Done:    func(id string, n int, err error) { e.dones <- done{id, n, err} },
	}
	mode := "quarantine"
	for _, a := range extraEnv {
		if m, ok := strings.CutPrefix(a, "REJECTED_UPLOADS="); ok {
			mode = m
		}
	}
	policy := ossconfig.InspectorPolicy(bucket, prefix, inspect.QuarantineFolder, mode)
	doc, err := ossconfig.JSON(policy)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := ossemu.ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	e.oss, err = ossemu.New(ossemu.Config{
		Region: region, Buckets: []string{bucket},
		Users: []ossemu.User{
			{AccessKeyID: ownerID, AccessKeySecret: ownerSecret},
			{AccessKeyID: inspID, AccessKeySecret: inspSecret, Policy: pol},
		},
		Triggers: []ossemu.EventTrigger{{Events: []string{"oss:ObjectCreated:*"}, Prefix: prefix, Deliver: func(ev []byte) {
			e.events <- ev
			e.async.Submit(ev)
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ossAddr, err := e.oss.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.oss.Close() })
	endpoint := "http://" + ossAddr.String()
	e.client = oss.NewClient(oss.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ownerID, ownerSecret)).
		WithRegion(region).WithEndpoint(endpoint).WithUsePathStyle(true))

	cmd := exec.Command(proctest.Build(t, "."))
	cmd.Env = append(os.Environ(), "FC_RUNTIME_API="+rtAddr.String(),
		"OSS_ENDPOINT="+endpoint, "OSS_BUCKET="+bucket, "OSS_REGION="+region,
		"OSS_ACCESS_KEY_ID="+inspID, "OSS_ACCESS_KEY_SECRET="+inspSecret,
		"NOTIFICATION_URL="+recv.srv.URL+"/hooks/uploads", "NOTIFICATION_SECRET="+notificationSecret,
		"UPLOAD_PREFIX="+prefix)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = e.stdout, e.stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The SDK busy-loops when its runtime API goes away: kill it first.
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("inspector output:\n%s", e.stdout)
		}
	})
	return e
}

// put writes an object as an upload through the broker would: with the
// pinned uploader (notify.SubMeta).
// testUpload is the upload id put pins, as the broker pins one per upload.
const testUpload = "dGVzdC11cGxvYWQtaWQtMDE"

func (e *env) put(t testing.TB, key, contentType, sub string, body []byte, extra func(*oss.PutObjectRequest)) (*oss.PutObjectResult, error) {
	t.Helper()
	req := &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key), ContentType: oss.Ptr(contentType),
		Body: bytes.NewReader(body), Metadata: map[string]string{notify.SubMeta: notify.EncodeSub(sub), notify.UploadMeta: testUpload}}
	if extra != nil {
		extra(req)
	}
	return e.client.PutObject(context.Background(), req)
}

func (e *env) nextEvent(t testing.TB) []byte {
	t.Helper()
	select {
	case ev := <-e.events:
		return ev
	case <-time.After(waitTimeout):
		t.Fatal("no OSS event")
		return nil
	}
}

func (e *env) nextDone(t testing.TB) done {
	t.Helper()
	select {
	case d := <-e.dones:
		return d
	case <-time.After(waitTimeout):
		t.Fatalf("no invocation finished within %v", waitTimeout)
		return done{}
	}
}

// invoke runs one event synchronously through the runtime API and returns
// the handler's outcomes.
func (e *env) invoke(t testing.TB, ev events.OssEvent) ([]uploadevent.Outcome, *fcemu.FunctionError) {
	t.Helper()
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	res, err := e.rt.Invoke(ctx, raw, fcemu.Invocation{FunctionName: "ossbroker-inspector", Timeout: waitTimeout})
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if res.Err != nil {
		return nil, res.Err
	}
	var out []uploadevent.Outcome
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatalf("outcome %s: %v", res.Body, err)
	}
	return out, nil
}

func pngBytes(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// payload decodes a notification body.
func payload(t testing.TB, d delivery) notify.Payload {
	t.Helper()
	var p notify.Payload
	if err := json.Unmarshal([]byte(d.Body), &p); err != nil {
		t.Fatalf("notification body %q: %v", d.Body, err)
	}
	return p
}

// verifyGo checks a delivery with the broker's own Standard Webhooks
// verifier.
func verifyGo(t testing.TB, d delivery) {
	t.Helper()
	src, err := webhook.NewSource("uploads", webhook.Standard, "NOTIFICATION_SECRET", notificationSecret)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for k, v := range d.Headers {
		h.Set(k, v)
	}
	ev, err := src.Verify(h, []byte(d.Body), time.Now(), 0)
	if err != nil {
		t.Fatalf("the notification does not verify: %v", err)
	}
	if ev.ID != d.Headers["webhook-id"] {
		t.Fatalf("verified id %q, header %q", ev.ID, d.Headers["webhook-id"])
	}
}

// TestAcceptedUploadNotifiedOnceByID: a PNG uploaded under the prefix is
// inspected by the trigger path and notified upload.completed with the
// uploader's sub from the object's pinned metadata; the same event
// delivered again (OSS and FC deliver at least once) is notified again
// under the same webhook-id, and so is a third path's view of the same
// object version (notify.ID of bucket, key, ETag).
func TestAcceptedUploadNotifiedOnceByID(t *testing.T) {
	recv := newReceiver(t, 0)
	e := start(t, recv)
	body := pngBytes(t)
	res, err := e.put(t, prefix+"alice/photo.png", "image/png", "alice@example.com/ü", body, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := e.nextEvent(t)
	first := recv.next(t)
	if d := e.nextDone(t); d.err != nil || d.attempts != 1 {
		t.Fatalf("invocation: %d attempts, %v", d.attempts, d.err)
	}
	verifyGo(t, first)
	p := payload(t, first)
	etag := strings.Trim(oss.ToString(res.ETag), `"`)
	want := notify.Upload{Sub: "alice@example.com/ü"}
	want.Bucket, want.Key, want.Size, want.ETag = bucket, prefix+"alice/photo.png", int64(len(body)), etag
	want.DeclaredType, want.DetectedType, want.Verdict = "image/png", "image/png", "accepted"
	got := p.Data
	got.CRC64 = ""
	if p.Type != notify.Completed || got.Bucket != want.Bucket || got.Key != want.Key || got.Size != want.Size ||
		got.ETag != want.ETag || got.DeclaredType != want.DeclaredType || got.DetectedType != want.DetectedType ||
		got.Verdict != want.Verdict || got.Sub != want.Sub || got.Reason != "" {
		t.Fatalf("notification %s\nwant type %s data %+v", first.Body, notify.Completed, want)
	}
	if id := notify.ID(bucket, prefix+"alice/photo.png", etag, testUpload); first.Headers["webhook-id"] != id {
		t.Fatalf("webhook-id %q, want %q", first.Headers["webhook-id"], id)
	}

	// The same event twice more, as a duplicate delivery would bring it.
	e.async.Submit(ev)
	e.async.Submit(ev)
	for range 2 {
		d := recv.next(t)
		verifyGo(t, d)
		if d.Headers["webhook-id"] != first.Headers["webhook-id"] {
			t.Fatalf("duplicate event notified under id %q, first was %q", d.Headers["webhook-id"], first.Headers["webhook-id"])
		}
		if d.Body != first.Body {
			t.Fatalf("duplicate event notified with other bytes:\n%s\n%s", d.Body, first.Body)
		}
		e.nextDone(t)
	}
	ids := map[string]bool{}
	for _, d := range recv.all() {
		ids[d.Headers["webhook-id"]] = true
	}
	if len(ids) != 1 || len(recv.all()) != 3 {
		t.Fatalf("%d POSTs with %d distinct ids, want 3 POSTs with 1 id", len(recv.all()), len(ids))
	}
}

// TestReceiverDownThenUp: the receiver answers 503 to the first three
// attempts; the failed notification fails the invocation, FC retries it,
// and the fourth attempt delivers, under the same id and bytes.
func TestReceiverDownThenUp(t *testing.T) {
	recv := newReceiver(t, 3)
	e := start(t, recv)
	if _, err := e.put(t, prefix+"bob/a.png", "image/png", "bob", pngBytes(t), nil); err != nil {
		t.Fatal(err)
	}
	d := e.nextDone(t)
	if d.err != nil || d.attempts != 4 {
		t.Fatalf("invocation: %d attempts, last error %v; want 4 attempts, delivered", d.attempts, d.err)
	}
	all := recv.all()
	if len(all) != 4 {
		t.Fatalf("%d POSTs, want 4", len(all))
	}
	for i, g := range all {
		if g.Headers["webhook-id"] != all[0].Headers["webhook-id"] || g.Body != all[0].Body {
			t.Fatalf("attempt %d differs from the first: %v", i+1, g)
		}
		verifyGo(t, g)
	}
	if all[3].Status != http.StatusOK {
		t.Fatalf("last status %d", all[3].Status)
	}
}

// TestCallbackFailedUploadNotifiedByTrigger: an upload whose OSS callback
// failed (the broker unreachable: OSS answers 203 CallbackFailed and keeps
// the object) is still inspected and notified by the trigger path: here an
// HTML page declared image/png, rejected and deleted.
func TestCallbackFailedUploadNotifiedByTrigger(t *testing.T) {
	recv := newReceiver(t, 0)
	e := start(t, recv)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + "/v1/callbacks/oss"
	dead.Close()
	cb, _ := json.Marshal(map[string]string{"callbackUrl": deadURL, "callbackBody": "bucket=${bucket}&object=${object}"})
	key := prefix + "carol/evil.png"
	_, err = e.put(t, key, "image/png", "carol", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), func(r *oss.PutObjectRequest) {
		r.Callback = oss.Ptr(base64.StdEncoding.EncodeToString(cb))
	})
	var se *oss.ServiceError
	if !errors.As(err, &se) || se.StatusCode != http.StatusNonAuthoritativeInfo || se.Code != "CallbackFailed" {
		t.Fatalf("put with a dead callback: %v, want 203 CallbackFailed", err)
	}
	n := recv.next(t)
	verifyGo(t, n)
	p := payload(t, n)
	if p.Type != notify.Rejected || p.Data.Verdict != "rejected" || p.Data.Reason != "content_type_mismatch" ||
		p.Data.DetectedType != "text/html" || p.Data.Sub != "carol" || p.Data.Action != "quarantined" {
		t.Fatalf("notification %s", n.Body)
	}
	if _, err := e.client.HeadObject(context.Background(), &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)}); err == nil {
		t.Fatal("the rejected object is still there")
	}
	if d := e.nextDone(t); d.err != nil {
		t.Fatal(d.err)
	}
}

// TestNoDoubleVerdicts: the trigger path never turns a rejection by the
// other path into "accepted". Tag mode: an object the callback route
// tagged rejected (by a stricter configuration at the time) stays rejected
// with that reason, although its bytes would pass today. Delete mode: an
// object already deleted is notified rejected (object_gone) under the same
// id as the path that deleted it, never skipped silently; an event whose
// ETag was overwritten since is skipped.
func TestNoDoubleVerdicts(t *testing.T) {
	t.Run("tagged stays rejected", func(t *testing.T) {
		recv := newReceiver(t, 0)
		e := start(t, recv, "REJECTED_UPLOADS=tag")
		key := prefix + "dave/ok.png"
		res, err := e.put(t, key, "image/png", "dave", pngBytes(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		ev := e.nextEvent(t)
		first := payload(t, recv.next(t))
		e.nextDone(t)
		if first.Data.Verdict != "accepted" {
			t.Fatalf("first verdict %+v", first.Data)
		}
		// The callback route rejected it meanwhile (as a stricter
		// ALLOWED_CONTENT_TYPES would): tagged.
		_, err = e.client.PutObjectTagging(context.Background(), &oss.PutObjectTaggingRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key),
			Tagging: &oss.Tagging{TagSet: &oss.TagSet{Tags: []oss.Tag{
				{Key: oss.Ptr("ossbroker-verdict"), Value: oss.Ptr("rejected")},
				{Key: oss.Ptr("ossbroker-reason"), Value: oss.Ptr("unsupported_media_type")}}}}})
		if err != nil {
			t.Fatal(err)
		}
		e.async.Submit(ev)
		n := recv.next(t)
		p := payload(t, n)
		if p.Type != notify.Rejected || p.Data.Reason != "unsupported_media_type" || p.Data.Action != "tagged" {
			t.Fatalf("a tagged rejection was re-judged: %s", n.Body)
		}
		if n.Headers["webhook-id"] != notify.ID(bucket, key, oss.ToString(res.ETag), testUpload) {
			t.Fatal("another id")
		}
		e.nextDone(t)
	})
	t.Run("deleted is rejected, overwritten is skipped", func(t *testing.T) {
		recv := newReceiver(t, 0)
		e := start(t, recv, "REJECTED_UPLOADS=delete")
		key := prefix + "erin/x.png"
		str := func(s string) *string { return &s }
		size := 100
		gone := events.OssEvent{Events: []*events.OssEventRecord{{
			EventName: str("ObjectCreated:PutObject"),
			Oss: &events.Oss{Bucket: &events.Bucket{Name: str(bucket)},
				Object: &events.Object{Key: str(key), ETag: str("0123456789ABCDEF0123456789ABCDEF"), Size: &size,
					ObjectMeta: &events.ObjectMeta{MimeType: str("image/png")}}},
		}}}
		out, ferr := e.invoke(t, gone)
		if ferr != nil || len(out) != 1 || out[0].Verdict != "rejected" || out[0].Reason != inspect.ReasonGone {
			t.Fatalf("gone object: %+v %v", out, ferr)
		}
		if n := recv.next(t); n.Headers["webhook-id"] != notify.ID(bucket, key, "0123456789ABCDEF0123456789ABCDEF", "") {
			t.Fatalf("gone object notified under %q", n.Headers["webhook-id"])
		}
		// Now the key exists with other bytes: the old event is stale.
		if _, err := e.put(t, key, "image/png", "erin", pngBytes(t), nil); err != nil {
			t.Fatal(err)
		}
		recv.next(t) // the new version's own notification
		e.nextDone(t)
		out, ferr = e.invoke(t, gone)
		if ferr != nil || len(out) != 1 || out[0].Skipped == "" {
			t.Fatalf("stale event: %+v %v", out, ferr)
		}
		if n := len(recv.all()); n != 2 {
			t.Fatalf("%d POSTs, want 2 (stale event notified)", n)
		}
	})
}

// TestSkipsWhatIsNotOurs: events the broker did not cause are skipped
// without error (no retry) and without notification: another bucket,
// outside the prefix, an event that is no upload, a verified webhook the
// broker stored in its webhooks folder. An upload into the webhooks folder
// without the sink's metadata is inspected like any other.
func TestSkipsWhatIsNotOurs(t *testing.T) {
	recv := newReceiver(t, 0)
	e := start(t, recv)
	str := func(s string) *string { return &s }
	rec := func(name, bkt, key string) *events.OssEventRecord {
		return &events.OssEventRecord{EventName: str(name), Oss: &events.Oss{Bucket: &events.Bucket{Name: str(bkt)},
			Object: &events.Object{Key: str(key), ETag: str("00")}}}
	}
	hook := prefix + "webhooks/gh/abc.json"
	if _, err := e.client.PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(hook),
		ContentType: oss.Ptr("application/json"), Body: strings.NewReader(`{}`),
		Metadata: map[string]string{"webhook-source": "gh", "webhook-id": "abc"}}); err != nil {
		t.Fatal(err)
	}
	e.nextDone(t) // its own trigger event: skipped
	cases := []*events.OssEventRecord{
		rec("ObjectCreated:PutObject", "otherbucket", prefix+"a.png"),
		rec("ObjectCreated:PutObject", bucket, "elsewhere/a.png"),
		rec("ObjectCreated:PutObject", bucket, prefix+"folder/"),
		rec("ObjectRemoved:DeleteObject", bucket, prefix+"a.png"),
		rec("ObjectCreated:UploadPart", bucket, prefix+"a.png"),
		rec("ObjectCreated:PutObject", bucket, hook),
		nil,
	}
	out, ferr := e.invoke(t, events.OssEvent{Events: cases})
	if ferr != nil {
		t.Fatal(ferr)
	}
	for i, o := range out {
		if o.Skipped == "" {
			t.Errorf("record %d not skipped: %+v", i, o)
		}
	}
	if n := len(recv.all()); n != 0 {
		t.Fatalf("%d notifications for what is not ours", n)
	}
	// An uploader's object in the webhooks folder (no sink metadata).
	sneaky := prefix + "webhooks/x/evil.png"
	if _, err := e.put(t, sneaky, "image/png", "mallory", []byte("<html>not a png</html>"), nil); err != nil {
		t.Fatal(err)
	}
	n := recv.next(t)
	if p := payload(t, n); p.Data.Key != sneaky || p.Data.Verdict != "rejected" {
		t.Fatalf("an upload into the webhooks folder was not inspected: %s", n.Body)
	}
	e.nextDone(t)
}

// TestNotificationSignatures verifies every notification the inspector sent
// with the Standard Webhooks reference library (standardwebhooks on npm,
// pinned in verifytest/package.json), run by node.
func TestNotificationSignatures(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is required for this test (the Standard Webhooks reference library is JavaScript)")
	}
	if _, err := os.Stat("verifytest/node_modules/standardwebhooks/package.json"); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = "verifytest"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in verifytest: %v\n%s", err, out)
		}
	}
	recv := newReceiver(t, 0)
	e := start(t, recv)
	if _, err := e.put(t, prefix+"f/ok.png", "image/png", "frank", pngBytes(t), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.put(t, prefix+"f/bad.png", "image/png", "frank", []byte("<svg xmlns='http://www.w3.org/2000/svg'></svg>"), nil); err != nil {
		t.Fatal(err)
	}
	recv.next(t)
	recv.next(t)
	e.nextDone(t)
	e.nextDone(t)
	all := recv.all()
	tampered := all[0]
	tampered.Body = strings.Replace(tampered.Body, "frank", "frenk", 1)
	run := func(ds []delivery) (string, error) {
		f := filepath.Join(t.TempDir(), "deliveries.json")
		b, _ := json.Marshal(ds)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(node, "verify.mjs", f)
		cmd.Dir = "verifytest"
		cmd.Env = append(os.Environ(), "NOTIFICATION_SECRET="+notificationSecret)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(all)
	if err != nil || strings.Count(out, "ok ") != 2 || !strings.Contains(out, "upload.completed") || !strings.Contains(out, "upload.rejected") {
		t.Fatalf("standardwebhooks did not verify both notifications: %v\n%s", err, out)
	}
	// The library is not a rubber stamp: a tampered body fails.
	if out, err := run([]delivery{tampered}); err == nil || !strings.HasPrefix(out, "fail") {
		t.Fatalf("a tampered notification verified: %s", out)
	}
}

// BenchmarkUploadToNotification is the end-to-end latency of the trigger
// path in local mode's parts: PutObject to the local OSS server, its OSS
// event, FC's asynchronous invocation through the runtime API into the
// compiled inspector's fc.Start loop, the ranged GET, the verdict, and the
// signed POST received by the application.
func BenchmarkUploadToNotification(b *testing.B) {
	recv := newReceiver(b, 0)
	e := start(b, recv)
	body := pngBytes(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := e.put(b, prefix+"bench/"+strings.Repeat("x", i%7)+time.Now().Format("150405.000000000")+".png", "image/png", "b", body, nil); err != nil {
			b.Fatal(err)
		}
		recv.next(b)
		<-e.events
		<-e.dones
	}
}

// TestStartupFailsWithoutCredentials: an inspector with no AccessKey pair
// and no role credentials stops at startup, naming the fix, instead of
// failing (and being retried by FC) on every event.
func TestStartupFailsWithoutCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, proctest.Build(t, "."))
	cmd.Env = append(os.Environ(), "FC_RUNTIME_API=127.0.0.1:1",
		"OSS_ACCESS_KEY_ID=", "OSS_ACCESS_KEY_SECRET=", "ALIBABA_CLOUD_ACCESS_KEY_ID=",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=", "ALIBABA_CLOUD_SECURITY_TOKEN=")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, output %s", err, out)
	}
	for _, want := range []string{"startup failed", "no OSS credentials", "role", "OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the startup error does not say %q: %s", want, out)
		}
	}
}
