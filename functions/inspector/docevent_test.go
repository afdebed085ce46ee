package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/devtools/docsamples"
	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/proctest"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
	"github.com/ossbroker/ossbroker/pkg/uploadevent"
)

// TestDocumentedOSSEvent feeds the OSS trigger events the providers
// document (docsamples: the SDK's events/README_OSS.md and the fc3
// component's event template), byte for byte, to the compiled inspector
// under the real fc.Start loop. The bucket and prefix are configured as
// the sample names them and the object the sample describes is stored
// (same key, ETag, size and type), so each event must be handled as an
// upload: inspected, accepted and notified, never skipped.
func TestDocumentedOSSEvent(t *testing.T) {
	recv := newReceiver(t, 0)
	rt := fcemu.NewRuntimeAPI()
	rtAddr, err := rt.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	const docBucket, docPrefix = "testbucket", "image/"
	doc, err := ossconfig.JSON(ossconfig.InspectorPolicy(docBucket, docPrefix, inspect.QuarantineFolder, "quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := ossemu.ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ossemu.New(ossemu.Config{Region: region, Buckets: []string{docBucket},
		Users: []ossemu.User{{AccessKeyID: inspID, AccessKeySecret: inspSecret, Policy: pol}}})
	if err != nil {
		t.Fatal(err)
	}
	ossAddr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cmd := exec.Command(proctest.Build(t, "."))
	cmd.Env = append(os.Environ(), "FC_RUNTIME_API="+rtAddr.String(),
		"OSS_ENDPOINT=http://"+ossAddr.String(), "OSS_BUCKET="+docBucket, "OSS_REGION="+region,
		"OSS_ACCESS_KEY_ID="+inspID, "OSS_ACCESS_KEY_SECRET="+inspSecret,
		"NOTIFICATION_URL="+recv.srv.URL+"/hooks/uploads", "NOTIFICATION_SECRET="+notificationSecret,
		"UPLOAD_PREFIX="+docPrefix)
	out := &proctest.Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("inspector output:\n%s", out)
		}
	})

	for _, name := range []string{"fc-oss-event.json", "fc3-oss-event-template.json"} {
		t.Run(name, func(t *testing.T) {
			raw := docsamples.Read(name)
			var ev struct {
				Events []struct {
					Oss struct {
						Bucket struct {
							Name string `json:"name"`
						} `json:"bucket"`
						Object struct {
							ETag       string `json:"eTag"`
							Key        string `json:"key"`
							Size       int    `json:"size"`
							ObjectMeta *struct {
								MimeType string `json:"mimeType"`
							} `json:"objectMeta"`
						} `json:"object"`
					} `json:"oss"`
				} `json:"events"`
			}
			if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Events) != 1 {
				t.Fatalf("sample: %v", err)
			}
			o := ev.Events[0].Oss.Object
			if ev.Events[0].Oss.Bucket.Name != docBucket || !strings.HasPrefix(o.Key, docPrefix) {
				t.Fatalf("the sample names %s/%s, the test is set up for %s/%s*", ev.Events[0].Oss.Bucket.Name, o.Key, docBucket, docPrefix)
			}
			if err := srv.Seed(docBucket, o.Key, "image/jpeg", jpegOfSize(t, o.Size), o.ETag); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			res, err := rt.Invoke(ctx, raw, fcemu.Invocation{FunctionName: "ossbroker-inspector", Region: region, Timeout: waitTimeout})
			if err != nil {
				t.Fatal(err)
			}
			if res.Err != nil {
				t.Fatalf("function error: %+v", res.Err)
			}
			var outs []uploadevent.Outcome
			if err := json.Unmarshal(res.Body, &outs); err != nil {
				t.Fatalf("outcome %s: %v", res.Body, err)
			}
			if len(outs) != 1 || outs[0].Skipped != "" || outs[0].Key != o.Key || outs[0].Verdict != "accepted" {
				t.Fatalf("the documented event was not handled as an upload: %s", res.Body)
			}
			d := recv.next(t)
			verifyGo(t, d)
			p := payload(t, d)
			if p.Type != notify.Completed || p.Data.Bucket != docBucket || p.Data.Key != o.Key || p.Data.ETag != o.ETag ||
				p.Data.Size != int64(o.Size) || p.Data.DetectedType != "image/jpeg" || p.Data.Verdict != "accepted" {
				t.Fatalf("notification %s", d.Body)
			}
		})
	}
}

// jpegOfSize is a JPEG image padded to n bytes (bytes after the end marker
// are ignored by decoders and type detection alike).
func jpegOfSize(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	if b.Len() > n {
		t.Fatalf("a JPEG of %d bytes does not fit in %d", b.Len(), n)
	}
	return append(b.Bytes(), make([]byte, n-b.Len())...)
}

// TestMultipartEventUsesMultipartLimit: an object over MAX_UPLOAD_BYTES is
// rejected when a PutObject event names it and accepted when a
// CompleteMultipartUpload event does (MAX_MULTIPART_BYTES), with the event
// names the local OSS server sends as FC does (ObjectCreated:..., no oss:).
func TestMultipartEventUsesMultipartLimit(t *testing.T) {
	recv := newReceiver(t, 0)
	e := start(t, recv, "MAX_UPLOAD_BYTES=1KiB", "MAX_DIRECT_UPLOAD_BYTES=1KiB")
	body := jpegOfSize(t, 2048)
	ctx := context.Background()
	key := prefix + "gina/big.jpg"
	init, err := e.client.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key),
		ContentType: oss.Ptr("image/jpeg"), Metadata: map[string]string{notify.SubMeta: notify.EncodeSub("gina")}})
	if err != nil {
		t.Fatal(err)
	}
	part, err := e.client.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key), UploadId: init.UploadId,
		PartNumber: 1, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key),
		UploadId: init.UploadId, CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: []oss.UploadPart{{PartNumber: 1, ETag: part.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if ev := e.nextEvent(t); !bytes.Contains(ev, []byte(`"eventName":"ObjectCreated:CompleteMultipartUpload"`)) {
		t.Fatalf("event %s", ev)
	}
	if p := payload(t, recv.next(t)); p.Data.Key != key || p.Data.Verdict != "accepted" {
		t.Fatalf("multipart upload of %d bytes: %+v", len(body), p.Data)
	}
	e.nextDone(t)
	if _, err := e.put(t, prefix+"gina/big-put.jpg", "image/jpeg", "gina", body, nil); err != nil {
		t.Fatal(err)
	}
	if p := payload(t, recv.next(t)); p.Data.Key != prefix+"gina/big-put.jpg" || p.Data.Verdict != "rejected" {
		t.Fatalf("single PUT of %d bytes over MAX_UPLOAD_BYTES: %+v", len(body), p.Data)
	}
	e.nextDone(t)
}
