package broker_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossbroker/ossbroker/pkg/fchttp"
)

// surrogateEsc is the JSON escape \uXXXX of the code unit u.
func surrogateEsc(u int) string {
	return `\u` + strconv.FormatInt(int64(u), 16)
}

// unicodeRoutes: every route that reads a JSON body, with a body template
// whose %s is a string a caller controls (a key where the route takes one).
var unicodeRoutes = []struct{ path, body string }{
	{"/v1/presign", `{"key":"exampledir/alice/%s"}`},
	{"/v1/presign", `{"key":"exampledir/alice/a.txt","contentType":"text/plain%s"}`},
	{"/v1/presign", `{"files":[{"key":"exampledir/alice/ok.txt"},{"key":"exampledir/alice/%s"}]}`},
	{"/v1/presign-post", `{"key":"exampledir/alice/%s","contentType":"text/plain"}`},
	{"/v1/presign-get", `{"key":"exampledir/alice/%s"}`},
	{"/v1/multipart", `{"key":"exampledir/alice/%s"}`},
	{"/v1/multipart/parts", `{"handle":"h%s","parts":[1]}`},
	{"/v1/multipart/complete", `{"handle":"h%s","parts":[]}`},
	{"/v1/multipart/abort", `{"handle":"h%s"}`},
}

// TestBodyStringsNotUnicodeRefused: on every JSON route, a string that
// would decode with replacement (a \u escape of an unpaired surrogate,
// every one of them, at the start, middle or end, or mispaired) is refused
// with 400 invalid_request, on the presign fast path and on encoding/json's
// path alike, instead of becoming U+FFFD and so the same key as another.
func TestBodyStringsNotUnicodeRefused(t *testing.T) {
	e := newRoutesEnv(t, options{prefix: "exampledir/{sub}/"})
	tok := token(t, "alice", nil)
	post := func(path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		return w
	}
	refused := func(path, body string) {
		t.Helper()
		w := post(path, body)
		var out struct{ Error struct{ Code string } }
		if w.Code != 400 || json.Unmarshal(w.Body.Bytes(), &out) != nil || out.Error.Code != "invalid_request" {
			t.Fatalf("%s %s: %d %s, want 400 invalid_request", path, body, w.Code, w.Body)
		}
	}
	// Every unit, in the key of a single presign (the body the fast path
	// would take but for the escape) and on one of the routes in turn, so
	// that each route sees more than 200 of them; the position and pairing
	// rotate too (jsonstring's own test sweeps each unit in each of them).
	for u := 0xd800; u < 0xe000; u++ {
		s := surrogateEsc(u)
		vals := []string{s + "x", "a" + s + "b", "ab" + s}
		if u < 0xdc00 {
			lo := surrogateEsc(u + 0x400)
			vals = append(vals, lo+s, s+s+lo, s+`\u0041`, s+lo+lo)
		}
		v := vals[u%len(vals)]
		refused("/v1/presign", `{"key":"exampledir/alice/`+v+`"}`)
		rt := unicodeRoutes[u%len(unicodeRoutes)]
		refused(rt.path, strings.Replace(rt.body, "%s", v, 1))
	}
	// Raw bytes that are not UTF-8, every one, through the FC adapter (which
	// carries such a body base64-encoded).
	auth := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
	for _, rt := range unicodeRoutes {
		for c := 0x80; c <= 0xff; c++ {
			b := string([]byte{byte(c)})
			v := []string{b + "x", "a" + b + "b", "ab" + b}[c%3]
			res := invokeFC(t, e.handler, "POST", rt.path, auth, strings.Replace(rt.body, "%s", v, 1))
			if res.StatusCode != 400 || !strings.Contains(res.Body, `"invalid_request"`) {
				t.Fatalf("%s byte %#x: %d %s", rt.path, c, res.StatusCode, res.Body)
			}
		}
	}
	// Controls: a valid pair and a written U+FFFD are no replacement.
	for _, v := range []string{`\ud83d\ude00.txt`, `\uD83D\uDE00.txt`} {
		if w := post("/v1/presign", `{"key":"exampledir/alice/`+v+`"}`); w.Code != http.StatusOK {
			t.Errorf("valid pair %s: %d %s", v, w.Code, w.Body)
		}
	}
	if stored := e.keys(""); len(stored) != 0 {
		t.Errorf("objects stored: %q", stored)
	}
}

// TestTokenClaimsNotUnicodeRefused: with a per-user prefix, a token whose sub
// (or any claim) holds a lone surrogate escape or a byte that is not UTF-8
// gets the uniform 401, never a folder shared with another subject.
func TestTokenClaimsNotUnicodeRefused(t *testing.T) {
	e := newRoutesEnv(t, options{prefix: "exampledir/{sub}/"})
	for u := 0xd800; u < 0xe000; u++ {
		for _, claim := range []string{"sub", "tenant"} {
			payload := claimsJSON(func(m map[string]any) { m[claim] = "PLACEHOLDER" })
			payload = strings.Replace(payload, `PLACEHOLDER`, `a`+surrogateEsc(u), 1)
			tok := handToken(`{"alg":"HS256","typ":"JWT"}`, payload, hsSecret)
			r := httptest.NewRequest("POST", "/v1/presign", strings.NewReader(`{"key":"exampledir/a\ufffd/x"}`))
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, r)
			if w.Code != 401 {
				t.Fatalf("%s with %s: %d %s, want 401", claim, surrogateEsc(u), w.Code, w.Body)
			}
		}
	}
}

// TestPathKeyNotUnicodeRefused: the key of a direct upload comes from the
// path. Every byte 0x80-0xFF, percent-encoded or raw, and every lone
// surrogate escape in the event's rawPath, is refused with 400 invalid_key:
// raw bytes and lone surrogates reach the function as U+FFFD (the trigger's
// JSON event cannot carry them), which the key gate refuses rather than
// letting many paths share one key.
func TestPathKeyNotUnicodeRefused(t *testing.T) {
	e := newRoutesEnv(t, options{})
	tok := token(t, "alice", nil)
	headers := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "text/plain"}
	check := func(what string, res *events.HTTPTriggerResponse) {
		t.Helper()
		if res.StatusCode != 400 || !strings.Contains(res.Body, `"invalid_key"`) {
			t.Fatalf("%s: %d %s, want 400 invalid_key", what, res.StatusCode, res.Body)
		}
	}
	// rawEvent invokes the handler with an event whose rawPath is written
	// into the JSON as is (escapes included).
	rawEvent := func(rawPathJSON string) *events.HTTPTriggerResponse {
		t.Helper()
		method, body, b64 := "PUT", "hello", false
		path, placeholder := "/v1/objects/PLACEHOLDER", "/v1/objects/PLACEHOLDER"
		ev := events.HTTPTriggerEvent{RawPath: &placeholder, Headers: &headers, Body: &body, IsBase64Encoded: &b64}
		ev.TriggerContext.Http.Method = &method
		ev.TriggerContext.Http.Path = &path
		in, err := json.Marshal(&ev)
		if err != nil {
			t.Fatal(err)
		}
		in = []byte(strings.Replace(string(in), `"rawPath":"/v1/objects/PLACEHOLDER"`, `"rawPath":"`+rawPathJSON+`"`, 1))
		out, err := fc.NewHandler(fchttp.Handler(e.handler)).Invoke(context.Background(), in)
		var res *events.HTTPTriggerResponse
		if err != nil || json.Unmarshal(out, &res) != nil || res == nil {
			t.Fatalf("adapter: %v: %s", err, out)
		}
		return res
	}
	for c := 0x80; c <= 0xff; c++ {
		hex := strings.ToUpper(strconv.FormatInt(int64(c), 16))
		check("percent-encoded byte "+hex, invokeFC(t, e.handler, "PUT", "/v1/objects/exampledir/a%"+hex+"b", headers, "hello"))
		check("raw byte "+hex, rawEvent("/v1/objects/exampledir/a"+string([]byte{byte(c)})+"b"))
	}
	for u := 0xd800; u < 0xe000; u++ {
		check("lone surrogate "+surrogateEsc(u), rawEvent(`/v1/objects/exampledir/a`+surrogateEsc(u)+`b`))
	}
	// The replacement character itself, however it is written.
	check("written U+FFFD", rawEvent(`/v1/objects/exampledir/a\ufffdb`))
	check("encoded U+FFFD", invokeFC(t, e.handler, "PUT", "/v1/objects/exampledir/a%EF%BF%BDb", headers, "hello"))
	if stored := e.keys(""); len(stored) != 0 {
		t.Errorf("objects stored: %q", stored)
	}
}
