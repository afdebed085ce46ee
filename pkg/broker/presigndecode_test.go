package broker

import (
	"reflect"
	"testing"
	"unicode/utf8"
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
}

// FuzzDecodePresign: wherever the fast path decodes a body, unmarshalStrict
// (encoding/json) accepts it with the same result.
func FuzzDecodePresign(f *testing.F) {
	for _, s := range presignBodies {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) { // readJSON refuses it first
			return
		}
		var fast presignRequest
		if !decodePresign(body, &fast) {
			return
		}
		var env presignEnvelope
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
