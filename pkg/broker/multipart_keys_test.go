package broker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/uploadhandle"
)

// growingUnits are the characters that grow most under the encodings a
// handle goes through (JSON with or without HTML escaping, base64url):
// every printable ASCII byte, and non-ASCII characters JSON escapes or
// that are wide in UTF-8.
func growingUnits() []string {
	var units []string
	for c := byte(0x20); c < 0x7f; c++ {
		units = append(units, string(c))
	}
	return append(units, "\u00e9", "\u2028", "\u2029", "\u0800", "\U0001F600", "\ufffd", "\ufeff")
}

// maxKey fills "exampledir/" with unit up to OSS's 1023 bytes (whole
// characters; "x" pads the rest).
func maxKey(unit string) string {
	const prefix = "exampledir/"
	n := objectkey.MaxKeyBytes - len(prefix)
	return prefix + strings.Repeat(unit, n/len(unit)) + strings.Repeat("x", n%len(unit))
}

// listUploads lists the bucket's multipart uploads in progress, as the
// account owner sees them.
func listUploads(t *testing.T, c *oss.Client) []string {
	t.Helper()
	res, err := c.ListMultipartUploads(context.Background(), &oss.ListMultipartUploadsRequest{Bucket: oss.Ptr(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range res.Uploads {
		out = append(out, oss.ToString(u.Key))
	}
	return out
}

// TestMultipartLongestKeys: a key of the maximum valid length, made of any
// character, works on every multipart route: never a 500 (the handle's
// bound is derived from the key's), and no upload is left behind in OSS.
// Before the fix, "<", ">" and "&" (6 bytes each in encoding/json) made the
// handle overflow after OSS had started the upload: 500 and an orphan.
func TestMultipartLongestKeys(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	tried := 0
	for _, unit := range growingUnits() {
		key := maxKey(unit)
		if objectkey.Validate(key) != nil {
			continue // the key gate refuses it; nothing starts
		}
		tried++
		r := e.call(tok, "/v1/multipart", map[string]any{"key": key, "contentType": "application/octet-stream", "size": 1000})
		if r.status != 200 {
			t.Errorf("initiate, key of %q: %d %s", unit, r.status, r.body)
			continue
		}
		var in initiated
		r.json(t, &in)
		if in.Key != key {
			t.Fatalf("key of %q came back as %q", unit, in.Key)
		}
		if unit == "<" {
			// One full round trip: part, complete.
			parts := e.uploadParts(tok, in, randomData(1000))
			if r := e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": parts}); r.status != 201 {
				t.Errorf("complete, key of %q: %d %s", unit, r.status, r.body)
			}
			continue
		}
		if r := e.call(tok, "/v1/multipart/parts", map[string]any{"handle": in.Handle, "partNumbers": []int{1}}); r.status != 200 {
			t.Errorf("parts, key of %q: %d %s", unit, r.status, r.body)
		}
		if r := e.call(tok, "/v1/multipart/abort", map[string]any{"handle": in.Handle}); r.status != 204 {
			t.Errorf("abort, key of %q: %d %s", unit, r.status, r.body)
		}
	}
	if tried < 80 {
		t.Fatalf("only %d of the units make valid keys", tried)
	}
	if left := listUploads(t, e.oss); len(left) != 0 {
		t.Fatalf("%d multipart uploads left in OSS, e.g. %.40q", len(left), left[0])
	}
}

// TestOpenAPIHandleBound: the documented handle length is the package's.
func TestOpenAPIHandleBound(t *testing.T) {
	s := loadSpec(t).Components.Schemas["MultipartInitiateResponse"].Value.Properties["handle"].Value
	if s.MaxLength == nil || *s.MaxLength != uint64(uploadhandle.MaxLen) {
		t.Fatalf("openapi.yaml handle maxLength %v, uploadhandle.MaxLen %d", s.MaxLength, uploadhandle.MaxLen)
	}
}
