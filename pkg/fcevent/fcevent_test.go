package fcevent_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/fcevent"
)

var typicalEvent, typicalResponse = fcevent.TypicalEvent, fcevent.TypicalResponse

// indented is doc with whitespace between all its tokens.
func indented(doc string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(doc), "\r\n", "\t "); err != nil {
		panic(err)
	}
	return " \n" + b.String() + "\t\r\n "
}

// Documents whose string values are checked in both the event and the response.
var stringCases = []string{
	`""`,
	`"plain"`,
	`"\"\\\/\b\f\n\r\t"`,
	`"\u0041\u00e9\u4E2D\u0000\u001f\u007F\u2028"`,
	`"\ud83d\ude00"`,         // a valid pair
	`"\uD83D\uDE00x"`,        // upper-case hex
	`"\ud83dx"`,              // lone high surrogate
	`"\ude00"`,               // lone low surrogate
	`"\ud83d\ud83d\ude00"`,   // high, then a valid pair
	`"\ud83d\n"`,             // high, then another escape
	`"\ud83d\u0041"`,         // high, then a non-surrogate
	`"\ud83d"`,               // high at the end
	`"\ud83d\u12"`,           // high, then a bad escape
	`"\u12G4"`,               // bad hex
	`"\u12"`,                 // short
	`"\x"`,                   // unknown escape
	`"\'"`,                   // accepted by encoding/json's unquote, not its scanner
	`"\`,                     // unterminated escape
	`"abc`,                   // unterminated
	"\"a\tb\"",               // a raw tab
	"\"a\x00b\x1fc\"",        // raw control characters
	"\"a\x7fb\x20c\"",        // DEL and space are allowed
	"\"中文é😀\"",               // valid UTF-8
	"\"\xff\"",               // invalid UTF-8
	"\"a\xe4\xb8\"",          // truncated sequence
	"\"\xed\xa0\x80\"",       // UTF-8 encoded surrogate
	"\"\\n\xff\\u00e9\xc0\"", // escapes and invalid UTF-8
	"\"\xef\xbf\xbd\"",       // U+FFFD itself
	"'single'",
	`"a" "b"`,
}

var eventCases = []string{
	typicalEvent,
	indented(typicalEvent),
	`{}`, ` {} `, `{}x`, `{} {}`, `{}}`, ``, ` `, `null`, `[]`, `"x"`, `1`, `{`, `{"`, `{"version"`, `{"version":`,
	"\xef\xbb\xbf{}", // a BOM
	// Whitespace JSON has and does not have.
	"\t\n\r {\n\"version\"\t:\r\"v1\"\n,\"headers\" : { \"a\" : \"b\" , \"c\":\"d\" } }\n",
	"{\v}", "{\f}", "{\u00a0}", "\u00a0{}",
	// Missing fields and empty objects.
	`{"version":"v1"}`,
	`{"headers":{},"queryParameters":{}}`,
	`{"requestContext":{}}`,
	`{"requestContext":{"http":{}}}`,
	`{"requestContext":{"http":{"method":"GET"}},"body":"x"}`,
	// Duplicates.
	`{"version":"a","version":"b"}`,
	`{"headers":{"a":"1"},"headers":{"b":"2"}}`,
	`{"headers":{"a":"1","a":"2","b":"3","a":"4"}}`,
	`{"queryParameters":{"a":"1","A":"2"}}`,
	`{"requestContext":{"accountId":"1"},"requestContext":{"domainName":"d"}}`,
	`{"requestContext":{"http":{"method":"GET"},"http":{"path":"/"}}}`,
	`{"requestContext":{"http":{"method":"GET","method":"PUT"}}}`,
	`{"isBase64Encoded":true,"isBase64Encoded":false}`,
	// Keys spelled otherwise.
	`{"Version":"a"}`, `{"VERSION":"a"}`, `{"rawpath":"/"}`, `{"version":"a","Version":"b"}`,
	`{"requestcontext":{"HTTP":{"Method":"GET"}}}`,
	"{\"veR\u017fion\":\"x\"}", // ſ folds to s
	"{\"bod\u0059\":\"x\"}",
	`{"vers\u0069on":"a"}`, // escaped, but exactly "version" once unquoted
	`{"vers\u0069on":"a","version":"b"}`,
	`{"head\u0065rs":{"\u0041":"\u00e9"}}`,
	"{\"version\xff\":\"a\"}",
	// Nulls.
	`{"version":null}`, `{"isBase64Encoded":null}`, `{"headers":null}`, `{"headers":{"a":null}}`,
	`{"requestContext":null}`, `{"requestContext":{"http":null}}`, `{"requestContext":{"http":{"path":null}}}`,
	`{"version":"v1","unknown":null}`,
	// Unknown keys, with nested values.
	`{"extra":{"a":[1,2,{"b":null}],"c":"\ud800"},"version":"v1"}`,
	`{"requestContext":{"extra":[1]}}`,
	`{"requestContext":{"http":{"extra":true}}}`,
	`{"version":"v1","unknown":"x"}`,
	// Wrong types.
	`{"version":1}`, `{"version":true}`, `{"version":["a"]}`, `{"version":{}}`,
	`{"isBase64Encoded":"true"}`, `{"isBase64Encoded":1}`, `{"isBase64Encoded":0}`,
	`{"headers":[]}`, `{"headers":"x"}`, `{"headers":{"a":1}}`, `{"headers":{"a":{}}}`, `{"headers":{"a":true}}`,
	`{"requestContext":"x"}`, `{"requestContext":[]}`, `{"requestContext":{"http":[]}}`, `{"requestContext":{"http":"GET"}}`,
	`{"version":1,"rawPath":"/x"}`, // a type error after which encoding/json carries on
	`{"rawPath":"/x","headers":{"a":"b","c":2,"d":"e"}}`,
	// Literals.
	`{"isBase64Encoded":true}`, `{"isBase64Encoded":false }`, `{"isBase64Encoded":truex}`, `{"isBase64Encoded":tru}`,
	`{"isBase64Encoded":TRUE}`, `{"isBase64Encoded":true"x":1}`, `{"isBase64Encoded":t`,
	// Malformed structure.
	`{"version":"v1",}`, `{,"version":"v1"}`, `{"version" "v1"}`, `{"version":"v1" "rawPath":"/"}`,
	`{"version":"v1"`, `{"version":"v1"},`, `{"version":"v1"}]`, `{"requestContext":{"http":{}}`, `{"version"::"v1"}`,
	`{"headers":{"a":"b",}}`, `{"headers":{"a"}}`, `{"headers":{"a":"b"}`, `{"headers":{1:"b"}}`, `{'version':"v1"}`,
	`{"requestContext":{"http":{"method":"GET"}}}}`,
}

var responseCases = []string{
	typicalResponse,
	indented(typicalResponse),
	`{}`, ``, `null`, `[]`, `{}x`,
	`{"statusCode":200}`, `{"statusCode":0}`, `{"statusCode":-0}`, `{"statusCode":-1}`, `{"statusCode":599 }`,
	`{"statusCode":2.0}`, `{"statusCode":200.5}`, `{"statusCode":1e2}`, `{"statusCode":2E2}`, `{"statusCode":1e-2}`,
	`{"statusCode":0200}`, `{"statusCode":00}`, `{"statusCode":-}`, `{"statusCode":--1}`, `{"statusCode":+1}`,
	`{"statusCode":-01}`, `{"statusCode":.5}`, `{"statusCode":5.}`, `{"statusCode":200x}`, `{"statusCode":1.5e308}`,
	`{"statusCode":9223372036854775807}`, `{"statusCode":9223372036854775808}`,
	`{"statusCode":-9223372036854775808}`, `{"statusCode":-9223372036854775809}`,
	`{"statusCode":99999999999999999999999}`, `{"statusCode":-99999999999999999999999}`,
	`{"statusCode":"200"}`, `{"statusCode":true}`, `{"statusCode":null}`, `{"statusCode":[200]}`,
	`{"statusCode":200,"statusCode":201}`, `{"StatusCode":200}`, `{"statuscode":1,"statusCode":2}`,
	`{"headers":{}}`, `{"headers":null}`, `{"headers":{"a":"1","a":"2"}}`, `{"headers":{"a":"1"},"headers":{"b":"2"}}`,
	`{"headers":{"a":null}}`, `{"headers":{"a":1}}`, `{"headers":[]}`,
	`{"isBase64Encoded":true}`, `{"isBase64Encoded":null}`, `{"isBase64Encoded":"false"}`,
	`{"body":null}`, `{"body":1}`, `{"body":"a","body":"b"}`, `{"Body":"x"}`,
	`{"statusCode":200,"extra":{"x":[1,"2",null]}}`,
	`{"statusCode":"x","body":"still decoded"}`,
}

func init() {
	// Special bytes at every offset of an eight-byte word.
	for n := range 17 {
		for _, c := range []string{`\"`, `\u00e9`, "\x01", "\u00e9", "\xff", `"`} {
			stringCases = append(stringCases, `"`+strings.Repeat("a", n)+c+`bcdefghijklmnopq"`)
		}
	}
	for _, s := range stringCases {
		eventCases = append(eventCases,
			`{"body":`+s+`}`,
			`{"headers":{`+s+`:"v"}}`,
			`{"requestContext":{"http":{"userAgent":`+s+`}}}`,
			`{"queryParameters":{"k":`+s+`},"version":"v"}`,
			`{`+s+`:"v"}`,
		)
		responseCases = append(responseCases,
			`{"body":`+s+`}`,
			`{"headers":{"k":`+s+`,`+s+`:"v"}}`,
		)
	}
}

// dirtyEvent is a decoding destination that is not zero, to show the
// decoders overwrite it entirely.
func dirtyEvent() events.HTTPTriggerEvent {
	s, b, m := "old", true, map[string]string{"old": "old"}
	var ev events.HTTPTriggerEvent
	ev.Version, ev.Body, ev.IsBase64Encoded, ev.Headers = &s, &s, &b, &m
	ev.TriggerContext.Http.Method, ev.TriggerContext.RequestId = &s, &s
	return ev
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error()
}

func checkDecodeEvent(t *testing.T, data []byte) {
	t.Helper()
	var want events.HTTPTriggerEvent
	wantErr := json.Unmarshal(data, &want)
	got := dirtyEvent()
	err := fcevent.DecodeEvent(data, &got)
	if !sameError(err, wantErr) || !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("DecodeEvent(%q)\n got %s, %v\nwant %s, %v", data, g, err, w, wantErr)
	}
	// DecodeEventOwned: the same answer from a buffer it may alias.
	owned := bytes.Clone(data)
	got = dirtyEvent()
	err = fcevent.DecodeEventOwned(owned, &got)
	if !sameError(err, wantErr) || !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("DecodeEventOwned(%q)\n got %s, %v\nwant %s, %v", data, g, err, w, wantErr)
	}
}

func checkDecodeResponse(t *testing.T, data []byte) {
	t.Helper()
	var want events.HTTPTriggerResponse
	wantErr := json.Unmarshal(data, &want)
	got := events.HTTPTriggerResponse{StatusCode: 1, Headers: map[string]string{"old": "old"}, IsBase64Encoded: true, Body: "old"}
	err := fcevent.DecodeResponse(data, &got)
	if !sameError(err, wantErr) || !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeResponse(%q)\n got %#v, %v\nwant %#v, %v", data, got, err, want, wantErr)
	}
}

func TestDecodeEvent(t *testing.T) {
	for _, doc := range eventCases {
		checkDecodeEvent(t, []byte(doc))
	}
}

func TestDecodeResponse(t *testing.T) {
	for _, doc := range responseCases {
		checkDecodeResponse(t, []byte(doc))
	}
}

// Values whose encoding is checked, in every string field of both types.
var stringValues = []string{
	"",
	"plain",
	"\x00\x01\x07\x1f\b\f\n\r\t\"\\/'",
	"<script>&amp;</script>",
	"\u2028\u2029\u2027\u202a",
	"\x7f\u0080\u00e9中😀\ufffd",
	"\xff", "a\xe4\xb8", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "x\xe4\xb8\xadx\xe4",
}

// maps to encode: nil, empty, small, and more keys than the sort's stack buffer.
func stringMaps() []map[string]string {
	big := map[string]string{}
	for i := range 40 {
		big["k"+strconv.Itoa(i*7%40)] = strconv.Itoa(i)
	}
	mixed := map[string]string{}
	for i, s := range stringValues {
		mixed[s] = stringValues[(i+1)%len(stringValues)]
	}
	mixed["A"], mixed["a"], mixed["a<"], mixed["B"], mixed["\ufffd"] = "1", "2", "3", "4", "5"
	return []map[string]string{nil, {}, {"Content-Type": "text/plain"}, big, mixed}
}

func TestAppendEvent(t *testing.T) {
	var typical events.HTTPTriggerEvent
	if err := json.Unmarshal([]byte(typicalEvent), &typical); err != nil {
		t.Fatal(err)
	}
	evs := []*events.HTTPTriggerEvent{nil, {}, &typical}
	for _, m := range stringMaps() {
		evs = append(evs, &events.HTTPTriggerEvent{Headers: &m}, &events.HTTPTriggerEvent{QueryParameters: &m})
	}
	for _, s := range stringValues {
		b := len(s)%2 == 0
		ev := &events.HTTPTriggerEvent{Version: &s, RawPath: &s, Body: &s, IsBase64Encoded: &b}
		c := &ev.TriggerContext
		c.AccountId, c.DomainName, c.DomainPrefix, c.RequestId, c.Time, c.TimeEpoch = &s, &s, &s, &s, &s, &s
		c.Http.Method, c.Http.Path, c.Http.Protocol, c.Http.SourceIp, c.Http.UserAgent = &s, &s, &s, &s, &s
		evs = append(evs, ev)
	}
	for _, ev := range evs {
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if got := fcevent.AppendEvent(nil, ev); !bytes.Equal(got, want) {
			t.Errorf("AppendEvent\n got %s\nwant %s", got, want)
		}
	}
	if got := fcevent.AppendEvent([]byte("prefix:"), &typical); string(got) != "prefix:"+typicalEvent {
		t.Errorf("AppendEvent after a prefix\n got %s\nwant prefix:%s", got, typicalEvent)
	}
}

// The fast path must be what typical documents take: a fallback to
// encoding/json would cost tens of allocations.
func TestAllocs(t *testing.T) {
	event, response := []byte(typicalEvent), []byte(typicalResponse)
	var ev events.HTTPTriggerEvent
	var r events.HTTPTriggerResponse
	buf := make([]byte, 0, 4096)
	for _, c := range []struct {
		name string
		max  float64
		f    func()
	}{
		// Today 6: the copy of the input, the event's pointees, three for
		// two maps, the unescaped body. encoding/json makes 56.
		{"DecodeEvent", 8, func() { _ = fcevent.DecodeEvent(event, &ev) }},
		// Today 4; encoding/json makes 19.
		{"DecodeResponse", 6, func() { _ = fcevent.DecodeResponse(response, &r) }},
		{"AppendEvent", 0, func() { _ = fcevent.AppendEvent(buf[:0], &ev) }},
	} {
		if n := testing.AllocsPerRun(100, c.f); n > c.max {
			t.Errorf("%s: %v allocations, want at most %v", c.name, n, c.max)
		}
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	data := []byte(typicalEvent)
	var ev events.HTTPTriggerEvent
	b.ReportAllocs()
	for b.Loop() {
		if err := fcevent.DecodeEvent(data, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEventStdlib(b *testing.B) {
	data := []byte(typicalEvent)
	var ev events.HTTPTriggerEvent
	b.ReportAllocs()
	for b.Loop() {
		ev = events.HTTPTriggerEvent{} // Unmarshal would merge into the last one
		if err := json.Unmarshal(data, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	data := []byte(typicalResponse)
	var r events.HTTPTriggerResponse
	b.ReportAllocs()
	for b.Loop() {
		if err := fcevent.DecodeResponse(data, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResponseStdlib(b *testing.B) {
	data := []byte(typicalResponse)
	var r events.HTTPTriggerResponse
	b.ReportAllocs()
	for b.Loop() {
		r = events.HTTPTriggerResponse{} // Unmarshal would merge into the last one
		if err := json.Unmarshal(data, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	var ev events.HTTPTriggerEvent
	if err := json.Unmarshal([]byte(typicalEvent), &ev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = fcevent.AppendEvent(buf[:0], &ev)
	}
}

func BenchmarkMarshalEventStdlib(b *testing.B) {
	var ev events.HTTPTriggerEvent
	if err := json.Unmarshal([]byte(typicalEvent), &ev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(&ev); err != nil {
			b.Fatal(err)
		}
	}
}
