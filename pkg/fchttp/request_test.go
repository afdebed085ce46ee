package fchttp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/ossbroker/ossbroker/pkg/internal/apierror"
	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
)

func ptr[T any](v T) *T { return &v }

// event parses a JSON event, as the SDK does, so the tests use FC's wire format.
func event(t testing.TB, js string) *events.HTTPTriggerEvent {
	t.Helper()
	var ev events.HTTPTriggerEvent
	if err := json.Unmarshal([]byte(js), &ev); err != nil {
		t.Fatalf("bad test event: %v", err)
	}
	return &ev
}

func TestNewRequestMapping(t *testing.T) {
	type want struct {
		method, path, escaped, rawQuery, requestURI string
		query                                       map[string]string // r.URL.Query().Get
		header                                      map[string]string // r.Header.Get
		headerCount                                 map[string]int    // len(r.Header[k])
		host, remoteAddr, proto                     string
		body                                        string
		contentLength                               int64
	}
	tests := []struct {
		name string
		ev   string
		want want
	}{
		{
			name: "doc example, base64 json body",
			ev: `{"version":"v1","rawPath":"/v1/presign","body":"eyJrZXkiOiJleGFtcGxlZGlyL2EucG5nIn0=","isBase64Encoded":true,
			 "headers":{"Authorization":"Bearer x","Content-Type":"application/json"},"queryParameters":{},
			 "requestContext":{"accountId":"1234567890123456","domainName":"abc.cn-hangzhou.fcapp.run","domainPrefix":"abc",
			  "http":{"method":"POST","path":"/v1/presign","protocol":"HTTP/1.1","sourceIp":"203.0.113.7","userAgent":"curl/8.5.0"},
			  "requestId":"1-64f6cd87-0123456789abcdef","time":"2023-09-05T06:41:11Z","timeEpoch":"1693896071895"}}`,
			want: want{method: "POST", path: "/v1/presign", escaped: "/v1/presign", requestURI: "/v1/presign",
				header: map[string]string{"Authorization": "Bearer x", "Content-Type": "application/json"},
				host:   "abc.cn-hangzhou.fcapp.run", remoteAddr: "203.0.113.7:0", proto: "HTTP/1.1",
				body: `{"key":"exampledir/a.png"}`, contentLength: 26},
		},
		{
			name: "encoded slash, space and unicode stay raw in EscapedPath, decoded in Path",
			ev:   `{"rawPath":"/v1/objects/exampledir%2Fa%20b/%E4%BD%A0%E5%A5%BD.png","requestContext":{"http":{"method":"PUT"}}}`,
			want: want{method: "PUT", path: "/v1/objects/exampledir/a b/你好.png",
				escaped:    "/v1/objects/exampledir%2Fa%20b/%E4%BD%A0%E5%A5%BD.png",
				requestURI: "/v1/objects/exampledir%2Fa%20b/%E4%BD%A0%E5%A5%BD.png", proto: "HTTP/1.1"},
		},
		{
			name: "plus in path is not a space",
			ev:   `{"rawPath":"/a+b","requestContext":{"http":{"method":"GET"}}}`,
			want: want{method: "GET", path: "/a+b", escaped: "/a+b", requestURI: "/a+b", proto: "HTTP/1.1"},
		},
		{
			name: "repeated query key stays one comma-joined value; values are re-encoded",
			ev: `{"rawPath":"/q","queryParameters":{"a":"1,2","b":"x y&z=","ü":"é"},
			 "requestContext":{"http":{"method":"GET"}}}`,
			want: want{method: "GET", path: "/q", escaped: "/q",
				rawQuery:   "a=1%2C2&b=x+y%26z%3D&%C3%BC=%C3%A9",
				requestURI: "/q?a=1%2C2&b=x+y%26z%3D&%C3%BC=%C3%A9",
				query:      map[string]string{"a": "1,2", "b": "x y&z=", "ü": "é"}, proto: "HTTP/1.1"},
		},
		{
			name: "headers canonicalised, comma-joined value not split, Host header used without domainName",
			ev: `{"rawPath":"/h","headers":{"accept-encoding":"gzip, br","x-multi":"a,b","host":"example.com","x-request-id":"spoof"},
			 "requestContext":{"http":{"method":"GET","protocol":"HTTP/2.0"}}}`,
			want: want{method: "GET", path: "/h", escaped: "/h", requestURI: "/h",
				header:      map[string]string{"Accept-Encoding": "gzip, br", "X-Multi": "a,b", "Host": "", "X-Request-Id": "spoof"},
				headerCount: map[string]int{"X-Multi": 1, "Accept-Encoding": 1},
				host:        "example.com", proto: "HTTP/2.0"},
		},
		{
			name: "text body as is",
			ev:   `{"rawPath":"/t","body":"héllo\u0000","isBase64Encoded":false,"requestContext":{"http":{"method":"POST"}}}`,
			want: want{method: "POST", path: "/t", escaped: "/t", requestURI: "/t", proto: "HTTP/1.1",
				body: "héllo\x00", contentLength: 7},
		},
		{
			name: "binary base64 body",
			ev:   `{"rawPath":"/b","body":"AP8QgA==","isBase64Encoded":true,"requestContext":{"http":{"method":"POST"}}}`,
			want: want{method: "POST", path: "/b", escaped: "/b", requestURI: "/b", proto: "HTTP/1.1",
				body: "\x00\xff\x10\x80", contentLength: 4},
		},
		{
			name: "IPv6 source",
			ev:   `{"rawPath":"/","requestContext":{"http":{"method":"GET","sourceIp":"2001:db8::1"}}}`,
			want: want{method: "GET", path: "/", escaped: "/", requestURI: "/", proto: "HTTP/1.1", remoteAddr: "[2001:db8::1]:0"},
		},
		{
			name: "everything nil but method",
			ev:   `{"version":null,"rawPath":null,"body":null,"isBase64Encoded":null,"headers":null,"queryParameters":null,"requestContext":{"http":{"method":"GET"}}}`,
			want: want{method: "GET", path: "/", escaped: "/", requestURI: "/", proto: "HTTP/1.1"},
		},
		{
			name: "no rawPath: decoded requestContext path, no leading slash",
			ev:   `{"requestContext":{"http":{"method":"GET","path":"a b"}}}`,
			want: want{method: "GET", path: "/a b", escaped: "/a%20b", requestURI: "/a%20b", proto: "HTTP/1.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRequest(context.Background(), event(t, tt.ev))
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			w := tt.want
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("Method", r.Method, w.method)
			check("URL.Path", r.URL.Path, w.path)
			check("EscapedPath", r.URL.EscapedPath(), w.escaped)
			check("RawQuery", r.URL.RawQuery, w.rawQuery)
			check("RequestURI", r.RequestURI, w.requestURI)
			check("Host", r.Host, w.host)
			check("RemoteAddr", r.RemoteAddr, w.remoteAddr)
			check("Proto", r.Proto, w.proto)
			for k, v := range w.query {
				check("query "+k, r.URL.Query().Get(k), v)
			}
			for k, v := range w.header {
				check("header "+k, r.Header.Get(k), v)
			}
			for k, n := range w.headerCount {
				if len(r.Header[k]) != n {
					t.Errorf("header %s has %d values %q, want %d", k, len(r.Header[k]), r.Header[k], n)
				}
			}
			if r.ContentLength != w.contentLength {
				t.Errorf("ContentLength = %d, want %d", r.ContentLength, w.contentLength)
			}
			if r.Body == nil {
				t.Fatal("Body is nil")
			}
			b, err := io.ReadAll(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			check("body", string(b), w.body)
			if requestid.From(r.Context()) == "" {
				t.Error("request context carries no request id")
			}
		})
	}
}

// Placeholders: the real 32 MiB bodies are put in after parsing, because
// parsing them as JSON is slow under -race.
const (
	bigBody   = "BIG-TEXT"
	bigBase64 = "BIG-B64"
)

func TestNewRequestErrors(t *testing.T) {
	tests := []struct {
		name   string
		ev     string
		status int
	}{
		{"missing method", `{"rawPath":"/"}`, 400},
		{"empty method", `{"rawPath":"/","requestContext":{"http":{"method":""}}}`, 400},
		{"method not a token", `{"rawPath":"/","requestContext":{"http":{"method":"GE T"}}}`, 400},
		{"invalid escape", `{"rawPath":"/a%zzb","requestContext":{"http":{"method":"GET"}}}`, 400},
		{"truncated escape", `{"rawPath":"/a%2","requestContext":{"http":{"method":"GET"}}}`, 400},
		{"bad base64", `{"body":"not base64!","isBase64Encoded":true,"requestContext":{"http":{"method":"POST"}}}`, 400},
		{"body too large", `{"body":"` + bigBody + `","requestContext":{"http":{"method":"POST"}}}`, 413},
		{"base64 body too large", `{"body":"` + bigBase64 + `","isBase64Encoded":true,"requestContext":{"http":{"method":"POST"}}}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event(t, tt.ev)
			switch str(ev.Body) {
			case bigBody:
				ev.Body = ptr(strings.Repeat("a", DefaultMaxBodyBytes+1))
			case bigBase64:
				ev.Body = ptr(strings.Repeat("A", (DefaultMaxBodyBytes/3+2)*4)) // refused before decoding
			}
			if _, err := NewRequest(context.Background(), ev); err == nil {
				t.Fatal("NewRequest: want error")
			}
			resp, err := typed(Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
				t.Error("handler must not run")
			})))(context.Background(), *ev)
			if err != nil || resp == nil {
				t.Fatalf("Handler = %v, %v; want response, nil", resp, err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if resp.Headers["Content-Type"] != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", resp.Headers["Content-Type"])
			}
			var b apierror.Body
			if err := json.Unmarshal([]byte(resp.Body), &b); err != nil || b.Error.Code == "" || b.Error.RequestID == "" {
				t.Errorf("error body %q: %v", resp.Body, err)
			}
		})
	}
}

func TestNewRequestNilEventAndContext(t *testing.T) {
	var nilCtx context.Context // must be tolerated, not panic
	if _, err := NewRequest(nilCtx, nil); err == nil {
		t.Fatal("want error for nil event")
	}
	r, err := NewRequest(nilCtx, event(t, `{"requestContext":{"http":{"method":"GET"}}}`))
	if err != nil || r.Context() == nil {
		t.Fatalf("NewRequest(nil ctx) = %v, %v", r, err)
	}
}

func TestRequestIDSource(t *testing.T) {
	withCtxID := `{"rawPath":"/","requestContext":{"requestId":"1-event-id","http":{"method":"GET"}}}`
	noCtxID := `{"rawPath":"/","headers":{"X-Request-Id":"caller-spoof"},"requestContext":{"http":{"method":"GET"}}}`
	fcCtx := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "fc-invoke-id"})
	tests := []struct {
		name  string
		ctx   context.Context
		ev    string
		want  string
		check func(string) bool
	}{
		{name: "fccontext wins", ctx: fcCtx, ev: withCtxID, want: "fc-invoke-id"},
		{name: "event requestId without fccontext", ctx: context.Background(), ev: withCtxID, want: "1-event-id"},
		{name: "generated, caller header ignored", ctx: context.Background(), ev: noCtxID,
			check: func(s string) bool { return len(s) == 24 && s != "caller-spoof" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			var fcSeen bool
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = requestid.From(r.Context())
				_, fcSeen = fccontext.FromContext(r.Context())
			})
			resp, err := typed(Handler(h))(tt.ctx, *event(t, tt.ev))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("Handler = %+v, %v", resp, err)
			}
			if tt.check != nil {
				if !tt.check(seen) {
					t.Errorf("request id %q not acceptable", seen)
				}
			} else if seen != tt.want {
				t.Errorf("request id = %q, want %q", seen, tt.want)
			}
			if _, want := fccontext.FromContext(tt.ctx); fcSeen != want {
				t.Errorf("fccontext visible in handler = %v, want %v", fcSeen, want)
			}
		})
	}
}

func TestRequestContextDerivesDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var err error
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { err = r.Context().Err() })
	typed(Handler(h))(ctx, *event(t, `{"requestContext":{"http":{"method":"GET"}}}`))
	if err != context.Canceled {
		t.Fatalf("handler ctx err = %v, want context.Canceled", err)
	}
}

func TestBase64Fixture(t *testing.T) {
	// Guard for the fixture in the first mapping case.
	if got, _ := base64.StdEncoding.DecodeString("eyJrZXkiOiJleGFtcGxlZGlyL2EucG5nIn0="); string(got) != `{"key":"exampledir/a.png"}` {
		t.Fatalf("fixture decodes to %q", got)
	}
}

// TestNotAnEvent: a payload that is not an HTTP trigger event gets the 400
// JSON error through the SDK's wrapper, never an error (FC's error page).
func TestNotAnEvent(t *testing.T) {
	log, lb := newLogger()
	h := fc.NewHandler(Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("handler must not run")
	}), WithLogger(log)))
	for _, in := range []string{``, `not json`, `[]`, `{"headers":7}`, `{"body":"Bearer sekrit` + "\xff" + `}`, `{} {}`} {
		out, err := h.Invoke(context.Background(), []byte(in))
		if err != nil {
			t.Fatalf("%q: error %v", in, err)
		}
		var resp events.HTTPTriggerResponse
		var body apierror.Body
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != http.StatusBadRequest ||
			json.Unmarshal([]byte(resp.Body), &body) != nil || body.Error.Code != "invalid_request" || body.Error.RequestID == "" {
			t.Errorf("%q: response %s (%v)", in, out, err)
		}
	}
	if strings.Contains(lb.String(), "sekrit") {
		t.Errorf("the log holds the payload: %s", lb.String())
	}
}
