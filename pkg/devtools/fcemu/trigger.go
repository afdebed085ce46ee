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
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/fcevent"
)

// FC3 HTTP trigger limits (FC documentation: HTTP trigger limits).
const (
	MaxHeaderBytes         = 8 << 10  // request headers, keys + values
	MaxURIBytes            = 4 << 10  // path including query
	MaxBodyBytes           = 32 << 20 // synchronous request body
	MaxResponseHeaderBytes = 8 << 10  // response headers; over it FC answers 502 BadResponse
)

// Trigger is the local HTTP trigger: an [http.Handler] turning real HTTP
// requests into FC3 HTTPTriggerEvent JSON, invoking the function and writing
// its HTTPTriggerResponse back.
//
// Where FC's behaviour is not documented the choices are:
//   - a function error (/error post) or a result that is not a valid
//     HTTPTriggerResponse object: 502 {"ErrorCode":"FunctionError",...};
//   - response headers over 8 KB: 502 BadResponse (documented);
//   - the function not answering in time: 504 FunctionTimeout; any other
//     invoke failure: 502 FunctionUnavailable;
//   - response headers FC forbids are dropped with a warning (FC may instead
//     reject them); a "headers": null response is accepted;
//   - queryParameters values are URL-decoded, repeated keys joined with ",";
//   - the async invocation header (X-Fc-Invocation-Type) is not emulated: it is
//     dropped with the other x-fc-* headers and the call is synchronous.
type Trigger struct {
	// Invoke runs the function; usually RuntimeAPI.InvokeFunc(...).
	Invoke func(ctx context.Context, event []byte, requestID string) (Result, error)
	// AccountID and Region default to "1234567890123456" and "cn-hangzhou";
	// DomainName defaults to the request's Host.
	AccountID, Region, DomainName string
	Logger                        *slog.Logger

	maxBody int64 // tests only; 0 means MaxBodyBytes
}

// Event is the FC3 HTTP trigger event as FC sends it (FC documentation: HTTP trigger event format).
type Event struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Headers         map[string]string `json:"headers"`
	QueryParameters map[string]string `json:"queryParameters"`
	RequestContext  EventContext      `json:"requestContext"`
}

// EventContext is the event's requestContext.
type EventContext struct {
	AccountID    string    `json:"accountId"`
	DomainName   string    `json:"domainName"`
	DomainPrefix string    `json:"domainPrefix"`
	HTTP         EventHTTP `json:"http"`
	RequestID    string    `json:"requestId"`
	Time         string    `json:"time"`
	TimeEpoch    string    `json:"timeEpoch"`
}

// EventHTTP is requestContext.http.
type EventHTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// sdk is e as the SDK's type, pointing into e, for fcevent (the JSON is the
// same as e's own).
func (e *Event) sdk() events.HTTPTriggerEvent {
	ev := events.HTTPTriggerEvent{
		Version: &e.Version, RawPath: &e.RawPath, Body: &e.Body, IsBase64Encoded: &e.IsBase64Encoded,
		Headers: &e.Headers, QueryParameters: &e.QueryParameters,
	}
	c, h := &e.RequestContext, &ev.TriggerContext
	h.AccountId, h.DomainName, h.DomainPrefix = &c.AccountID, &c.DomainName, &c.DomainPrefix
	h.RequestId, h.Time, h.TimeEpoch = &c.RequestID, &c.Time, &c.TimeEpoch
	h.Http.Method, h.Http.Path, h.Http.Protocol = &c.HTTP.Method, &c.HTTP.Path, &c.HTTP.Protocol
	h.Http.SourceIp, h.Http.UserAgent = &c.HTTP.SourceIP, &c.HTTP.UserAgent
	return ev
}

var allowedMethods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true, http.MethodDelete: true,
	http.MethodHead: true, http.MethodPatch: true, http.MethodOptions: true,
}

func (t *Trigger) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

// ServeHTTP handles one request as FC3's HTTP trigger does.
func (t *Trigger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := NewRequestID()
	w.Header().Set("X-Fc-Request-Id", id)
	status := t.serve(w, r, id, start)
	// Method, decoded path, status and id only: query strings, headers and
	// bodies may carry tokens or signatures.
	t.logger().LogAttrs(r.Context(), slog.LevelInfo, "fcemu: request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.String("requestId", id),
		slog.Duration("duration", time.Since(start)))
}

func (t *Trigger) serve(w http.ResponseWriter, r *http.Request, id string, now time.Time) int {
	if !allowedMethods[r.Method] {
		w.Header().Set("Allow", "GET, POST, PUT, DELETE, HEAD, PATCH, OPTIONS")
		return fcError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "method "+r.Method+" is not allowed")
	}
	if n := headerBytes(r); n > MaxHeaderBytes {
		return fcError(w, http.StatusBadRequest, "InvalidArgument", "request headers exceed "+strconv.Itoa(MaxHeaderBytes)+" bytes")
	}
	rawPath, rawQuery := rawTarget(r)
	uriLen := len(rawPath)
	if rawQuery != "" {
		uriLen += 1 + len(rawQuery)
	}
	if uriLen > MaxURIBytes {
		return fcError(w, http.StatusBadRequest, "InvalidArgument", "path and query exceed "+strconv.Itoa(MaxURIBytes)+" bytes")
	}
	maxBody := t.maxBody
	if maxBody <= 0 {
		maxBody = MaxBodyBytes
	}
	if r.ContentLength > maxBody {
		return fcError(w, http.StatusBadRequest, "InvalidArgument", "request body exceeds 32 MB")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return fcError(w, http.StatusBadRequest, "InvalidArgument", "reading request body failed")
	}
	if int64(len(body)) > maxBody {
		return fcError(w, http.StatusBadRequest, "InvalidArgument", "request body exceeds 32 MB")
	}

	ev := t.event(r, id, now, rawPath, rawQuery, body).sdk()
	event := fcevent.AppendEvent(make([]byte, 0, 1024+len(*ev.Body)+len(*ev.Body)/8), &ev)

	if t.Invoke == nil {
		return fcError(w, http.StatusBadGateway, "FunctionUnavailable", "no function attached to the trigger")
	}
	res, err := t.Invoke(r.Context(), event, id)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fcError(w, http.StatusGatewayTimeout, "FunctionTimeout", "function did not answer in time")
	case err != nil:
		t.logger().Warn("fcemu: invoke failed", "requestId", id, "err", err)
		return fcError(w, http.StatusBadGateway, "FunctionUnavailable", "invoking the function failed")
	case res.Err != nil:
		// The function's own message helps locally; FC's exact body is unconfirmed.
		t.logger().Warn("fcemu: function error", "requestId", id, "errorType", res.Err.Type)
		return fcError(w, http.StatusBadGateway, "FunctionError", "function error ("+res.Err.Type+"): "+res.Err.Message)
	}
	return t.writeResult(w, r, id, res.Body)
}

// headerBytes counts what FC's 8 KB limit covers: every key and value,
// Host included (net/http moves it out of r.Header).
func headerBytes(r *http.Request) int {
	n := 0
	if r.Host != "" {
		n += len("Host") + len(r.Host)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	return n
}

// rawTarget returns the path and query exactly as the client sent them:
// r.URL.RawPath is only kept by net/http when it differs from the default
// encoding, and EscapedPath may re-encode.
func rawTarget(r *http.Request) (string, string) {
	if ru := r.RequestURI; strings.HasPrefix(ru, "/") {
		p, q, _ := strings.Cut(ru, "?")
		return p, q
	}
	return r.URL.EscapedPath(), r.URL.RawQuery
}

func (t *Trigger) event(r *http.Request, id string, now time.Time, rawPath, rawQuery string, body []byte) *Event {
	domain := t.DomainName
	if domain == "" {
		domain = r.Host
	}
	prefix, _, _ := strings.Cut(domain, ".")
	account := t.AccountID
	if account == "" {
		account = "1234567890123456"
	}
	sourceIP := r.RemoteAddr
	if h, _, err := net.SplitHostPort(sourceIP); err == nil {
		sourceIP = h
	}
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		path = r.URL.Path
	}

	ev := &Event{
		Version:         "v1",
		RawPath:         rawPath,
		Headers:         make(map[string]string, len(r.Header)),
		QueryParameters: map[string]string{},
		RequestContext: EventContext{
			AccountID:    account,
			DomainName:   domain,
			DomainPrefix: prefix,
			HTTP: EventHTTP{
				Method:    r.Method,
				Path:      path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
			RequestID: id,
			Time:      now.UTC().Format(time.RFC3339),
			TimeEpoch: strconv.FormatInt(now.UnixMilli(), 10),
		},
	}
	for k, vs := range r.Header {
		if len(vs) == 0 || forbiddenRequestHeader(k) {
			continue
		}
		ev.Headers[http.CanonicalHeaderKey(k)] = strings.Join(vs, ",")
	}
	// ParseQuery keeps what it could parse when part of the query is invalid.
	q, _ := url.ParseQuery(rawQuery)
	for k, vs := range q {
		ev.QueryParameters[k] = strings.Join(vs, ",")
	}
	if len(body) > 0 {
		if utf8.Valid(body) && textualRequest(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// forbiddenRequestHeader: FC does not pass these to the function (FC
// documentation: HTTP trigger limits).
func forbiddenRequestHeader(k string) bool {
	return len(k) >= 5 && strings.EqualFold(k[:5], "x-fc-") ||
		strings.EqualFold(k, "connection") || strings.EqualFold(k, "keep-alive")
}

// textualRequest decides which request bodies travel as plain strings.
// FC does not document its rule; being generous with text and strict with
// everything else keeps the bytes exact either way.
func textualRequest(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok {
		return false
	}
	return typ == "text" || strings.Contains(sub, "json") || strings.Contains(sub, "xml") ||
		strings.Contains(sub, "javascript") || sub == "x-www-form-urlencoded"
}

// forbiddenResponseHeader: FC refuses these from a function (FC documentation:
// HTTP trigger limits).
// fchttp has its own list on purpose: the emulator stands in for FC, so it
// must not take the adapter's word for it.
func forbiddenResponseHeader(k string) bool {
	if len(k) >= 5 && strings.EqualFold(k[:5], "x-fc-") {
		return true
	}
	for _, f := range [...]string{"connection", "content-length", "date", "keep-alive", "server", "upgrade", "transfer-encoding"} {
		if len(k) == len(f) && strings.EqualFold(k, f) {
			return true
		}
	}
	return false
}

func (t *Trigger) writeResult(w http.ResponseWriter, r *http.Request, id string, payload []byte) int {
	var tr events.HTTPTriggerResponse
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' || fcevent.DecodeResponse(trimmed, &tr) != nil {
		return fcError(w, http.StatusBadGateway, "FunctionError", "function result is not an HTTP trigger response object")
	}
	status := http.StatusOK // also for a statusCode of 0 or none
	if tr.StatusCode != 0 {
		status = tr.StatusCode
	}
	if status < 200 || status > 599 { // a 1xx cannot be a final response
		return fcError(w, http.StatusBadGateway, "FunctionError", "function returned invalid statusCode "+strconv.Itoa(status))
	}
	body := []byte(tr.Body)
	if tr.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(tr.Body)
		if err != nil {
			return fcError(w, http.StatusBadGateway, "FunctionError", "function returned a body that is not valid base64")
		}
		body = b
	}
	if tr.Headers == nil {
		t.logger().Warn("fcemu: function returned \"headers\": null", "requestId", id)
	}
	size := 0
	for k, v := range tr.Headers {
		size += len(k) + len(v)
	}
	if size > MaxResponseHeaderBytes {
		return fcError(w, http.StatusBadGateway, "BadResponse", "response headers exceed "+strconv.Itoa(MaxResponseHeaderBytes)+" bytes")
	}
	h := w.Header()
	vals := make([]string, len(tr.Headers)) // one backing array for the one-value slices
	i := 0
	for k, v := range tr.Headers {
		if forbiddenResponseHeader(k) {
			t.logger().Warn("fcemu: dropped a response header FC forbids", "requestId", id, "header", k)
			continue
		}
		// One value per name, passed as is: whether FC splits a comma-joined
		// value is unconfirmed, and splitting would break dates and cookies.
		vals[i] = v
		h[http.CanonicalHeaderKey(k)] = vals[i : i+1 : i+1]
		i++
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return status
}

// fcError writes an error produced by the trigger itself, in FC's shape.
func fcError(w http.ResponseWriter, status int, code, msg string) int {
	b, _ := json.Marshal(struct {
		ErrorCode    string `json:"ErrorCode"`
		ErrorMessage string `json:"ErrorMessage"`
	}{code, msg})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
	return status
}
