package fcemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu/internal/echo"
	"github.com/ossbroker/ossbroker/pkg/devtools/proctest"
	"github.com/ossbroker/ossbroker/pkg/fchttp"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// env is a trigger in front of a function reached through a RuntimeAPI.
type env struct {
	api     *RuntimeAPI
	srv     *httptest.Server
	invokes atomic.Int64 // how many times the trigger invoked the function
	output  func() string
}

var testInvocation = Invocation{
	Timeout:      30 * time.Second, // generous: a hang fails instead of blocking forever
	FunctionName: "broker",
	Region:       "cn-shanghai",
	AccountID:    "1234567890123456",
	Credentials:  &Credentials{AccessKeyID: "STS.test-id", AccessKeySecret: "test-secret", SecurityToken: "test-token"},
}

func newEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := &env{api: NewRuntimeAPI(WithRuntimeLogger(quiet)), output: func() string { return "" }}
	addr, err := e.api.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.api.Close() }) // runs last: the function is stopped first
	invoke := e.api.InvokeFunc(testInvocation)
	e.srv = httptest.NewServer(&Trigger{
		Invoke: func(ctx context.Context, event []byte, id string) (Result, error) {
			e.invokes.Add(1)
			return invoke(ctx, event, id)
		},
		Logger: quiet,
	})
	t.Cleanup(e.srv.Close)
	return e, addr.String()
}

// startBinary builds testdata/echofn and runs it under the real SDK loop.
func startBinary(t *testing.T) *env {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "echofn")
	build := exec.Command(goTool, "build", "-o", bin, "./testdata/echofn")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e, addr := newEnv(t)
	out := &proctest.Output{}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FC_RUNTIME_API="+addr)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill, not just close the API: the SDK retries "next" in a busy loop.
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			s := out.String()
			if len(s) > 4000 {
				s = s[len(s)-4000:]
			}
			t.Logf("function output (tail):\n%s", s)
		}
	})
	e.output = out.String
	return e
}

// startInProcess runs the echo handler under a small poller that talks to
// the runtime API the way the SDK loop does (next, then a goroutine per
// invocation that posts /response), only faster to start.
func startInProcess(t *testing.T) *env {
	t.Helper()
	e, addr := newEnv(t)
	base := "http://" + addr + apiPrefix
	fn := fchttp.Handler(echo.Handler, fchttp.WithLogger(quiet))
	client := &http.Client{Transport: &http.Transport{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		client.CloseIdleConnections()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"next", nil)
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			payload, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				continue
			}
			wg.Add(1)
			go func(h http.Header) {
				defer wg.Done()
				id := h.Get("x-fc-request-id")
				ms, err := strconv.ParseInt(h.Get("x-fc-function-deadline"), 10, 64)
				if err != nil {
					t.Errorf("deadline header %q", h.Get("x-fc-function-deadline"))
					return
				}
				ictx, icancel := context.WithDeadline(ctx, time.UnixMilli(ms))
				defer icancel()
				ictx = fccontext.NewContext(ictx, &fccontext.FcContext{
					RequestID: id, Region: h.Get("x-fc-region"),
					Credentials: fccontext.Credentials{AccessKeyId: h.Get("x-fc-access-key-id")},
				})
				out, _ := fn(ictx, payload)
				b, _ := json.Marshal(out) // as the SDK does with a handler's result
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+id+"/response", bytes.NewReader(b))
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
				}
			}(resp.Header)
		}
	}()
	return e
}

func TestSDKBinary(t *testing.T) {
	e := startBinary(t)
	t.Run("roundtrip", func(t *testing.T) { roundTrip(t, e) })
	t.Run("concurrent", func(t *testing.T) { concurrent(t, e, 20) })
	t.Run("limits", func(t *testing.T) { limits(t, e) })
	if !strings.Contains(e.output(), "FC Invoke Start RequestId: ") {
		t.Errorf("the SDK loop printed no invoke lines; was it really used?")
	}
}

func TestInProcess(t *testing.T) {
	e := startInProcess(t)
	t.Run("roundtrip", func(t *testing.T) { roundTrip(t, e) })
	t.Run("concurrent", func(t *testing.T) { concurrent(t, e, 20) })
	t.Run("limits", func(t *testing.T) { limits(t, e) })
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

type reply struct {
	resp *http.Response
	body []byte
	echo *echo.Echo // decoded when the response is an echo
}

func do(t *testing.T, e *env, method, target string, header http.Header, body []byte) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.URL.RequestURI(); got != target {
		t.Fatalf("client would send %q, not %q", got, target)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{resp: resp, body: b}
	if resp.StatusCode == 200 && len(b) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		r.echo = &echo.Echo{}
		if err := json.Unmarshal(b, r.echo); err != nil {
			t.Fatalf("echo JSON: %v: %s", err, b)
		}
	}
	return r
}

func roundTrip(t *testing.T, e *env) {
	binary := randomBytes(t, 4096)
	big := randomBytes(t, 1<<20)
	tests := []struct {
		name   string
		method string
		target string
		header http.Header
		body   []byte
		check  func(t *testing.T, r reply)
	}{
		{
			name: "unicode path, encoded slash and space", method: "GET",
			target: "/v1/objects/exampledir%2Fa%20b/%E4%BD%A0%E5%A5%BD.png",
			check: func(t *testing.T, r reply) {
				eq(t, "rawPath", r.echo.RawPath, "/v1/objects/exampledir%2Fa%20b/%E4%BD%A0%E5%A5%BD.png")
				eq(t, "path", r.echo.Path, "/v1/objects/exampledir/a b/你好.png")
			},
		},
		{
			name: "lower-case escape kept exactly", method: "GET", target: "/a%2fb",
			check: func(t *testing.T, r reply) {
				eq(t, "rawPath", r.echo.RawPath, "/a%2fb")
				eq(t, "path", r.echo.Path, "/a/b")
			},
		},
		{
			name: "repeated query key, encoded values", method: "GET", target: "/q?a=1&a=2&b=x%20y&c=%2C",
			check: func(t *testing.T, r reply) {
				eq(t, "query a", fmt.Sprint(r.echo.Query["a"]), "[1,2]")
				eq(t, "query b", fmt.Sprint(r.echo.Query["b"]), "[x y]")
				eq(t, "query c", fmt.Sprint(r.echo.Query["c"]), "[,]")
			},
		},
		{
			name: "repeated header comma-joined, x-fc-* dropped, Authorization passed", method: "GET", target: "/h",
			header: http.Header{"X-Multi": {"a", "b"}, "X-Fc-Custom": {"1"}, "Authorization": {"Bearer t"}, "X-Request-Id": {"spoof"}},
			check: func(t *testing.T, r reply) {
				eq(t, "X-Multi", fmt.Sprint(r.echo.Header["X-Multi"]), "[a,b]")
				eq(t, "X-Fc-Custom", fmt.Sprint(r.echo.Header["X-Fc-Custom"]), "[]")
				eq(t, "Authorization", fmt.Sprint(r.echo.Header["Authorization"]), "[Bearer t]")
				if r.echo.RequestID == "spoof" {
					t.Error("caller's X-Request-Id became the request id")
				}
			},
		},
		{
			name: "JSON body as text", method: "POST", target: "/json",
			header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"key":"exampledir/ü.png"}`),
			check: func(t *testing.T, r reply) {
				eq(t, "body", string(r.echo.Body), `{"key":"exampledir/ü.png"}`)
				eq(t, "contentLength", strconv.FormatInt(r.echo.ContentLength, 10), "27")
			},
		},
		{
			name: "binary body both ways", method: "PUT", target: "/raw/bin",
			header: http.Header{"Content-Type": {"application/octet-stream"}}, body: binary,
			check: func(t *testing.T, r reply) {
				eq(t, "status", strconv.Itoa(r.resp.StatusCode), "201")
				eq(t, "Content-Type", r.resp.Header.Get("Content-Type"), "application/octet-stream")
				eq(t, "X-Multi", r.resp.Header.Get("X-Multi"), "a, b")
				if !bytes.Equal(r.body, binary) {
					t.Errorf("binary body changed on the way (%d bytes back)", len(r.body))
				}
			},
		},
		{
			name: "1 MiB body both ways", method: "POST", target: "/raw/big",
			header: http.Header{"Content-Type": {"image/png"}}, body: big,
			check: func(t *testing.T, r reply) {
				if !bytes.Equal(r.body, big) {
					t.Errorf("1 MiB body changed on the way (%d bytes back)", len(r.body))
				}
			},
		},
		{
			name: "text content type with invalid UTF-8 keeps its bytes", method: "POST", target: "/raw/latin1",
			header: http.Header{"Content-Type": {"text/plain"}}, body: []byte("caf\xe9"),
			check: func(t *testing.T, r reply) { eq(t, "body", string(r.body), "caf\xe9") },
		},
		{
			name: "handler panic is a 500 JSON error", method: "GET", target: "/panic",
			check: func(t *testing.T, r reply) {
				eq(t, "status", strconv.Itoa(r.resp.StatusCode), "500")
				want := `{"error":{"code":"internal","message":"internal error","requestId":"` + r.resp.Header.Get("X-Fc-Request-Id") + `"}}`
				eq(t, "body", string(r.body), want)
				eq(t, "Content-Type", r.resp.Header.Get("Content-Type"), "application/json; charset=utf-8")
			},
		},
		{
			name: "HEAD has no body", method: "HEAD", target: "/head",
			check: func(t *testing.T, r reply) {
				eq(t, "status", strconv.Itoa(r.resp.StatusCode), "200")
				eq(t, "body", string(r.body), "")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, e, tt.method, tt.target, tt.header, tt.body)
			id := r.resp.Header.Get("X-Fc-Request-Id")
			if !requestIDPattern(id) {
				t.Errorf("x-fc-request-id %q is not FC-shaped", id)
			}
			if r.echo != nil {
				eq(t, "method", r.echo.Method, tt.method)
				eq(t, "requestId", r.echo.RequestID, id)
				eq(t, "fcRequestId", r.echo.FCRequestID, id)
				eq(t, "X-Request-Id", r.resp.Header.Get("X-Request-Id"), id)
				eq(t, "fc region", r.echo.FCRegion, "cn-shanghai")
				eq(t, "fc access key id", r.echo.FCAccessKeyID, "STS.test-id")
				eq(t, "host", r.echo.Host, strings.TrimPrefix(e.srv.URL, "http://"))
				eq(t, "remoteAddr", r.echo.RemoteAddr, "127.0.0.1:0")
				if tt.body == nil && len(r.echo.Body) != 0 {
					t.Errorf("body %q, want none", r.echo.Body)
				}
			}
			tt.check(t, r)
		})
	}
}

func concurrent(t *testing.T, e *env, n int) {
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := range n {
		wg.Go(func() {
			path := fmt.Sprintf("/c/%d", i)
			body := []byte(strings.Repeat(strconv.Itoa(i), 100))
			r := do(t, e, "POST", path, http.Header{"Content-Type": {"text/plain"}}, body)
			if r.echo == nil {
				t.Errorf("%s: status %d %s", path, r.resp.StatusCode, r.body)
				return
			}
			if r.echo.Path != path || !bytes.Equal(r.echo.Body, body) {
				t.Errorf("%s: answered for %s (body %q)", path, r.echo.Path, r.echo.Body)
			}
			ids[i] = r.echo.RequestID
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		if id != "" && seen[id] {
			t.Errorf("request id %s used twice", id)
		}
		seen[id] = true
	}
}

// limits checks FC's trigger limits: refused with FC's error, the function
// never invoked.
func limits(t *testing.T, e *env) {
	tests := []struct {
		name   string
		method string
		target string
		header http.Header
		body   io.Reader
		size   int64
		status int
		code   string
	}{
		{name: "headers over 8 KB", method: "GET", target: "/x",
			header: http.Header{"X-Big": {strings.Repeat("a", 8<<10)}}, status: 400, code: "InvalidArgument"},
		{name: "path over 4 KB", method: "GET", target: "/" + strings.Repeat("p", 4<<10), status: 400, code: "InvalidArgument"},
		{name: "query pushes the URI over 4 KB", method: "GET", target: "/x?q=" + strings.Repeat("q", 4<<10-4), status: 400, code: "InvalidArgument"},
		{name: "33 MB body", method: "PUT", target: "/raw/x", size: 33 << 20, status: 400, code: "InvalidArgument"},
		{name: "PROPFIND", method: "PROPFIND", target: "/x", status: 405, code: "MethodNotAllowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.invokes.Load()
			var body []byte
			if tt.size > 0 {
				body = make([]byte, tt.size)
			}
			r := do(t, e, tt.method, tt.target, tt.header, body)
			if r.resp.StatusCode != tt.status {
				t.Fatalf("status %d %.200s, want %d", r.resp.StatusCode, r.body, tt.status)
			}
			var fe struct{ ErrorCode, ErrorMessage string }
			if err := json.Unmarshal(r.body, &fe); err != nil || fe.ErrorCode != tt.code || fe.ErrorMessage == "" {
				t.Errorf("body %.200s: want ErrorCode %s (%v)", r.body, tt.code, err)
			}
			if r.resp.Header.Get("X-Fc-Request-Id") == "" {
				t.Error("no x-fc-request-id")
			}
			if n := e.invokes.Load() - before; n != 0 {
				t.Errorf("function invoked %d times", n)
			}
		})
	}
	// Just under the limits still works.
	r := do(t, e, "GET", "/"+strings.Repeat("p", 4<<10-1), nil, nil)
	if r.resp.StatusCode != 200 {
		t.Errorf("4095-byte path: status %d", r.resp.StatusCode)
	}
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func requestIDPattern(id string) bool {
	parts := strings.Split(id, "-")
	if len(parts) != 3 || parts[0] != "1" || len(parts[1]) != 8 || len(parts[2]) != 24 {
		return false
	}
	for _, c := range parts[1] + parts[2] {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// TestSDKHandlerInProcess runs the same cases through InProcess: the SDK's
// own handler wrapper, called without the runtime API's transport.
func TestSDKHandlerInProcess(t *testing.T) {
	e := &env{output: func() string { return "" }}
	invoke := InProcess(fchttp.Handler(echo.Handler, fchttp.WithLogger(quiet)), testInvocation)
	e.srv = httptest.NewServer(&Trigger{
		Invoke: func(ctx context.Context, event []byte, id string) (Result, error) {
			e.invokes.Add(1)
			return invoke(ctx, event, id)
		},
		Logger: quiet,
	})
	t.Cleanup(e.srv.Close)
	t.Run("roundtrip", func(t *testing.T) { roundTrip(t, e) })
	t.Run("concurrent", func(t *testing.T) { concurrent(t, e, 20) })
	t.Run("limits", func(t *testing.T) { limits(t, e) })
}

func TestInProcessErrors(t *testing.T) {
	ctx := context.Background()
	panics := InProcess(func(context.Context, events.HTTPTriggerEvent) (*events.HTTPTriggerResponse, error) {
		panic("boom")
	}, Invocation{})
	if res, err := panics(ctx, []byte(`{}`), "1-a"); err != nil || res.Err == nil || res.Err.Message != "boom" {
		t.Fatalf("panic: %+v %v", res, err)
	}
	fails := InProcess(func(context.Context, events.HTTPTriggerEvent) (*events.HTTPTriggerResponse, error) {
		return nil, errors.New("nope")
	}, Invocation{})
	if res, err := fails(ctx, []byte(`{}`), ""); err != nil || res.Err == nil || res.Err.Message != "nope" {
		t.Fatalf("error: %+v %v", res, err)
	}
	typed := InProcess(func(context.Context, events.HTTPTriggerEvent) (*events.HTTPTriggerResponse, error) {
		return &events.HTTPTriggerResponse{StatusCode: 204}, nil
	}, Invocation{})
	if res, err := typed(ctx, []byte(`{"headers":7}`), ""); err != nil || res.Err == nil {
		t.Fatalf("an event the SDK cannot decode: %+v %v", res, err)
	}
	// fchttp takes the raw event, so the same event is its 400 instead.
	raw := InProcess(fchttp.Handler(echo.Handler, fchttp.WithLogger(quiet)), Invocation{})
	if res, err := raw(ctx, []byte(`{"headers":7}`), ""); err != nil || res.Err != nil || !bytes.Contains(res.Body, []byte(`"statusCode":400`)) {
		t.Fatalf("a bad event through fchttp: %+v %v", res, err)
	}
	seen := InProcess(func(ctx context.Context, ev events.HTTPTriggerEvent) (*events.HTTPTriggerResponse, error) {
		lc, ok := fccontext.FromContext(ctx)
		if !ok || lc.RequestID != "1-x" || lc.Region != "cn-beijing" || lc.Credentials.SecurityToken != "tok" {
			return nil, errors.New("fccontext not set")
		}
		if _, ok := ctx.Deadline(); !ok {
			return nil, errors.New("no deadline")
		}
		return &events.HTTPTriggerResponse{StatusCode: 204, Headers: map[string]string{}}, nil
	}, Invocation{Region: "cn-beijing", Credentials: &Credentials{SecurityToken: "tok"}})
	res, err := seen(ctx, []byte(`{}`), "1-x")
	if err != nil || res.Err != nil || !bytes.Contains(res.Body, []byte(`"statusCode":204`)) {
		t.Fatalf("context: %+v %v", res, err)
	}
}
