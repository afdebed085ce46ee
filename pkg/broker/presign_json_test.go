package broker

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestPresignResponseJSON: the hand-written answer is json.Marshal's, byte
// for byte, also for keys and types that need escaping.
func TestPresignResponseJSON(t *testing.T) {
	for _, r := range []presignResponse{
		{},
		{Method: "PUT", URL: "https://b.oss-cn-hangzhou.aliyuncs.com/exampledir/a.png?x-oss-date=20260101T000000Z&x-oss-signature=ab",
			Headers: map[string]string{"Content-Type": "image/png", "x-oss-forbid-overwrite": "true"},
			Bucket:  "b", Key: "exampledir/a.png", ExpiresAt: time.Date(2026, 1, 1, 0, 15, 0, 0, time.UTC)},
		{Method: "PUT", URL: "u", ContentLength: func() *int64 { n := int64(12345); return &n }(), Headers: map[string]string{"Content-Type": `text/plain; charset="<&>"`, "x-oss-meta-note": "\u2028é\x01"},
			Key: "exampledir/\"quoted\" <b>&\u2029 你好.txt", ExpiresAt: time.Date(2026, 3, 7, 1, 2, 3, 456789, time.UTC)},
	} {
		want, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("appendJSON = %s\njson.Marshal  %s", got, want)
		}
	}
}
