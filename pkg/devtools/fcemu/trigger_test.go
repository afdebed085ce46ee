package fcemu

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// capture is a Trigger.Invoke that records the event and answers with a
// fixed result.
type capture struct {
	mu     sync.Mutex
	events [][]byte
	ids    []string
	res    Result
	err    error
}

func (c *capture) invoke(ctx context.Context, event []byte, id string) (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, event)
	c.ids = append(c.ids, id)
	return c.res, c.err
}

func (c *capture) event(t *testing.T) Event {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) != 1 {
		t.Fatalf("%d invocations, want 1", len(c.events))
	}
	// Strict decoding: the event must have exactly FC's keys.
	dec := json.NewDecoder(bytes.NewReader(c.events[0]))
	dec.DisallowUnknownFields()
	var ev Event
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("event JSON %s: %v", c.events[0], err)
	}
	return ev
}

const okResult = `{"statusCode":200,"headers":{},"isBase64Encoded":false,"body":""}`

func TestTriggerEvent(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		header map[string][]string
		body   string
		check  func(t *testing.T, ev Event)
	}{
		{
			name: "path, query and headers", method: "GET",
			target: "/v1/objects/a%2Fb%20c/%E4%BD%A0?a=1&a=2&b=x+y&c=%26&empty=",
			header: map[string][]string{"X-Multi": {"a", "b"}, "accept-encoding": {"gzip"}, "X-Fc-Invocation-Type": {"Async"},
				"Connection": {"keep-alive"}, "Keep-Alive": {"timeout=5"}, "User-Agent": {"curl/8.5.0"}},
			check: func(t *testing.T, ev Event) {
				eq(t, "version", ev.Version, "v1")
				eq(t, "rawPath", ev.RawPath, "/v1/objects/a%2Fb%20c/%E4%BD%A0")
				eq(t, "http.path", ev.RequestContext.HTTP.Path, "/v1/objects/a/b c/你")
				wantQ := map[string]string{"a": "1,2", "b": "x y", "c": "&", "empty": ""}
				if !equalMaps(ev.QueryParameters, wantQ) {
					t.Errorf("queryParameters = %v, want %v", ev.QueryParameters, wantQ)
				}
				wantH := map[string]string{"X-Multi": "a,b", "Accept-Encoding": "gzip", "User-Agent": "curl/8.5.0"}
				if !equalMaps(ev.Headers, wantH) {
					t.Errorf("headers = %v, want %v", ev.Headers, wantH)
				}
				eq(t, "userAgent", ev.RequestContext.HTTP.UserAgent, "curl/8.5.0")
				eq(t, "body", ev.Body, "")
				if ev.IsBase64Encoded {
					t.Error("empty body marked base64")
				}
			},
		},
		{
			name: "JSON body is text", method: "POST", target: "/j",
			header: map[string][]string{"Content-Type": {"application/json; charset=utf-8"}}, body: `{"k":"ü"}`,
			check: func(t *testing.T, ev Event) {
				eq(t, "body", ev.Body, `{"k":"ü"}`)
				if ev.IsBase64Encoded {
					t.Error("JSON body marked base64")
				}
			},
		},
		{
			name: "form body is text", method: "POST", target: "/f",
			header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}, body: "a=1&b=2",
			check: func(t *testing.T, ev Event) { eq(t, "body", ev.Body, "a=1&b=2") },
		},
		{
			name: "text type but invalid UTF-8 is base64", method: "POST", target: "/t",
			header: map[string][]string{"Content-Type": {"text/plain"}}, body: "caf\xe9",
			check: func(t *testing.T, ev Event) { checkB64(t, ev, "caf\xe9") },
		},
		{
			name: "UTF-8 but octet-stream is base64", method: "PUT", target: "/o",
			header: map[string][]string{"Content-Type": {"application/octet-stream"}}, body: "plain",
			check: func(t *testing.T, ev Event) { checkB64(t, ev, "plain") },
		},
		{
			name: "no content type is base64", method: "PUT", target: "/n", body: "x",
			check: func(t *testing.T, ev Event) { checkB64(t, ev, "x") },
		},
		{
			name: "request context", method: "DELETE", target: "/d",
			check: func(t *testing.T, ev Event) {
				rc := ev.RequestContext
				eq(t, "accountId", rc.AccountID, "1234567890123456")
				eq(t, "domainName", rc.DomainName, "abc.cn-hangzhou.fcapp.run")
				eq(t, "domainPrefix", rc.DomainPrefix, "abc")
				eq(t, "method", rc.HTTP.Method, "DELETE")
				eq(t, "protocol", rc.HTTP.Protocol, "HTTP/1.1")
				eq(t, "sourceIp", rc.HTTP.SourceIP, "192.0.2.1")
				if !requestIDPattern(rc.RequestID) {
					t.Errorf("requestId %q", rc.RequestID)
				}
				tm, err := time.Parse(time.RFC3339, rc.Time)
				if err != nil || !strings.HasSuffix(rc.Time, "Z") {
					t.Errorf("time %q: %v", rc.Time, err)
				}
				ms, err := strconv.ParseInt(rc.TimeEpoch, 10, 64)
				if err != nil || !time.UnixMilli(ms).Truncate(time.Second).Equal(tm) {
					t.Errorf("timeEpoch %q does not match time %q", rc.TimeEpoch, rc.Time)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &capture{res: Result{Body: []byte(okResult)}}
			tr := &Trigger{Invoke: c.invoke, Logger: quiet}
			req := httptest.NewRequest(tt.method, "http://abc.cn-hangzhou.fcapp.run"+tt.target, strings.NewReader(tt.body))
			req.RequestURI = tt.target // as a server sees it: origin form
			for k, v := range tt.header {
				req.Header[k] = v
			}
			w := httptest.NewRecorder()
			tr.ServeHTTP(w, req)
			if w.Code != 200 {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			ev := c.event(t)
			if got := w.Header().Get("X-Fc-Request-Id"); got != ev.RequestContext.RequestID || got != c.ids[0] {
				t.Errorf("x-fc-request-id %q, event %q, invoke %q", got, ev.RequestContext.RequestID, c.ids[0])
			}
			tt.check(t, ev)
		})
	}
}

func checkB64(t *testing.T, ev Event, want string) {
	t.Helper()
	if !ev.IsBase64Encoded {
		t.Fatalf("body %q not marked base64", ev.Body)
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil || string(b) != want {
		t.Errorf("body decodes to %q (%v), want %q", b, err, want)
	}
}

func TestTriggerConfig(t *testing.T) {
	c := &capture{res: Result{Body: []byte(okResult)}}
	tr := &Trigger{Invoke: c.invoke, Logger: quiet, AccountID: "42", DomainName: "xyz.cn-beijing.fcapp.run"}
	tr.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	ev := c.event(t)
	eq(t, "accountId", ev.RequestContext.AccountID, "42")
	eq(t, "domainName", ev.RequestContext.DomainName, "xyz.cn-beijing.fcapp.run")
	eq(t, "domainPrefix", ev.RequestContext.DomainPrefix, "xyz")
}

func TestTriggerResponse(t *testing.T) {
	bigHeader := `"X-Big":"` + strings.Repeat("h", 8<<10) + `"`
	tests := []struct {
		name    string
		method  string
		res     Result
		err     error
		status  int
		body    string
		code    string // ErrorCode of a trigger error
		headers map[string]string
		absent  []string
	}{
		{name: "full object", res: Result{Body: []byte(`{"statusCode":201,"headers":{"Content-Type":"text/plain","x-custom":"a, b","Set-Cookie":"a=1"},"isBase64Encoded":false,"body":"hi"}`)},
			status: 201, body: "hi", headers: map[string]string{"Content-Type": "text/plain", "X-Custom": "a, b", "Set-Cookie": "a=1"}},
		{name: "base64 body", res: Result{Body: []byte(`{"statusCode":200,"headers":{},"isBase64Encoded":true,"body":"AP8="}`)},
			status: 200, body: "\x00\xff"},
		{name: "status 0 is 200", res: Result{Body: []byte(`{"statusCode":0,"headers":{},"body":"x"}`)}, status: 200, body: "x"},
		{name: "status missing is 200, null headers tolerated", res: Result{Body: []byte(`{"headers":null,"body":"x"}`)}, status: 200, body: "x"},
		{name: "4xx passthrough", res: Result{Body: []byte(`{"statusCode":404,"headers":{},"body":"nf"}`)}, status: 404, body: "nf"},
		{name: "forbidden headers dropped", res: Result{Body: []byte(`{"statusCode":200,"headers":{"X-Fc-Request-Id":"fake","x-fc-other":"1","Date":"x","Server":"x","Content-Length":"999","Connection":"close","Keep-Alive":"x","Upgrade":"x","Transfer-Encoding":"chunked"},"body":"abc"}`)},
			status: 200, body: "abc", absent: []string{"X-Fc-Other", "Upgrade", "Keep-Alive"},
			headers: map[string]string{"Content-Length": "3"}},
		{name: "HEAD writes no body", method: "HEAD", res: Result{Body: []byte(`{"statusCode":200,"headers":{},"body":"abc"}`)}, status: 200, body: ""},
		{name: "statusCode 700", res: Result{Body: []byte(`{"statusCode":700}`)}, status: 502, code: "FunctionError"},
		{name: "statusCode 100", res: Result{Body: []byte(`{"statusCode":100}`)}, status: 502, code: "FunctionError"},
		{name: "statusCode as string", res: Result{Body: []byte(`{"statusCode":"200"}`)}, status: 502, code: "FunctionError"},
		{name: "a JSON string", res: Result{Body: []byte(`"hello"`)}, status: 502, code: "FunctionError"},
		{name: "null", res: Result{Body: []byte(`null`)}, status: 502, code: "FunctionError"},
		{name: "array", res: Result{Body: []byte(`[]`)}, status: 502, code: "FunctionError"},
		{name: "empty", res: Result{}, status: 502, code: "FunctionError"},
		{name: "garbage", res: Result{Body: []byte(`{"statusCode":`)}, status: 502, code: "FunctionError"},
		{name: "bad base64 body", res: Result{Body: []byte(`{"statusCode":200,"isBase64Encoded":true,"body":"!!"}`)}, status: 502, code: "FunctionError"},
		{name: "response headers over 8 KB", res: Result{Body: []byte(`{"statusCode":200,"headers":{` + bigHeader + `}}`)}, status: 502, code: "BadResponse"},
		{name: "function error", res: Result{Err: &FunctionError{Message: "boom", Type: "errorString"}}, status: 502, code: "FunctionError"},
		{name: "timeout", err: context.DeadlineExceeded, status: 504, code: "FunctionTimeout"},
		{name: "closed runtime", err: ErrClosed, status: 502, code: "FunctionUnavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &capture{res: tt.res, err: tt.err}
			tr := &Trigger{Invoke: c.invoke, Logger: quiet}
			srv := httptest.NewServer(tr)
			defer srv.Close()
			method := tt.method
			if method == "" {
				method = "GET"
			}
			req, _ := http.NewRequest(method, srv.URL+"/p", nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tt.status, b)
			}
			id := resp.Header.Get("X-Fc-Request-Id")
			if id == "" || id != c.ids[0] {
				t.Errorf("x-fc-request-id %q, invoked with %q", id, c.ids[0])
			}
			if tt.code != "" {
				var fe struct{ ErrorCode, ErrorMessage string }
				if err := json.Unmarshal(b, &fe); err != nil || fe.ErrorCode != tt.code {
					t.Errorf("body %s: want ErrorCode %s", b, tt.code)
				}
				return
			}
			if string(b) != tt.body {
				t.Errorf("body %q, want %q", b, tt.body)
			}
			for k, v := range tt.headers {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			for _, k := range tt.absent {
				if _, ok := resp.Header[k]; ok {
					t.Errorf("header %s should be dropped", k)
				}
			}
		})
	}
}

func TestTriggerNoInvoke(t *testing.T) {
	w := httptest.NewRecorder()
	(&Trigger{Logger: quiet}).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 502 {
		t.Errorf("status %d, want 502", w.Code)
	}
}

// endless is a body that never ends, counting what was read.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	clear(p)
	e.n += int64(len(p))
	return len(p), nil
}

// failReader fails the test if it is read at all.
type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("body read although Content-Length is over the limit")
	return 0, io.EOF
}

func TestTriggerBodyLimit(t *testing.T) {
	c := &capture{}
	tr := &Trigger{Invoke: c.invoke, Logger: quiet}

	// Declared too large: refused before reading.
	req := httptest.NewRequest("PUT", "/x", failReader{t})
	req.ContentLength = MaxBodyBytes + 1
	w := httptest.NewRecorder()
	tr.ServeHTTP(w, req)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "InvalidArgument") {
		t.Errorf("declared 32 MB + 1: %d %s", w.Code, w.Body)
	}

	// Streamed without a length: read at most limit + 1 bytes (a small
	// limit keeps this fast under -race; the e2e tests send a real 33 MB).
	tr.maxBody = 1 << 20
	body := &endless{}
	req = httptest.NewRequest("PUT", "/x", body)
	req.ContentLength = -1
	w = httptest.NewRecorder()
	tr.ServeHTTP(w, req)
	if w.Code != 400 {
		t.Errorf("streamed endless body: %d %s", w.Code, w.Body)
	}
	if body.n > tr.maxBody+1 {
		t.Errorf("read %d bytes, want at most %d", body.n, tr.maxBody+1)
	}
	if len(c.events) != 0 {
		t.Errorf("function invoked %d times", len(c.events))
	}
}

func TestTriggerLogsNoSecrets(t *testing.T) {
	const secret = "s3cr3t-value"
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, c := range []*capture{
		{res: Result{Body: []byte(okResult)}},
		{res: Result{Err: &FunctionError{Type: "x"}}},
		{err: errors.New("down")},
	} {
		tr := &Trigger{Invoke: c.invoke, Logger: log}
		req := httptest.NewRequest("POST", "/p?sig="+secret, strings.NewReader(secret))
		req.Header.Set("Authorization", "Bearer "+secret)
		tr.ServeHTTP(httptest.NewRecorder(), req)
	}
	mu.Lock()
	defer mu.Unlock()
	if s := buf.String(); !strings.Contains(s, `path=/p`) || strings.Contains(s, secret) {
		t.Errorf("log lacks the path or holds the secret:\n%s", s)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestTriggerBodyCutShort: a client that announces more bytes than it sends
// and hangs up never reaches the function, with or without Content-Length.
func TestTriggerBodyCutShort(t *testing.T) {
	var invoked atomic.Int32
	srv := httptest.NewServer(&Trigger{
		Invoke: func(ctx context.Context, event []byte, id string) (Result, error) {
			invoked.Add(1)
			return Result{Body: []byte(`{"statusCode":201}`)}, nil
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	defer srv.Close()
	for _, req := range []string{
		"PUT /v1/objects/exampledir/a.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
		"PUT /v1/objects/exampledir/a.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n0123456789",
	} {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, req)
		c.(*net.TCPConn).CloseWrite()
		io.ReadAll(c) // until the server is done with the connection
		c.Close()
	}
	// A complete request on a fresh connection is served, so the server has
	// finished with the two above.
	resp, err := http.Post(srv.URL+"/x", "text/plain", strings.NewReader("ok"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := invoked.Load(); n != 1 {
		t.Fatalf("function invoked %d times, want 1 (only the complete request)", n)
	}
}
