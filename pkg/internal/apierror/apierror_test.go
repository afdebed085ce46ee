package apierror

import (
	"encoding/json"
	"testing"
)

func TestJSON(t *testing.T) {
	got := string(JSON("key_outside_prefix", `the key must start with "exampledir/"`, "1-abc"))
	want := `{"error":{"code":"key_outside_prefix","message":"the key must start with \"exampledir/\"","requestId":"1-abc"}}`
	if got != want {
		t.Fatalf("JSON = %s\nwant   %s", got, want)
	}
	var b Body
	if err := json.Unmarshal([]byte(JSON("internal", "<x>\n", "")), &b); err != nil || b.Error.Message != "<x>\n" {
		t.Fatalf("round trip: %+v %v", b, err)
	}
}
