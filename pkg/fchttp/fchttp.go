// Package fchttp runs an ordinary [http.Handler] as a Function Compute 3.0
// function behind an HTTP trigger: it turns the events.HTTPTriggerEvent the
// fc-runtime-go-sdk hands over into an *http.Request, runs the handler and
// turns what it wrote into an events.HTTPTriggerResponse (the pattern of
// awslabs/aws-lambda-go-api-proxy). The event arrives as JSON, decoded by
// fcevent.
//
// Use it as fc.Start(fchttp.Handler(h)).
//
// The adapter never returns an error to the SDK: an error makes FC answer the
// caller with its own error page instead of our status, so bad events become
// 4xx responses and handler panics a 500 response.
package fchttp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/ossbroker/ossbroker/pkg/fcevent"
	"github.com/ossbroker/ossbroker/pkg/internal/apierror"
	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
)

// DefaultMaxBodyBytes is FC3's limit for a synchronous request body (32 MB);
// FC itself refuses larger bodies, so this only guards against odd events.
const DefaultMaxBodyBytes = 32 << 20

type options struct {
	maxBody int64
	logger  *slog.Logger
}

// Option configures Handler.
type Option func(*options)

// WithMaxBodyBytes bounds the decoded request body; larger bodies get 413.
// n <= 0 keeps the default ([DefaultMaxBodyBytes]).
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBody = n
		}
	}
}

// WithLogger sets the logger for panics, dropped headers and rejected events.
// Without it slog.Default() is used (looked up per call, so a later
// [slog.SetDefault] is honoured).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

func (o *options) log() *slog.Logger {
	if o.logger != nil {
		return o.logger
	}
	return slog.Default()
}

// Handler returns the function fc.Start takes: fc.Start(fchttp.Handler(h)).
//
// It takes the event JSON as it is: the SDK passes a []byte argument through
// untouched, so the event is decoded once, by fcevent, instead of by
// encoding/json's reflection (which cost more than the rest of a small
// request). The event's strings alias that buffer ([fcevent.DecodeEventOwned]:
// the SDK reads each event into a buffer of its own and never reuses it),
// and a base64 body is decoded only as the handler reads it, so a request
// the handler refuses on its headers (no token, a Content-Length over the
// route's limit) costs no copy of its body. The response stays a struct: the SDK would re-scan a
// json.RawMessage byte by byte, which is slower than its encoding of the
// struct. The result is always a complete response with a non-nil Headers
// map, and the error always nil (see the package doc for why).
//
// Choices where FC leaves room:
//   - an event that cannot become a request gets 400 (413 for a body over
//     the limit) in the project's JSON error shape;
//   - r.RemoteAddr is "sourceIp:0": servers give "IP:port", FC gives no port;
//   - response headers: one value per name, several joined with ", ",
//     except Set-Cookie (first kept, the rest dropped and logged); headers FC
//     refuses are dropped here rather than failing the invocation;
//   - the writer acts like net/http's (headers frozen at WriteHeader, sniffed
//     Content-Type, no body for HEAD/204/304). It is pooled, so, as with
//     net/http, it must not be used after ServeHTTP returns.
//
// Each call runs on one goroutine that Handler starts and keeps for the life
// of the process (see worker), unless another call is already running there.
func Handler(h http.Handler, opts ...Option) func(ctx context.Context, event []byte) (*events.HTTPTriggerResponse, error) {
	if h == nil {
		panic("fchttp: nil handler")
	}
	o := &options{maxBody: DefaultMaxBodyBytes}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	w := newWorker()
	return func(ctx context.Context, event []byte) (*events.HTTPTriggerResponse, error) {
		var resp *events.HTTPTriggerResponse
		w.do(func() { resp = o.handle(ctx, h, event) })
		return resp, nil
	}
}

func (o *options) handle(ctx context.Context, h http.Handler, event []byte) *events.HTTPTriggerResponse {
	var ev events.HTTPTriggerEvent
	if err := fcevent.DecodeEventOwned(event, &ev); err != nil {
		if ctx == nil {
			ctx = context.Background()
		}
		id := requestID(ctx, &ev)
		o.log().LogAttrs(ctx, slog.LevelWarn, "fchttp: rejected event",
			slog.Int("status", http.StatusBadRequest), slog.String("reason", "not an HTTP trigger event"), slog.String("requestId", id))
		return errorResponse(http.StatusBadRequest, "invalid_request", "the event is not an HTTP trigger event", id)
	}
	return o.serve(ctx, h, &ev)
}

func (o *options) serve(ctx context.Context, h http.Handler, ev *events.HTTPTriggerEvent) *events.HTTPTriggerResponse {
	if ctx == nil {
		ctx = context.Background()
	}
	id := requestID(ctx, ev)
	ctx = requestid.With(ctx, id)

	req, err := newRequest(ctx, ev, o.maxBody)
	if err != nil {
		re := asRequestError(err)
		o.log().LogAttrs(ctx, slog.LevelWarn, "fchttp: rejected event",
			slog.Int("status", re.status), slog.String("reason", re.message), slog.String("requestId", id))
		return errorResponse(re.status, re.code, re.message, id)
	}

	var start time.Time
	debugOn := o.log().Enabled(ctx, slog.LevelDebug)
	if debugOn {
		start = time.Now()
	}

	rec := getRecorder(req.Method == http.MethodHead)
	defer putRecorder(rec)

	if p, stack := run(h, rec, req); p != nil {
		if p == http.ErrAbortHandler {
			// The handler asked to abort the response; net/http does not
			// log a stack for this either.
			o.log().LogAttrs(ctx, slog.LevelWarn, "fchttp: handler aborted",
				slog.String("method", req.Method), slog.String("path", req.URL.Path), slog.String("requestId", id))
		} else {
			o.log().LogAttrs(ctx, slog.LevelError, "fchttp: handler panic",
				slog.String("method", req.Method), slog.String("path", req.URL.Path), slog.String("requestId", id),
				slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(stack)))
		}
		return errorResponse(http.StatusInternalServerError, "internal", "internal error", id)
	}

	resp := rec.result(o.log(), ctx, id)
	if debugOn {
		o.log().LogAttrs(ctx, slog.LevelDebug, "fchttp: request",
			slog.String("method", req.Method), slog.String("path", req.URL.Path),
			slog.Int("status", resp.StatusCode), slog.String("requestId", id),
			slog.Duration("duration", time.Since(start)))
	}
	return resp
}

// run calls the handler, turning a panic into a value so that the function
// keeps serving and the caller gets a 500 instead of an FC error page.
func run(h http.Handler, w http.ResponseWriter, r *http.Request) (p any, stack []byte) {
	defer func() {
		if p = recover(); p != nil {
			stack = debug.Stack()
		}
	}()
	h.ServeHTTP(w, r)
	return nil, nil
}

// requestID prefers FC's invocation id (what FC logs and returns to the
// caller as x-fc-request-id), then the event's own id, then a fresh one.
// A caller-sent X-Request-Id header is deliberately not used: it is not
// trustworthy and would let callers forge log correlation.
func requestID(ctx context.Context, ev *events.HTTPTriggerEvent) string {
	if fc, ok := fccontext.FromContext(ctx); ok && fc != nil && fc.RequestID != "" {
		return fc.RequestID
	}
	if p := ev.TriggerContext.RequestId; p != nil && *p != "" {
		return *p
	}
	return requestid.New()
}

// errorResponse builds the project's JSON error shape (README, API reference).
func errorResponse(status int, code, message, id string) *events.HTTPTriggerResponse {
	return &events.HTTPTriggerResponse{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type": "application/json; charset=utf-8",
			"X-Request-Id": id,
		},
		Body: string(apierror.JSON(code, message, id)),
	}
}
