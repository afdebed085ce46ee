package fcevent

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/devtools/docsamples"
)

// TypicalEvent and TypicalResponse are what FC sends, or the local emulator
// produces, and what the broker answers; exported for the external tests.
const (
	TypicalEvent    = `{"version":"v1","rawPath":"/v1/presign","body":"{\"key\":\"exampledir/photos/cat.png\",\"contentType\":\"image/png\"}","isBase64Encoded":false,"headers":{"Accept":"*/*","Authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig","Content-Type":"application/json","User-Agent":"perf/1"},"queryParameters":{},"requestContext":{"accountId":"1234567890123456","domainName":"abc.cn-hangzhou.fcapp.run","domainPrefix":"abc","http":{"method":"POST","path":"/v1/presign","protocol":"HTTP/1.1","sourceIp":"203.0.113.7","userAgent":"perf/1"},"requestId":"1-64f6cd87-0123456789abcdef","time":"2023-09-05T06:41:11Z","timeEpoch":"1693896071895"}}`
	TypicalResponse = `{"statusCode":200,"headers":{"Cache-Control":"no-store","Content-Type":"application/json; charset=utf-8","X-Request-Id":"abc"},"isBase64Encoded":false,"body":"{\"url\":\"https://b.oss-cn-hangzhou.aliyuncs.com/exampledir/x?x-oss-signature=...\"}"}`
)

// The fast paths, for the external tests.
var (
	DecodeEventFast    = decodeEvent
	DecodeResponseFast = decodeResponse
)

// TestFastPath pins which documents the fast path decodes itself, so that
// a regression to always falling back fails, and checks what it decodes
// against encoding/json directly.
func TestFastPath(t *testing.T) {
	eventDocs := []struct {
		doc  string
		fast bool
	}{
		{TypicalEvent, true},
		{string(docsamples.Read("fc3-http-event-template.json")), true},
		{`{"requestContext":{"triggerId":"a","triggerId":"b"}}`, false},
		{`{"requestContext":{"triggerId":1}}`, false},
		{"\t\n\r {\n\"version\"\t:\r\"v1\"\n,\"headers\" : { \"a\" : \"b\" , \"c\":\"d\" } , \"requestContext\" : { \"http\" : { } } }\n", true},
		{`{}`, true},
		{`{"headers":{},"queryParameters":{}}`, true},
		{`{"headers":{"a":"1","a":"2"}}`, true},
		{`{"body":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00 \ud83d \ude00 中"}`, true},
		{"{\"body\":\"\xff\\n\xe4\xb8\"}", true},
		{`{"vers\u0069on":"v1"}`, true},
		{`{"version":null}`, false},
		{`{"version":"a","version":"b"}`, false},
		{`{"requestContext":{"http":{}},"requestContext":{}}`, false},
		{`{"Version":"v1"}`, false},
		{`{"version":"v1","x":1}`, false},
		{`{"version":"v1"} x`, false},
		{"{\"body\":\"a\tb\"}", false},
		{`{"isBase64Encoded":"true"}`, false},
	}
	for _, c := range eventDocs {
		var got, want events.HTTPTriggerEvent
		fast := decodeEvent(c.doc, &got)
		if fast != c.fast {
			t.Errorf("decodeEvent(%q) = %v, want %v", c.doc, fast, c.fast)
		}
		if fast {
			if err := json.Unmarshal([]byte(c.doc), &want); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("decodeEvent(%q) differs from encoding/json (%v)", c.doc, err)
			}
		}
	}

	responseDocs := []struct {
		doc  string
		fast bool
	}{
		{TypicalResponse, true},
		{`{"statusCode":-0,"headers":{}}`, true},
		{`{"statusCode":9223372036854775807}`, true},
		{`{"statusCode":9223372036854775808}`, false},
		{`{"statusCode":2.0}`, false},
		{`{"statusCode":1e2}`, false},
		{`{"statusCode":0200}`, false},
		{`{"headers":null}`, false},
	}
	for _, c := range responseDocs {
		var got, want events.HTTPTriggerResponse
		fast := decodeResponse(c.doc, &got)
		if fast != c.fast {
			t.Errorf("decodeResponse(%q) = %v, want %v", c.doc, fast, c.fast)
		}
		if fast {
			if err := json.Unmarshal([]byte(c.doc), &want); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("decodeResponse(%q) differs from encoding/json (%v)", c.doc, err)
			}
		}
	}
}
