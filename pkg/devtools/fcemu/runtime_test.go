package fcemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rt is a RuntimeAPI behind an httptest server, with helpers that play the
// function's side of the exchange.
type rt struct {
	api  *RuntimeAPI
	srv  *httptest.Server
	base string
}

func newRT(t *testing.T) *rt {
	t.Helper()
	api := NewRuntimeAPI(WithRuntimeLogger(quiet))
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		api.Close() // ends pending long polls, so srv.Close does not wait for them
		srv.Close()
	})
	return &rt{api: api, srv: srv, base: srv.URL + apiPrefix}
}

type polled struct {
	status int
	header http.Header
	body   string
}

func (r *rt) next(t *testing.T) polled {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"next", nil)
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Errorf("GET next: %v", err)
		return polled{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return polled{resp.StatusCode, resp.Header, string(b)}
}

func (r *rt) post(t *testing.T, id, kind, body string) int {
	t.Helper()
	resp, err := r.srv.Client().Post(r.base+id+"/"+kind, "application/json", strings.NewReader(body))
	if err != nil {
		t.Errorf("POST %s/%s: %v", id, kind, err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

type invokeResult struct {
	res Result
	err error
}

func (r *rt) invokeAsync(ctx context.Context, event string, inv Invocation) <-chan invokeResult {
	ch := make(chan invokeResult, 1)
	go func() {
		res, err := r.api.Invoke(ctx, []byte(event), inv)
		ch <- invokeResult{res, err}
	}()
	return ch
}

func TestRuntimeNextHeadersAndResponse(t *testing.T) {
	r := newRT(t)
	start := time.Now()
	done := r.invokeAsync(context.Background(), `{"e":1}`, Invocation{
		RequestID: "req-1", Timeout: 2500 * time.Millisecond,
		Credentials:  &Credentials{AccessKeyID: "ak", AccessKeySecret: "sk", SecurityToken: "tok"},
		FunctionName: "fn", Region: "cn-beijing", AccountID: "42",
	})
	p := r.next(t)
	if p.status != 200 || p.body != `{"e":1}` {
		t.Fatalf("next = %d %q", p.status, p.body)
	}
	want := map[string]string{
		"x-fc-request-id": "req-1", "x-fc-function-timeout": "3",
		"x-fc-access-key-id": "ak", "x-fc-access-key-secret": "sk", "x-fc-security-token": "tok",
		"x-fc-function-name": "fn", "x-fc-region": "cn-beijing", "x-fc-account-id": "42",
	}
	for k, v := range want {
		if got := p.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	ms, err := strconv.ParseInt(p.header.Get("x-fc-function-deadline"), 10, 64)
	if err != nil {
		t.Fatalf("deadline %q is not an integer", p.header.Get("x-fc-function-deadline"))
	}
	if dl := time.UnixMilli(ms); dl.Before(start.Add(2400*time.Millisecond)) || dl.After(time.Now().Add(2600*time.Millisecond)) {
		t.Errorf("deadline %v not about 2.5s after %v", dl, start)
	}
	if got := r.post(t, "req-1", "response", `{"statusCode":200}`); got != 200 {
		t.Errorf("post response = %d", got)
	}
	got := <-done
	if got.err != nil || string(got.res.Body) != `{"statusCode":200}` || got.res.Err != nil {
		t.Errorf("Invoke = %+v, %v", got.res, got.err)
	}
	if st := r.post(t, "req-1", "response", `{}`); st != 404 {
		t.Errorf("second post for a completed invocation = %d, want 404", st)
	}
}

func TestRuntimeErrorPost(t *testing.T) {
	tests := []struct {
		body          string
		msg, typ, stk string
	}{
		{`{"errorMessage":"boom","errorType":"errorString"}`, "boom", "errorString", ""},
		{`{"errorMessage":"p","errorType":"string","stackTrace":[{"path":"a.go","line":1,"label":"f"}]}`, "p", "string",
			`[{"path":"a.go","line":1,"label":"f"}]`},
		{`not json`, "not json", "Unknown", ""},
	}
	for i, tt := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			r := newRT(t)
			done := r.invokeAsync(context.Background(), `{}`, Invocation{RequestID: "e"})
			r.next(t)
			if st := r.post(t, "e", "error", tt.body); st != 200 {
				t.Fatalf("post error = %d", st)
			}
			got := <-done
			if got.err != nil || got.res.Err == nil {
				t.Fatalf("Invoke = %+v, %v; want a FunctionError", got.res, got.err)
			}
			fe := got.res.Err
			if fe.Message != tt.msg || fe.Type != tt.typ || string(fe.StackTrace) != tt.stk {
				t.Errorf("FunctionError = %+v", fe)
			}
		})
	}
}

// TestRuntimeConcurrentPolls: the SDK keeps polling while invocations run,
// so several polls wait at once and posts arrive in any order.
func TestRuntimeConcurrentPolls(t *testing.T) {
	r := newRT(t)
	const n = 5
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			p := r.next(t)
			ids <- p.header.Get("x-fc-request-id") + "=" + p.body
		})
	}
	var results []<-chan invokeResult
	for i := range n {
		results = append(results, r.invokeAsync(context.Background(), fmt.Sprintf("ev%d", i), Invocation{RequestID: fmt.Sprintf("id%d", i)}))
	}
	wg.Wait()
	close(ids)
	var got []string
	for s := range ids {
		got = append(got, s)
	}
	// Answer in reverse order of id.
	for i := n - 1; i >= 0; i-- {
		id := fmt.Sprintf("id%d", i)
		if !strings.Contains(strings.Join(got, " "), id+"=ev"+strconv.Itoa(i)) {
			t.Errorf("event for %s not delivered with its id: %v", id, got)
		}
		if st := r.post(t, id, "response", "out-"+id); st != 200 {
			t.Errorf("post %s = %d", id, st)
		}
	}
	for i, ch := range results {
		res := <-ch
		if res.err != nil || string(res.res.Body) != fmt.Sprintf("out-id%d", i) {
			t.Errorf("Invoke %d = %q, %v", i, res.res.Body, res.err)
		}
	}
}

func TestRuntimeTimeoutsAndLatePosts(t *testing.T) {
	r := newRT(t)

	// No function polling: the caller's ctx ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.api.Invoke(ctx, []byte(`{}`), Invocation{RequestID: "nobody"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke without a poller = %v, want DeadlineExceeded", err)
	}
	if st := r.post(t, "nobody", "response", `{}`); st != 404 {
		t.Errorf("post for a never-delivered invocation = %d, want 404", st)
	}

	// Delivered, never answered within the function timeout.
	done := r.invokeAsync(context.Background(), `{}`, Invocation{RequestID: "slow", Timeout: 50 * time.Millisecond})
	if p := r.next(t); p.header.Get("x-fc-function-timeout") != "1" {
		t.Errorf("timeout header = %q, want 1 (rounded up)", p.header.Get("x-fc-function-timeout"))
	}
	if got := <-done; !errors.Is(got.err, context.DeadlineExceeded) {
		t.Errorf("Invoke past its timeout = %v, want DeadlineExceeded", got.err)
	}
	if st := r.post(t, "slow", "response", `{}`); st != 200 {
		t.Errorf("late post = %d, want 200", st)
	}
	if st := r.post(t, "slow", "response", `{}`); st != 404 {
		t.Errorf("second late post = %d, want 404", st)
	}

	// Caller cancels.
	cctx, ccancel := context.WithCancel(context.Background())
	done = r.invokeAsync(cctx, `{}`, Invocation{RequestID: "cancelled"})
	r.next(t)
	ccancel()
	if got := <-done; !errors.Is(got.err, context.Canceled) {
		t.Errorf("cancelled Invoke = %v", got.err)
	}
}

func TestRuntimeRouting(t *testing.T) {
	r := newRT(t)
	tests := []struct {
		method, path string
		status       int
	}{
		{"POST", apiPrefix + "unknown-id/response", 404},
		{"POST", apiPrefix + "unknown-id/error", 404},
		{"POST", apiPrefix + "id/other", 404},
		{"POST", apiPrefix + "/response", 404},
		{"GET", "/2020-11-11/runtime/other", 404},
		{"POST", apiPrefix + "next", 405},
		{"GET", apiPrefix + "id/response", 405},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, r.srv.URL+tt.path, nil)
		resp, err := r.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
	}
}

func TestRuntimeDuplicateID(t *testing.T) {
	r := newRT(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := r.invokeAsync(ctx, `{}`, Invocation{RequestID: "dup"})
	r.next(t) // now "dup" is surely registered
	if _, err := r.api.Invoke(context.Background(), nil, Invocation{RequestID: "dup"}); err == nil {
		t.Error("second Invoke with the same id: want error")
	}
	cancel()
	<-done
}

func TestRuntimeClose(t *testing.T) {
	r := newRT(t)
	polls := make(chan int, 1)
	go func() { polls <- r.next(t).status }()
	done := r.invokeAsync(context.Background(), `{}`, Invocation{RequestID: "a"})
	<-polls // the event went to the poll
	go func() { polls <- r.next(t).status }()
	pending := r.invokeAsync(context.Background(), `{}`, Invocation{RequestID: "b"})
	// "b" may or may not reach the second poll before Close; either way
	// Close must end both waits.
	r.api.Close()
	if got := <-done; !errors.Is(got.err, ErrClosed) {
		t.Errorf("in-flight Invoke after Close = %v, want ErrClosed", got.err)
	}
	if got := <-pending; !errors.Is(got.err, ErrClosed) {
		t.Errorf("queued Invoke after Close = %v, want ErrClosed", got.err)
	}
	if st := <-polls; st != 503 && st != 200 {
		t.Errorf("poll during Close = %d", st)
	}
	if _, err := r.api.Invoke(context.Background(), nil, Invocation{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close = %v", err)
	}
	if _, err := r.api.Listen("127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Errorf("Listen after Close = %v", err)
	}
}

func TestNewRequestID(t *testing.T) {
	a, b := NewRequestID(), NewRequestID()
	if !requestIDPattern(a) || a == b {
		t.Errorf("NewRequestID = %q, %q", a, b)
	}
}
