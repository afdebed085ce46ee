package fcevent_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/fcevent"
)

func FuzzDecodeEvent(f *testing.F) {
	for _, doc := range eventCases {
		f.Add([]byte(doc))
	}
	f.Fuzz(checkDecodeEvent)
}

func FuzzDecodeResponse(f *testing.F) {
	for _, doc := range responseCases {
		f.Add([]byte(doc))
	}
	f.Fuzz(checkDecodeResponse)
}

// stringMap makes the map kv describes: nil for "", otherwise the pairs of
// its lines (so "x" is an empty map).
func stringMap(kv string) map[string]string {
	if kv == "" {
		return nil
	}
	lines := strings.Split(kv, "\n")
	m := make(map[string]string, len(lines)/2)
	for i := 0; i+1 < len(lines); i += 2 {
		m[lines[i]] = lines[i+1]
	}
	return m
}

// FuzzAppend encodes an event and a response built from its arguments,
// compares the bytes with json.Marshal's, and decodes them. It does so
// again without nulls, which the decoders leave to encoding/json, and then
// the decoders' fast path must take the document: it meets every string
// json.Marshal can write.
func FuzzAppend(f *testing.F) {
	f.Add("v1", "/v1/presign", `{"key":"a<b>&c"}`, false, "Accept\n*/*\nContent-Type\napplication/json", 200, uint16(0))
	f.Add("", "\x00\u2028\xff", "\U0001F600\"\\", true, "x", -1, uint16(0xffff))
	f.Add("a", "b", "c", true, "", 1<<62, uint16(0x5555))
	f.Add("k", "q\nv\nq\nw", "\xe4\xb8", false, strings.Repeat("k\nv\nk2\n\xff\n", 10)+"z\n\n", 0, uint16(0x2aaa))
	f.Fuzz(func(t *testing.T, a, b, c string, b64 bool, kv string, status int, nils uint16) {
		vals := [...]string{a, b, c}
		headers, query := stringMap(kv), stringMap(b)
		checkAppend(t, event(vals, b64, headers, query, nils),
			&events.HTTPTriggerResponse{StatusCode: status, Headers: headers, IsBase64Encoded: b64, Body: a})

		if headers == nil {
			headers = map[string]string{}
		}
		if query == nil {
			query = map[string]string{}
		}
		ev := event(vals, b64, headers, query, 0)
		r := &events.HTTPTriggerResponse{StatusCode: status, Headers: headers, IsBase64Encoded: b64, Body: c}
		checkAppend(t, ev, r)
		doc := string(fcevent.AppendEvent(nil, ev))
		if !fcevent.DecodeEventFast(doc, new(events.HTTPTriggerEvent)) {
			t.Fatalf("the fast path refused %s", doc)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if doc = string(out); !fcevent.DecodeResponseFast(doc, new(events.HTTPTriggerResponse)) {
			t.Fatalf("the fast path refused %s", doc)
		}
	})
}

// event is an event with its strings from vals, but for the fields whose
// bits in nils are set, which are nil.
func event(vals [3]string, b64 bool, headers, query map[string]string, nils uint16) *events.HTTPTriggerEvent {
	var ev events.HTTPTriggerEvent
	c := &ev.TriggerContext
	fields := [...]**string{
		&ev.Version, &ev.RawPath, &ev.Body,
		&c.AccountId, &c.DomainName, &c.DomainPrefix,
		&c.Http.Method, &c.Http.Path, &c.Http.Protocol, &c.Http.SourceIp, &c.Http.UserAgent,
		&c.RequestId, &c.Time, &c.TimeEpoch,
	}
	for i, p := range fields {
		if nils&(1<<i) == 0 {
			*p = &vals[i%len(vals)]
		}
	}
	if nils&(1<<14) == 0 {
		ev.IsBase64Encoded = &b64
		ev.Headers = &headers
	}
	if nils&(1<<15) == 0 {
		ev.QueryParameters = &query
	}
	return &ev
}

// checkAppend compares AppendEvent with json.Marshal, and the decoders of
// what json.Marshal writes with json.Unmarshal.
func checkAppend(t *testing.T, ev *events.HTTPTriggerEvent, r *events.HTTPTriggerResponse) {
	t.Helper()
	want, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := fcevent.AppendEvent([]byte("prefix"), ev); !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("AppendEvent\n got %s\nwant prefix%s", got, want)
	}
	checkDecodeEvent(t, want)

	want, err = json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	checkDecodeResponse(t, want)
}
