package ossemu

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/devtools/docsamples"
)

type eventLog struct {
	mu  sync.Mutex
	got []events.OssEvent
}

func (l *eventLog) deliver(t *testing.T) func([]byte) {
	return func(b []byte) {
		var ev events.OssEvent
		// Strict: FC's OssEvent shape, nothing else.
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Errorf("event %s: %v", b, err)
		}
		l.mu.Lock()
		l.got = append(l.got, ev)
		l.mu.Unlock()
	}
}

func (l *eventLog) all() []events.OssEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]events.OssEvent(nil), l.got...)
}

// TestEvents: PutObject, PostObject and CompleteMultipartUpload each send
// one OssEvent record to a matching trigger, with what OSS says of the
// stored object; a trigger's prefix, suffix and event list filter, and
// nothing that is not stored (a refused write, an upload part) is sent.
func TestEvents(t *testing.T) {
	var all, pngOnly, multiOnly eventLog
	env := newEnv(t, func(cfg *Config) {
		cfg.Users = append(cfg.Users, User{AccessKeyID: "LTAI5tTestAccessKeyId", AccessKeySecret: "TestAccessKeySecret123"})
		cfg.Triggers = []EventTrigger{
			{Events: []string{"oss:ObjectCreated:*"}, Prefix: "exampledir/", Deliver: all.deliver(t)},
			{Events: []string{"oss:ObjectCreated:PutObject"}, Prefix: "exampledir/", Suffix: ".png", Deliver: pngOnly.deliver(t)},
			{Events: []string{"oss:ObjectCreated:CompleteMultipartUpload"}, Deliver: multiOnly.deliver(t)},
		}
	})
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	put := func(key, ct, body string, forbid bool) (*oss.PutObjectResult, error) {
		req := &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key), ContentType: oss.Ptr(ct), Body: strings.NewReader(body)}
		if forbid {
			req.ForbidOverwrite = oss.Ptr("true")
		}
		return c.PutObject(ctx, req)
	}
	r1, err := put("exampledir/a.png", "image/png", "png-bytes", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := put("exampledir/a.png", "image/png", "other", true); err == nil {
		t.Fatal("overwrite allowed")
	}
	if _, err := put("elsewhere/b.png", "image/png", "x", false); err != nil {
		t.Fatal(err)
	}
	if _, err := put("exampledir/c.txt", "text/plain", "hello", false); err != nil {
		t.Fatal(err)
	}
	// PostObject, the signed vector form.
	env.clock.Set(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	ct, body := vectorForm("exampledir/post.txt", vectorPolicy, "42b05e6c16141bf4f05d38bf0c099cc39760b20227d7a303177e67279a1374c1").encode(t)
	if resp := do(t, "POST", env.endpoint+"/"+testBucket, map[string]string{"Content-Type": ct}, string(body)); resp.status != 204 {
		t.Fatalf("post: %d %s", resp.status, resp.body)
	}
	env.clock.Set(time.Now())
	// Multipart: parts send nothing, complete sends one.
	key := "exampledir/multi.bin"
	init, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(testBucket), Key: &key, UploadId: init.UploadId, PartNumber: 1, Body: strings.NewReader("tail")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: &key, UploadId: init.UploadId,
		CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: []oss.UploadPart{{PartNumber: 1, ETag: pr.ETag}}}}); err != nil {
		t.Fatal(err)
	}

	type rec struct{ name, key string }
	names := func(l *eventLog) []rec {
		var out []rec
		for _, ev := range l.all() {
			if len(ev.Events) != 1 {
				t.Fatalf("%d records in one event", len(ev.Events))
			}
			out = append(out, rec{*ev.Events[0].EventName, *ev.Events[0].Oss.Object.Key})
		}
		return out
	}
	// The event names the operation without the trigger configuration's
	// oss: prefix, as FC delivers it.
	want := []rec{{"ObjectCreated:PutObject", "exampledir/a.png"}, {"ObjectCreated:PutObject", "exampledir/c.txt"},
		{"ObjectCreated:PostObject", "exampledir/post.txt"}, {"ObjectCreated:CompleteMultipartUpload", key}}
	if got := names(&all); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Fatalf("events %v, want %v", got, want)
	}
	if got := names(&pngOnly); len(got) != 1 || got[0] != want[0] {
		t.Fatalf("png trigger got %v", got)
	}
	if got := names(&multiOnly); len(got) != 1 || got[0] != want[3] {
		t.Fatalf("multipart trigger got %v", got)
	}
	r := all.all()[0].Events[0]
	if *r.EventSource != "acs:oss" || *r.Region != testRegion || *r.Oss.Bucket.Name != testBucket ||
		!strings.HasSuffix(*r.Oss.Bucket.Arn, ":"+testBucket) || *r.Oss.Object.Size != len("png-bytes") ||
		*r.Oss.Object.ETag != strings.Trim(oss.ToString(r1.ETag), `"`) || *r.Oss.Object.ObjectMeta.MimeType != "image/png" ||
		*r.ResponseElements.RequestID == "" || r.EventTime == nil {
		b, _ := json.Marshal(r)
		t.Fatalf("record %s", b)
	}
}

// TestEventShapeIsDocumented: every event the server emits (PutObject,
// PostObject, CompleteMultipartUpload) has the documented sample's keys at
// every level, with the same JSON types, and eventTime in the sample's
// format; the sample itself decodes strictly into the SDK's OssEvent.
func TestEventShapeIsDocumented(t *testing.T) {
	doc := docsamples.Read("fc-oss-event.json")
	var sample events.OssEvent
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sample); err != nil {
		t.Fatalf("the documented sample does not decode into events.OssEvent: %v", err)
	}
	var rawDoc struct {
		Events []struct {
			EventTime string `json:"eventTime"`
		} `json:"events"`
	}
	if err := json.Unmarshal(doc, &rawDoc); err != nil || len(rawDoc.Events) != 1 {
		t.Fatalf("sample: %v", err)
	}
	if _, err := time.Parse(EventTimeFormat, rawDoc.Events[0].EventTime); err != nil {
		t.Fatalf("EventTimeFormat does not read the sample's eventTime: %v", err)
	}

	var mu sync.Mutex
	var got [][]byte
	env := newEnv(t, func(cfg *Config) {
		cfg.Users = append(cfg.Users, User{AccessKeyID: "LTAI5tTestAccessKeyId", AccessKeySecret: "TestAccessKeySecret123"})
		cfg.Triggers = []EventTrigger{{Events: []string{"oss:ObjectCreated:*"}, Deliver: func(b []byte) {
			mu.Lock()
			got = append(got, b)
			mu.Unlock()
		}}}
	})
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	// A whole second, where Go's own time encoding would drop ".000".
	now := time.Now().UTC().Truncate(time.Second)
	env.clock.Set(now)
	if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("exampledir/a b/ü.png"),
		ContentType: oss.Ptr("image/png"), Body: strings.NewReader("png-bytes")}); err != nil {
		t.Fatal(err)
	}
	env.clock.Set(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) // the signed vector form's time
	ct, body := vectorForm("exampledir/post.txt", vectorPolicy, "42b05e6c16141bf4f05d38bf0c099cc39760b20227d7a303177e67279a1374c1").encode(t)
	if resp := do(t, "POST", env.endpoint+"/"+testBucket, map[string]string{"Content-Type": ct}, string(body)); resp.status != 204 {
		t.Fatalf("post: %d %s", resp.status, resp.body)
	}
	env.clock.Set(now.Add(120 * time.Millisecond))
	key := "exampledir/multi.bin"
	init, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(testBucket), Key: &key, UploadId: init.UploadId, PartNumber: 1, Body: strings.NewReader("tail")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: &key, UploadId: init.UploadId,
		CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: []oss.UploadPart{{PartNumber: 1, ETag: pr.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("%d events, want 3", len(got))
	}
	wantTimes := []string{now.Format("2006-01-02T15:04:05") + ".000Z", "2025-01-02T03:04:05.000Z",
		now.Format("2006-01-02T15:04:05") + ".120Z"}
	for i, b := range got {
		if err := docsamples.SameShape(b, doc); err != nil {
			t.Errorf("event %s\n%v", b, err)
		}
		var ev struct {
			Events []struct {
				EventTime string `json:"eventTime"`
				Oss       struct {
					Object struct {
						Key string `json:"key"`
					} `json:"object"`
				} `json:"oss"`
			} `json:"events"`
		}
		if err := json.Unmarshal(b, &ev); err != nil || len(ev.Events) != 1 {
			t.Fatalf("event %s: %v", b, err)
		}
		if ev.Events[0].EventTime != wantTimes[i] {
			t.Errorf("eventTime %q, want %q", ev.Events[0].EventTime, wantTimes[i])
		}
		if i == 0 && ev.Events[0].Oss.Object.Key != "exampledir/a b/ü.png" {
			t.Errorf("key %q: the event carries the key as stored, not URL-encoded", ev.Events[0].Oss.Object.Key)
		}
	}
}
