package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/notify"
)

// TestStaleEventNeverTouchesNewerVersion, in every REJECTED_UPLOADS mode: a
// small PUT (accepted), then an overwrite by an accepted 1.5 MiB multipart
// upload, then the small PUT's event delivered again (FC retries): the
// retry judges nothing and acts on nothing (the newer object stays, its
// ETag, size and tags unchanged) and notifies nothing, so no notification
// about either version contradicts another. On the old code the retry read
// the newer object, applied the single-upload limit to it and deleted it.
func TestStaleEventNeverTouchesNewerVersion(t *testing.T) {
	for _, mode := range []string{"quarantine", "delete", "tag"} {
		t.Run(mode, func(t *testing.T) {
			recv := newReceiver(t, 0)
			e := start(t, recv, "REJECTED_UPLOADS="+mode, "MAX_UPLOAD_BYTES=1048576")
			ctx := context.Background()
			key := prefix + "fay/photo.png"
			if _, err := e.put(t, key, "image/png", "fay", pngBytes(t), nil); err != nil {
				t.Fatal(err)
			}
			small := e.nextEvent(t)
			if p := payload(t, recv.next(t)); p.Data.Verdict != "accepted" {
				t.Fatalf("small PUT: %+v", p.Data)
			}
			e.nextDone(t)

			big := append(pngBytes(t), make([]byte, 3<<19)...) // 1.5 MiB
			up, err := e.client.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key),
				ContentType: oss.Ptr("image/png"), Metadata: map[string]string{notify.SubMeta: notify.EncodeSub("fay")}})
			if err != nil {
				t.Fatal(err)
			}
			var parts []oss.UploadPart
			for i, chunk := range [][]byte{big[:1<<20], big[1<<20:]} {
				res, err := e.client.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key), UploadId: up.UploadId,
					PartNumber: int32(i + 1), Body: bytes.NewReader(chunk)})
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, oss.UploadPart{PartNumber: int32(i + 1), ETag: res.ETag})
			}
			done, err := e.client.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key),
				UploadId: up.UploadId, CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: parts}})
			if err != nil {
				t.Fatal(err)
			}
			e.nextEvent(t)
			if p := payload(t, recv.next(t)); p.Data.Verdict != "accepted" || p.Data.Size != int64(len(big)) {
				t.Fatalf("multipart overwrite: %+v", p.Data)
			}
			e.nextDone(t)

			e.async.Submit(small) // the retry of the small PUT's event
			if d := e.nextDone(t); d.err != nil {
				t.Fatalf("stale event: %v", d.err)
			}
			if n := len(recv.all()); n != 2 {
				t.Fatalf("%d notifications, want 2: the stale event notified", n)
			}
			head, err := e.client.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
			if err != nil {
				t.Fatalf("the newer, accepted object is gone: %v", err)
			}
			if oss.ToString(head.ETag) != oss.ToString(done.ETag) || head.ContentLength != int64(len(big)) {
				t.Fatalf("the newer object changed: %s %d", oss.ToString(head.ETag), head.ContentLength)
			}
			tags, err := e.client.GetObjectTagging(ctx, &oss.GetObjectTaggingRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
			if err != nil || len(tags.Tags) != 0 {
				t.Fatalf("the newer object was tagged: %v %v", tags, err)
			}
		})
	}
}
