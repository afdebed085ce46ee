package fchttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// recorder is the [http.ResponseWriter] handed to the handler. It behaves like
// net/http's server writer where it matters to handlers (headers are frozen
// at WriteHeader, 1xx is ignored, no body for HEAD/204/304, Content-Type is
// sniffed when unset) and is pooled: this is the hot path.
type recorder struct {
	header http.Header
	body   bytes.Buffer
	status int
	wrote  bool
	head   bool

	// Snapshot taken when the header is written.
	out        map[string]string
	ctype      string
	noSniff    bool
	cookieDrop int
	attachment bool
}

var recorderPool = sync.Pool{New: func() any { return new(recorder) }}

// maxPooledBody keeps one large response from pinning its buffer forever.
const maxPooledBody = 1 << 20

func getRecorder(head bool) *recorder {
	rec := recorderPool.Get().(*recorder)
	if rec.header == nil {
		rec.header = make(http.Header)
	}
	rec.head = head
	return rec
}

func putRecorder(rec *recorder) {
	if rec.body.Cap() > maxPooledBody {
		rec.body = bytes.Buffer{}
	}
	rec.body.Reset()
	clear(rec.header) // handlers must not keep the ResponseWriter after returning, as with net/http
	*rec = recorder{body: rec.body, header: rec.header}
	recorderPool.Put(rec)
}

func (rec *recorder) Header() http.Header { return rec.header }

// Flush lets handlers that flush ([http.ResponseController], SSE helpers) run;
// the response is sent as a whole anyway.
func (rec *recorder) Flush() {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
}

func (rec *recorder) WriteHeader(code int) {
	if code < 100 || code > 999 {
		// As net/http does; recovered by Handler and answered with 500.
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if rec.wrote {
		return
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		return // informational responses are not final; FC cannot send them
	}
	rec.wrote = true
	rec.status = code
	rec.snapshot()
}

func (rec *recorder) Write(p []byte) (int, error) {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(rec.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if rec.head {
		return len(p), nil
	}
	return rec.body.Write(p)
}

func (rec *recorder) WriteString(s string) (int, error) {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(rec.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if rec.head {
		return len(s), nil
	}
	return rec.body.WriteString(s)
}

func bodyAllowed(status int) bool {
	return !(status >= 100 && status <= 199 || status == http.StatusNoContent || status == http.StatusNotModified)
}

// snapshot converts the header map into FC's one-value-per-name form,
// dropping what FC refuses in a response.
func (rec *recorder) snapshot() {
	out := make(map[string]string, len(rec.header))
	for k, vs := range rec.header {
		if strings.EqualFold(k, "Content-Type") {
			if len(vs) == 0 {
				rec.noSniff = true // h["Content-Type"] = nil suppresses sniffing, as in net/http
				continue
			}
			rec.ctype = vs[0]
		}
		if len(vs) == 0 || forbiddenResponseHeader(k) {
			continue
		}
		switch {
		case strings.EqualFold(k, "Set-Cookie"):
			// FC has one value per name and no multi-value field: keep the first.
			rec.cookieDrop += len(vs) - 1
			out[k] = vs[0]
			continue
		case strings.EqualFold(k, "Content-Disposition") && isAttachment(vs[0]):
			rec.attachment = true
			continue
		}
		if len(vs) == 1 {
			out[k] = vs[0]
		} else {
			out[k] = strings.Join(vs, ", ")
		}
	}
	rec.out = out
}

func (rec *recorder) result(log *slog.Logger, ctx context.Context, id string) *events.HTTPTriggerResponse {
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	if rec.cookieDrop > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "fchttp: dropped extra Set-Cookie headers (FC allows one per response)",
			slog.Int("dropped", rec.cookieDrop), slog.String("requestId", id))
	}
	if rec.attachment {
		log.LogAttrs(ctx, slog.LevelWarn, "fchttp: dropped Content-Disposition: attachment (FC forbids it)",
			slog.String("requestId", id))
	}
	resp := &events.HTTPTriggerResponse{StatusCode: rec.status, Headers: rec.out}
	body := rec.body.Bytes()
	if len(body) == 0 {
		return resp
	}
	if rec.ctype == "" && !rec.noSniff {
		rec.ctype = http.DetectContentType(body)
		resp.Headers["Content-Type"] = rec.ctype
	}
	if isTextual(rec.ctype) && utf8.Valid(body) {
		resp.Body = string(body)
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(body)
		resp.IsBase64Encoded = true
	}
	return resp
}

// forbiddenResponseHeader lists the response headers FC3 refuses or sets
// itself (FC documentation: HTTP trigger limits), plus transfer-encoding,
// which is meaningless here.
func forbiddenResponseHeader(k string) bool {
	if len(k) >= 5 && strings.EqualFold(k[:5], "x-fc-") {
		return true
	}
	switch len(k) {
	case 4:
		return strings.EqualFold(k, "date")
	case 6:
		return strings.EqualFold(k, "server")
	case 7:
		return strings.EqualFold(k, "upgrade")
	case 10:
		return strings.EqualFold(k, "connection") || strings.EqualFold(k, "keep-alive")
	case 14:
		return strings.EqualFold(k, "content-length")
	case 17:
		return strings.EqualFold(k, "transfer-encoding")
	}
	return false
}

func isAttachment(v string) bool {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.EqualFold(strings.TrimSpace(v), "attachment")
}

// isTextual reports whether a body of this media type may travel as a plain
// JSON string; everything else is base64 so that bytes survive exactly.
func isTextual(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	slash := strings.IndexByte(ct, '/')
	if slash <= 0 {
		return false
	}
	typ, sub := ct[:slash], ct[slash+1:]
	if strings.EqualFold(typ, "text") {
		return true
	}
	if hasSuffixFold(sub, "+json") || hasSuffixFold(sub, "+xml") || containsFold(sub, "javascript") {
		return true
	}
	if !strings.EqualFold(typ, "application") {
		return false
	}
	return strings.EqualFold(sub, "json") || strings.EqualFold(sub, "xml") ||
		strings.EqualFold(sub, "ecmascript") || strings.EqualFold(sub, "x-www-form-urlencoded")
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
