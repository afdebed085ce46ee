package broker

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ossbroker/ossbroker/pkg/internal/jsonstring"
)

var presignBodies = []string{
	`{"key":"exampledir/photos/cat.png","contentType":"image/png"}`,
	` { "key" : "exampledir/a b.txt" , "overwrite" : true , "contentLength" : 12, "expiresIn": 60 } `,
	`{}`, `{"key":""}`, `{"key":"exampledir/你好/ü.txt","contentMD5":"1B2M2Y8AsgTpgAmY7PhCfg=="}`,
	`{"contentLength":-0,"expiresIn":-5}`, `{"overwrite":false}`,
	// For encoding/json:
	`{"key":"a\"b"}`, `{"key":"a\u0041"}`, `{"Key":"x"}`, `{"key":"x","key":"y"}`, `{"key":null}`,
	`{"contentLength":1.0}`, `{"contentLength":1e3}`, `{"contentLength":01}`, `{"contentLength":99999999999999999999}`,
	`{"metadata":{"a":"b"}}`, `{"files":[{"key":"x"}]}`, `{"other":1}`, `{"key":"x"} {}`, `{"key":"x"`, `[]`, ``,
	`{"overwrite":"true"}`, `{"key":1}`, "{\"key\":\"a\tb\"}", `{"key":"x",}`, `{,}`,
	`{"key":"exampledir/\ud800"}`, `{"key":"exampledir/\ud83d\ude00","contentType":"\udc00"}`,
}

// FuzzDecodePresign: wherever the fast path decodes a body, unmarshalStrict
// (encoding/json) accepts it with the same result.
func FuzzDecodePresign(f *testing.F) {
	for _, s := range append(presignBodies, "{\"key\":\"exampledir/\xff\"}", "{\"key\":\"\xed\xa0\x80\"}") {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !jsonstring.Lossless(body) { // readJSON refuses it first
			return
		}
		// What readJSON lets through decodes without replacement, on both
		// paths: no string field gets a U+FFFD the body did not write.
		var env presignEnvelope
		if unmarshalStrict(body, &env) == nil && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) && !bytes.ContainsRune(body, utf8.RuneError) {
			r := env.presignRequest
			for _, s := range []string{r.Key, r.ContentType, r.ContentMD5} {
				if strings.ContainsRune(s, utf8.RuneError) {
					t.Fatalf("%q: decoded with replacement: %q", body, s)
				}
			}
		}
		var fast presignRequest
		if !decodePresign(body, &fast) {
			return
		}
		env = presignEnvelope{}
		if aerr := unmarshalStrict(body, &env); aerr != nil || env.Files != nil {
			t.Fatalf("%q: fast path %+v, encoding/json: %v", body, fast, aerr)
		}
		if !reflect.DeepEqual(fast, env.presignRequest) {
			t.Fatalf("%q: fast path %+v, encoding/json %+v", body, fast, env.presignRequest)
		}
	})
}

// TestDecodePresignTakesCommonBodies keeps the fast path from quietly
// declining everything.
func TestDecodePresignTakesCommonBodies(t *testing.T) {
	for _, s := range presignBodies[:7] {
		var r presignRequest
		if !decodePresign([]byte(s), &r) {
			t.Errorf("fast path declined %s", s)
		}
	}
	for _, s := range presignBodies[7:] {
		var r presignRequest
		if decodePresign([]byte(s), &r) {
			t.Errorf("fast path took %s", s)
		}
	}
}
