// Package fcemu is a local Function Compute 3.0 for laptops and tests.
//
// [RuntimeAPI] is the FC runtime API (version 2020-11-11) that the real
// fc-runtime-go-sdk invoke loop (fc.Start) polls, so a function binary runs
// locally exactly as in FC: start it with FC_RUNTIME_API=host:port.
// Trigger is the HTTP trigger in front of it: it turns real HTTP requests into
// the HTTPTriggerEvent JSON FC3 sends, with FC's limits, and the function's
// HTTPTriggerResponse back into an HTTP response.
package fcemu

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	apiPrefix = "/2020-11-11/runtime/invocation/"

	// DefaultTimeout is the function timeout when Invocation.Timeout is 0.
	DefaultTimeout = 60 * time.Second

	// maxPostBytes bounds a /response or /error post: a 32 MB body in base64
	// inside the response JSON is about 43 MB.
	maxPostBytes = 64 << 20

	// lateTTL is how long the ids of abandoned invocations are remembered,
	// so that a late post gets 200 rather than 404.
	lateTTL = 15 * time.Minute
)

// ErrClosed is returned by Invoke once the [RuntimeAPI] is closed.
var ErrClosed = errors.New("fcemu: runtime API closed")

// Invocation describes one call: what FC passes to the function in the
// runtime API headers besides the event.
type Invocation struct {
	RequestID    string        // generated (FC style) when empty
	Timeout      time.Duration // function timeout; default 60s; Invoke gives up after it
	Credentials  *Credentials  // x-fc-access-key-id etc., as FC sends for a function with a role
	FunctionName string
	Region       string
	AccountID    string
}

// Credentials are the per-invocation STS credentials FC passes when the
// function has a role.
type Credentials struct {
	AccessKeyID, AccessKeySecret, SecurityToken string
}

// Result is what the function posted back.
type Result struct {
	Body []byte         // the /response body (the JSON of the handler's return value)
	Err  *FunctionError // non-nil when the function posted to /error
}

// FunctionError is the body of an /error post (the SDK's InvokeResponse_Error).
type FunctionError struct {
	Message    string          `json:"errorMessage"`
	Type       string          `json:"errorType"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string { return "function error (" + e.Type + "): " + e.Message }

// RuntimeOption configures a [RuntimeAPI].
type RuntimeOption func(*RuntimeAPI)

// WithRuntimeLogger sets the logger (default slog.Default()).
func WithRuntimeLogger(l *slog.Logger) RuntimeOption {
	return func(r *RuntimeAPI) {
		if l != nil {
			r.log = l
		}
	}
}

// RuntimeAPI is the FC runtime API that fc-runtime-go-sdk's invoke loop polls.
// It is an [http.Handler]; Listen serves it on a port of its own.
//
// The SDK does not alternate strictly between "next" and a post: it runs each
// invocation in a goroutine and polls again at once. So any number of long
// polls may wait, several invocations may be in flight, and posts are matched
// to invocations by request id.
type RuntimeAPI struct {
	log    *slog.Logger
	queue  chan *pending // unbuffered: an event is handed straight to a waiting poll
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	inflight map[string]*pending
	late     map[string]time.Time // abandoned ids, so a late post is not a 404

	srvMu sync.Mutex
	srv   *http.Server
}

type pending struct {
	id       string
	event    []byte
	inv      Invocation
	deadline time.Time
	done     chan Result // buffered 1: the poster never blocks
}

// NewRuntimeAPI returns a runtime API with no function attached yet.
func NewRuntimeAPI(opts ...RuntimeOption) *RuntimeAPI {
	r := &RuntimeAPI{
		log:      slog.Default(),
		queue:    make(chan *pending),
		closed:   make(chan struct{}),
		inflight: make(map[string]*pending),
		late:     make(map[string]time.Time),
	}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	return r
}

// NewRequestID returns an id in FC's shape, 1-<8 hex>-<24 hex>: the first
// part is the Unix time in seconds, as FC's ids appear to be.
func NewRequestID() string {
	var b [16]byte // 4 bytes of Unix seconds, 12 random
	binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
	rand.Read(b[4:])
	id := make([]byte, 0, 35)
	id = hex.AppendEncode(append(id, "1-"...), b[:4])
	return string(hex.AppendEncode(append(id, '-'), b[4:]))
}

// Invoke queues one event, waits for the function's /response or /error
// post (or ctx done, or the invocation's timeout) and returns it.
// It returns ctx.Err() ([context.DeadlineExceeded] on timeout) when the
// function does not answer in time; a later post for it is accepted and dropped.
func (r *RuntimeAPI) Invoke(ctx context.Context, event []byte, inv Invocation) (Result, error) {
	if inv.RequestID == "" {
		inv.RequestID = NewRequestID()
	}
	if inv.Timeout <= 0 {
		inv.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, inv.Timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	p := &pending{id: inv.RequestID, event: event, inv: inv, deadline: deadline, done: make(chan Result, 1)}

	r.mu.Lock()
	if _, dup := r.inflight[p.id]; dup {
		r.mu.Unlock()
		return Result{}, fmt.Errorf("fcemu: request id %q already in flight", p.id)
	}
	r.inflight[p.id] = p
	r.mu.Unlock()

	select {
	case r.queue <- p:
	case <-ctx.Done():
		r.forget(p.id, false)
		return Result{}, ctx.Err()
	case <-r.closed:
		r.forget(p.id, false)
		return Result{}, ErrClosed
	}

	select {
	case res := <-p.done:
		return res, nil
	case <-ctx.Done():
		r.forget(p.id, true)
		return Result{}, ctx.Err()
	case <-r.closed:
		r.forget(p.id, true)
		return Result{}, ErrClosed
	}
}

// forget removes an abandoned invocation; if the function already has it,
// its id is remembered so that its eventual post is answered 200.
func (r *RuntimeAPI) forget(id string, delivered bool) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.inflight, id)
	if !delivered {
		return
	}
	if len(r.late) >= 1024 {
		for k, t := range r.late {
			if now.Sub(t) > lateTTL {
				delete(r.late, k)
			}
		}
	}
	r.late[id] = now
}

// ServeHTTP implements the runtime API endpoints.
func (r *RuntimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rest, ok := strings.CutPrefix(req.URL.Path, apiPrefix)
	if !ok {
		http.NotFound(w, req)
		return
	}
	if rest == "next" {
		if req.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		r.next(w, req)
		return
	}
	id, kind, ok := strings.Cut(rest, "/")
	if !ok || id == "" || (kind != "response" && kind != "error") {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.post(w, req, id, kind == "error")
}

// next long-polls until an event is queued, the poller goes away, or the
// API closes.
func (r *RuntimeAPI) next(w http.ResponseWriter, req *http.Request) {
	var p *pending
	select {
	case p = <-r.queue:
	case <-req.Context().Done():
		return
	case <-r.closed:
		http.Error(w, "runtime API closed", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-fc-request-id", p.id)
	// The SDK drops an invocation silently unless both are integers
	// (fc-runtime-go-sdk, fc/runtime_api.go).
	h.Set("x-fc-function-deadline", strconv.FormatInt(p.deadline.UnixMilli(), 10))
	h.Set("x-fc-function-timeout", strconv.FormatInt(int64((p.inv.Timeout+time.Second-1)/time.Second), 10))
	if c := p.inv.Credentials; c != nil {
		h.Set("x-fc-access-key-id", c.AccessKeyID)
		h.Set("x-fc-access-key-secret", c.AccessKeySecret)
		if c.SecurityToken != "" {
			h.Set("x-fc-security-token", c.SecurityToken)
		}
	}
	for k, v := range map[string]string{
		"x-fc-function-name": p.inv.FunctionName,
		"x-fc-region":        p.inv.Region,
		"x-fc-account-id":    p.inv.AccountID,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(p.event)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(p.event); err != nil {
		// The event is lost; Invoke will time out, as it would in FC.
		r.log.Warn("fcemu: delivering event failed", "requestId", p.id, "err", err)
	}
}

func (r *RuntimeAPI) post(w http.ResponseWriter, req *http.Request, id string, isErr bool) {
	body, err := io.ReadAll(io.LimitReader(req.Body, maxPostBytes+1))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxPostBytes {
		http.Error(w, "response too large", http.StatusRequestEntityTooLarge)
		return
	}

	r.mu.Lock()
	p, ok := r.inflight[id]
	if ok {
		delete(r.inflight, id)
	} else if _, late := r.late[id]; late {
		delete(r.late, id)
		r.mu.Unlock()
		r.log.Warn("fcemu: dropped late post for an abandoned invocation", "requestId", id)
		w.WriteHeader(http.StatusOK)
		return
	}
	r.mu.Unlock()
	if !ok {
		http.Error(w, "unknown request id", http.StatusNotFound)
		return
	}

	res := Result{Body: body}
	if isErr {
		fe := &FunctionError{}
		if json.Unmarshal(body, fe) != nil {
			fe = &FunctionError{Message: string(body), Type: "Unknown"}
		}
		res = Result{Err: fe}
	}
	p.done <- res
	w.WriteHeader(http.StatusOK)
}

// InvokeFunc adapts Invoke to Trigger.Invoke: each call uses tmpl with the
// trigger's request id.
func (r *RuntimeAPI) InvokeFunc(tmpl Invocation) func(ctx context.Context, event []byte, requestID string) (Result, error) {
	return func(ctx context.Context, event []byte, requestID string) (Result, error) {
		inv := tmpl
		inv.RequestID = requestID
		return r.Invoke(ctx, event, inv)
	}
}

// Listen serves the API on addr ("127.0.0.1:0" picks a free port) in the
// background and returns the address to put in FC_RUNTIME_API.
func (r *RuntimeAPI) Listen(addr string) (net.Addr, error) {
	select {
	case <-r.closed:
		return nil, ErrClosed
	default:
	}
	r.srvMu.Lock()
	defer r.srvMu.Unlock()
	if r.srv != nil {
		return nil, errors.New("fcemu: runtime API already listening")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	// No timeouts: "next" is a long poll.
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	srv := r.srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("fcemu: runtime API server stopped", "err", err)
		}
	}()
	return ln.Addr(), nil
}

// Close fails pending invocations with [ErrClosed], ends the long polls and
// stops the listener. A function process still polling will then retry in a
// busy loop (the SDK has no backoff): stop it too.
func (r *RuntimeAPI) Close() error {
	r.once.Do(func() { close(r.closed) })
	r.srvMu.Lock()
	defer r.srvMu.Unlock()
	if r.srv != nil {
		return r.srv.Close()
	}
	return nil
}
