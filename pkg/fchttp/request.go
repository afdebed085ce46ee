package fchttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
)

// requestError is a bad event; it carries the status the caller gets.
type requestError struct {
	status  int
	code    string
	message string
}

func (e *requestError) Error() string { return "fchttp: " + e.message }

func badRequest(msg string) error {
	return &requestError{status: http.StatusBadRequest, code: "invalid_request", message: msg}
}

func asRequestError(err error) *requestError {
	var re *requestError
	if errors.As(err, &re) {
		return re
	}
	return &requestError{status: http.StatusBadRequest, code: "invalid_request", message: err.Error()}
}

// NewRequest turns an FC3 HTTP trigger event into a server-side *http.Request,
// as net/http's server would have built it: URL holds only path and query,
// Host is in r.Host (not in r.Header), RequestURI is set.
//
// The request context is derived from ctx (so fccontext.FromContext and FC's
// deadline work downstream) and carries the request id (see requestid); if
// ctx already carries one (as inside Handler) it is kept.
//
// Every pointer field of ev may be nil. Errors (no method, invalid escape in
// rawPath, bad base64, body over [DefaultMaxBodyBytes]) describe a request the
// caller should get a 4xx for.
func NewRequest(ctx context.Context, ev *events.HTTPTriggerEvent) (*http.Request, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if ev == nil {
		return nil, badRequest("no event")
	}
	if requestid.From(ctx) == "" {
		ctx = requestid.With(ctx, requestID(ctx, ev))
	}
	return newRequest(ctx, ev, DefaultMaxBodyBytes)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func newRequest(ctx context.Context, ev *events.HTTPTriggerEvent, maxBody int64) (*http.Request, error) {
	hc := &ev.TriggerContext.Http
	method := str(hc.Method)
	if method == "" {
		return nil, badRequest("missing method")
	}
	if !validMethod(method) {
		return nil, badRequest("invalid method")
	}

	u, err := buildURL(ev)
	if err != nil {
		return nil, err
	}

	proto := str(hc.Protocol)
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		proto, major, minor = "HTTP/1.1", 1, 1
	}

	r := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      proto,
		ProtoMajor: major,
		ProtoMinor: minor,
		Header:     buildHeader(ev.Headers),
		RequestURI: u.RequestURI(),
	}

	r.Host = str(ev.TriggerContext.DomainName)
	if h := r.Header.Get("Host"); r.Host == "" {
		r.Host = h
	}
	delete(r.Header, "Host") // net/http's server moves Host out of the header map too

	if ip := str(hc.SourceIp); ip != "" {
		// Servers give "IP:port"; FC gives no port, so use 0 and keep
		// net.SplitHostPort working for handlers that parse RemoteAddr.
		r.RemoteAddr = net.JoinHostPort(ip, "0")
	}

	if err := setBody(r, ev, maxBody); err != nil {
		return nil, err
	}
	return r.WithContext(ctx), nil
}

// buildURL takes the path from rawPath (URL-encoded, as the client sent it)
// so that an encoded slash stays distinguishable from a separator:
// URL.Path is decoded, URL.EscapedPath() returns the raw form.
func buildURL(ev *events.HTTPTriggerEvent) (*url.URL, error) {
	u := &url.URL{}
	switch {
	case ev.RawPath != nil && *ev.RawPath != "":
		raw := *ev.RawPath
		if raw[0] != '/' {
			raw = "/" + raw
		}
		if strings.IndexByte(raw, '%') < 0 {
			u.Path = raw
		} else {
			p, err := url.PathUnescape(raw)
			if err != nil {
				return nil, badRequest("invalid escape in path")
			}
			u.Path, u.RawPath = p, raw
		}
	case ev.TriggerContext.Http.Path != nil && *ev.TriggerContext.Http.Path != "":
		// Only the decoded path: the best we can do.
		p := *ev.TriggerContext.Http.Path
		if p[0] != '/' {
			p = "/" + p
		}
		u.Path = p
	default:
		u.Path = "/"
	}
	if ev.QueryParameters != nil {
		u.RawQuery = encodeQuery(*ev.QueryParameters)
	}
	return u, nil
}

// encodeQuery encodes FC's already-decoded query map like [url.Values.Encode]
// (sorted keys), keeping a comma-joined repeated key as one value: splitting
// on commas would break values that contain commas themselves.
func encodeQuery(q map[string]string) string {
	switch len(q) {
	case 0:
		return ""
	case 1:
		for k, v := range q {
			return url.QueryEscape(k) + "=" + url.QueryEscape(v)
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(q[k]))
	}
	return b.String()
}

// buildHeader canonicalises keys and keeps every value as the single string
// FC sent: a comma-joined value cannot be split safely (dates, quoted strings).
func buildHeader(hp *map[string]string) http.Header {
	if hp == nil || len(*hp) == 0 {
		return make(http.Header)
	}
	m := *hp
	h := make(http.Header, len(m))
	vals := make([]string, len(m)) // one backing array for all one-value slices
	i := 0
	for k, v := range m {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if old, dup := h[ck]; dup {
			// Two spellings of one name: keep both values.
			h[ck] = append(old[:len(old):len(old)], v)
			continue
		}
		vals[i] = v
		h[ck] = vals[i : i+1 : i+1]
		i++
	}
	return h
}

func setBody(r *http.Request, ev *events.HTTPTriggerEvent, maxBody int64) error {
	body := str(ev.Body)
	if body == "" {
		r.Body = http.NoBody
		return nil
	}
	tooLarge := &requestError{status: http.StatusRequestEntityTooLarge, code: "payload_too_large", message: "request body too large"}
	if ev.IsBase64Encoded != nil && *ev.IsBase64Encoded {
		// Cheap upper bound first, so a huge event is refused unscanned.
		if int64(base64.StdEncoding.DecodedLen(len(body)))-2 > maxBody {
			return tooLarge
		}
		n, ok := base64Len(body)
		if !ok {
			return setBase64Body(r, body, maxBody, tooLarge)
		}
		if n > maxBody {
			return tooLarge
		}
		// Decoded as the handler reads: the length is known from the
		// encoded one, so the handler can refuse the request on its
		// headers, or read the body into one buffer of the right size,
		// without a decoded copy existing first. A bad character is a
		// read error.
		r.Body = &base64Body{Reader: base64.NewDecoder(base64.StdEncoding, strings.NewReader(body))}
		r.ContentLength = n
		return nil
	}
	if int64(len(body)) > maxBody {
		return tooLarge
	}
	// strings.Reader avoids copying the (possibly large) body.
	r.Body = &stringBody{Reader: *strings.NewReader(body)}
	r.ContentLength = int64(len(body))
	return nil
}

// base64Len is the decoded length of padded standard base64 s, from its
// length and padding alone, or false when that cannot be told: s has line
// breaks (which Go's decoder skips) or a length that is not a multiple of
// four (which no valid padded encoding has).
func base64Len(s string) (int64, bool) {
	if len(s)%4 != 0 || strings.IndexByte(s, '\n') >= 0 || strings.IndexByte(s, '\r') >= 0 {
		return 0, false
	}
	n := int64(len(s)) / 4 * 3
	switch {
	case strings.HasSuffix(s, "=="):
		n -= 2
	case strings.HasSuffix(s, "="):
		n--
	}
	return n, true
}

// setBase64Body decodes what base64Len cannot size at once: as Go's
// decoder reads it (line breaks skipped), or it is refused.
func setBase64Body(r *http.Request, body string, maxBody int64, tooLarge error) error {
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return badRequest("body is not valid base64")
	}
	if int64(len(b)) > maxBody {
		return tooLarge
	}
	r.Body = &bytesBody{Reader: bytes.NewReader(b)}
	r.ContentLength = int64(len(b))
	return nil
}

// stringBody and bytesBody are [io.NopCloser] in one allocation instead of two.
type stringBody struct{ strings.Reader }

func (*stringBody) Close() error { return nil }

type bytesBody struct{ *bytes.Reader }

func (*bytesBody) Close() error { return nil }

type base64Body struct{ io.Reader }

func (*base64Body) Close() error { return nil }

// validMethod reports whether m is an RFC 9110 token, as net/http requires.
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
