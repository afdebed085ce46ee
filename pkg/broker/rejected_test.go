package broker_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/inspect"
)

// TestRejectedIsNotServed: presign-get refuses a rejected upload in every
// REJECTED_UPLOADS mode: tagged in place (403 rejected), quarantined (its
// key holds nothing, and its quarantine key is outside the prefix: 403),
// while an accepted upload is served.
func TestRejectedIsNotServed(t *testing.T) {
	for _, mode := range []inspect.Action{inspect.Quarantine, inspect.Delete, inspect.Tag} {
		e := newEnv(t, options{callbacks: true, rejectAction: mode})
		tok := token(t, "alice", nil)
		get := func(key string) response {
			b, _ := json.Marshal(map[string]any{"key": key})
			return do(t, "POST", e.url+"/v1/presign-get", map[string]string{
				"Authorization": "Bearer " + tok, "Content-Type": "application/json"}, b)
		}
		if r := e.presignAndPut(tok, "exampledir/ok.png", "image/png", pngBytes(t)); r.status != 200 {
			t.Fatalf("%s: accepted upload: %d %s", mode, r.status, r.body)
		}
		if r := get("exampledir/ok.png"); r.status != 200 {
			t.Errorf("%s: accepted upload not served: %d %s", mode, r.status, r.body)
		}
		r := e.presignAndPut(tok, "exampledir/bad.png", "image/png", []byte(htmlBytes))
		var rc receipt
		r.json(t, &rc)
		if rc.Verdict != "rejected" {
			t.Fatalf("%s: %s", mode, r.body)
		}
		switch mode {
		case inspect.Tag:
			if r := get("exampledir/bad.png"); r.status != 403 || !strings.Contains(string(r.body), `"code":"rejected"`) {
				t.Errorf("tag: rejected upload served: %d %s", r.status, r.body)
			}
		case inspect.Quarantine:
			if r := get(inspect.QuarantineKey("exampledir/bad.png", rc.ETag)); r.status != 403 {
				t.Errorf("quarantine: the quarantined copy is reachable: %d %s", r.status, r.body)
			}
			fallthrough
		default:
			if e.exists("exampledir/bad.png") {
				t.Errorf("%s: the rejected upload is still under its key", mode)
			}
		}
	}
}
