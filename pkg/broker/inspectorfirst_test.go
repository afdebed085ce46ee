package broker_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/inspect"
)

// TestCompleteAfterInspectorAnswersVerdict: the OSS-triggered inspector
// judges every multipart upload before the complete route reads it (the
// local OSS server runs it on the event, before answering the complete). The
// route answers the verdict, never 404: on the broker's own route the
// receipt (201 accepted, 200 rejected), on Uppy's S3 route 200 or the 422
// rejection, in quarantine and delete mode. On the old code every rejected
// upload answered 404 not_found.
func TestCompleteAfterInspectorAnswersVerdict(t *testing.T) {
	html := []byte(htmlBytes)
	for _, mode := range []inspect.Action{inspect.Quarantine, inspect.Delete} {
		e := newEnv(t, options{callbacks: true, rejectAction: mode, inspectorFirst: true})
		tok := token(t, "alice", nil)
		for _, tc := range []struct {
			name, key string
			data      []byte
			uppy      bool
			status    int
			verdict   string
		}{
			{"accepted", "exampledir/first/ok.png", pngBytes(t), false, 201, "accepted"},
			{"rejected", "exampledir/first/bad.png", html, false, 200, "rejected"},
			{"uppy accepted", "exampledir/first/uppy-ok.png", pngBytes(t), true, 200, ""},
			{"uppy rejected", "exampledir/first/uppy-bad.png", html, true, 422, ""},
		} {
			in := e.initiate(tok, map[string]any{"key": tc.key, "contentType": "image/png"})
			parts := e.uploadParts(tok, in, tc.data)
			var res response
			if tc.uppy {
				body := fmt.Sprintf("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>", parts[0]["etag"])
				res = do(t, "POST", e.url+"/v1/uppy/s3?uploadId="+url.QueryEscape(in.Handle),
					map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/xml"}, []byte(body))
			} else {
				res = e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": parts})
			}
			if res.status != tc.status {
				t.Errorf("%s, %s: %d %s, want %d", mode, tc.name, res.status, res.body, tc.status)
				continue
			}
			if tc.verdict != "" {
				var rc receipt
				res.json(t, &rc)
				if rc.Verdict != tc.verdict || (tc.verdict == "rejected" && rc.Action == "") {
					t.Errorf("%s, %s: %s", mode, tc.name, res.body)
				}
			}
			if tc.status == 422 && !strings.Contains(string(res.body), "rejected") {
				t.Errorf("%s, %s: %s", mode, tc.name, res.body)
			}
		}
	}
}
