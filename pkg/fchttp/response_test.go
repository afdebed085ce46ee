package fchttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// logBuffer collects log output so tests can check what was (not) logged.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

const getEvent = `{"rawPath":"/x","requestContext":{"requestId":"1-req","http":{"method":"GET"}}}`

func TestResponseMapping(t *testing.T) {
	tests := []struct {
		name        string
		ev          string
		h           http.HandlerFunc
		status      int
		headers     map[string]string // exact match of the whole map
		body        string            // decoded body
		base64      bool
		logContains []string
	}{
		{
			name:    "nothing written: 200, empty non-nil headers",
			h:       func(w http.ResponseWriter, r *http.Request) {},
			status:  200,
			headers: map[string]string{},
		},
		{
			name: "forbidden headers dropped, multi values joined, first Set-Cookie kept",
			h: func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				for _, k := range []string{"X-Fc-Request-Id", "x-fc-custom", "Connection", "Content-Length", "Date",
					"Keep-Alive", "Server", "Upgrade", "Transfer-Encoding"} {
					h[k] = []string{"v"}
				}
				h.Add("Vary", "Origin")
				h.Add("Vary", "Accept-Encoding")
				h.Add("Set-Cookie", "a=1")
				h.Add("Set-Cookie", "b=2")
				h["X-Empty"] = []string{}
				h.Set("Content-Type", "application/json")
				h.Set("Content-Disposition", "attachment; filename=a.txt")
				w.WriteHeader(201)
				w.Write([]byte(`{"ok":true}`))
				h.Set("X-Too-Late", "ignored") // after WriteHeader, as in net/http
			},
			status: 201,
			headers: map[string]string{"Vary": "Origin, Accept-Encoding", "Set-Cookie": "a=1",
				"Content-Type": "application/json"},
			body:        `{"ok":true}`,
			logContains: []string{"Set-Cookie", "Content-Disposition"},
		},
		{
			name: "inline content-disposition kept",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Disposition", `inline; filename="a.txt"`)
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, "hi")
			},
			status:  200,
			headers: map[string]string{"Content-Disposition": `inline; filename="a.txt"`, "Content-Type": "text/plain"},
			body:    "hi",
		},
		{
			name: "binary body base64",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/png")
				w.Write([]byte{0x89, 'P', 'N', 'G', 0, 0xff})
			},
			status: 200, headers: map[string]string{"Content-Type": "image/png"},
			body: "\x89PNG\x00\xff", base64: true,
		},
		{
			name: "text content type but invalid utf-8: base64",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=latin1")
				w.Write([]byte{'c', 'a', 'f', 0xe9})
			},
			status: 200, headers: map[string]string{"Content-Type": "text/plain; charset=latin1"},
			body: "caf\xe9", base64: true,
		},
		{
			name: "valid utf-8 but octet-stream: base64",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Write([]byte("plain"))
			},
			status: 200, headers: map[string]string{"Content-Type": "application/octet-stream"},
			body: "plain", base64: true,
		},
		{
			name: "problem+json text",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(422)
				w.Write([]byte(`{"title":"ü"}`))
			},
			status: 422, headers: map[string]string{"Content-Type": "application/problem+json"},
			body: `{"title":"ü"}`,
		},
		{
			name: "content type sniffed when unset",
			h: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "<html><body>x</body></html>")
			},
			status: 200, headers: map[string]string{"Content-Type": "text/html; charset=utf-8"},
			body: "<html><body>x</body></html>",
		},
		{
			name:   "4xx passthrough",
			h:      func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusForbidden) },
			status: 403,
			headers: map[string]string{"Content-Type": "text/plain; charset=utf-8",
				"X-Content-Type-Options": "nosniff"},
			body: "nope\n",
		},
		{
			name: "5xx passthrough",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(503)
				io.WriteString(w, `{}`)
			},
			status: 503, headers: map[string]string{"Content-Type": "application/json"}, body: `{}`,
		},
		{
			name: "1xx ignored, 204 refuses a body",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusContinue)
				w.WriteHeader(http.StatusNoContent)
				if _, err := w.Write([]byte("x")); err != http.ErrBodyNotAllowed {
					panic("want ErrBodyNotAllowed")
				}
			},
			status: 204, headers: map[string]string{},
		},
		{
			name: "HEAD drops the body, keeps the headers",
			ev:   `{"rawPath":"/x","requestContext":{"http":{"method":"HEAD"}}}`,
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, "body")
			},
			status: 200, headers: map[string]string{"Content-Type": "text/plain"},
		},
		{
			name: "panic becomes 500 JSON",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Partial", "1")
				w.WriteHeader(202)
				panic("boom")
			},
			status:      500,
			headers:     map[string]string{"Content-Type": "application/json; charset=utf-8", "X-Request-Id": "1-req"},
			body:        `{"error":{"code":"internal","message":"internal error","requestId":"1-req"}}`,
			logContains: []string{"handler panic", "boom", "goroutine", `"path":"/x"`},
		},
		{
			name:    "invalid status code panics like net/http, becomes 500",
			h:       func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(42) },
			status:  500,
			headers: map[string]string{"Content-Type": "application/json; charset=utf-8", "X-Request-Id": "1-req"},
			body:    `{"error":{"code":"internal","message":"internal error","requestId":"1-req"}}`,
		},
		{
			name: "flush commits 200",
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: 1\n\n")
				if err := http.NewResponseController(w).Flush(); err != nil {
					panic(err)
				}
				io.WriteString(w, "data: 2\n\n")
			},
			status: 200, headers: map[string]string{"Content-Type": "text/event-stream"},
			body: "data: 1\n\ndata: 2\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev
			if ev == "" {
				ev = getEvent
			}
			log, lb := newLogger()
			resp, err := typed(Handler(tt.h, WithLogger(log)))(context.Background(), *event(t, ev))
			if err != nil {
				t.Fatalf("error = %v, want nil", err)
			}
			if resp == nil || resp.Headers == nil {
				t.Fatalf("response %+v: want non-nil with non-nil Headers", resp)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if !equalMaps(resp.Headers, tt.headers) {
				t.Errorf("headers = %v, want %v", resp.Headers, tt.headers)
			}
			if resp.IsBase64Encoded != tt.base64 {
				t.Errorf("IsBase64Encoded = %v, want %v", resp.IsBase64Encoded, tt.base64)
			}
			body := resp.Body
			if resp.IsBase64Encoded {
				b, err := base64.StdEncoding.DecodeString(body)
				if err != nil {
					t.Fatalf("body not base64: %v", err)
				}
				body = string(b)
			}
			if body != tt.body {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			logs := lb.String()
			for _, s := range tt.logContains {
				if !strings.Contains(logs, s) {
					t.Errorf("log lacks %q:\n%s", s, logs)
				}
			}
			// The wire form the SDK posts must carry a headers object, never null.
			js, _ := json.Marshal(resp)
			if bytes.Contains(js, []byte(`"headers":null`)) {
				t.Errorf("marshalled response has null headers: %s", js)
			}
		})
	}
}

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

// TestNoSecretsLogged checks that bodies, Authorization and query strings never
// reach the log, even on the panic and rejection paths.
func TestNoSecretsLogged(t *testing.T) {
	const secret = "s3cr3t-value"
	evs := []string{
		`{"rawPath":"/p","body":"` + secret + `","headers":{"Authorization":"Bearer ` + secret + `"},"queryParameters":{"sig":"` + secret + `"},"requestContext":{"http":{"method":"POST"}}}`,
		`{"rawPath":"/p%zz","body":"` + secret + `","headers":{"Authorization":"Bearer ` + secret + `"},"queryParameters":{"sig":"` + secret + `"},"requestContext":{"http":{"method":"POST"}}}`,
	}
	for _, ev := range evs {
		log, lb := newLogger()
		typed(Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic("boom")
		}), WithLogger(log)))(context.Background(), *event(t, ev))
		if logs := lb.String(); logs == "" || strings.Contains(logs, secret) {
			t.Errorf("log is empty or holds the secret:\n%s", logs)
		}
	}
}

func TestIsTextual(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/plain":                         true,
		"TEXT/HTML; charset=utf-8":           true,
		"application/json":                   true,
		"Application/JSON ; charset=utf-8":   true,
		"application/xml":                    true,
		"application/javascript":             true,
		"application/x-javascript":           true,
		"application/vnd.api+json":           true,
		"image/svg+xml":                      true,
		"application/x-www-form-urlencoded":  true,
		"application/octet-stream":           false,
		"image/png":                          false,
		"":                                   false,
		"json":                               false,
		"/json":                              false,
		"multipart/form-data; boundary=json": false,
	} {
		if got := isTextual(ct); got != want {
			t.Errorf("isTextual(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestMaxBodyOption(t *testing.T) {
	h := typed(Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), WithMaxBodyBytes(4)))
	tests := []struct {
		body   string
		base64 bool
		want   int
	}{
		{"1234", false, 200},
		{"12345", false, 413},
		{"MTIzNA==", true, 200},     // 4 bytes
		{"MTIzNDU=", true, 413},     // 5 bytes: caught after decoding
		{"MTIzNDU2Nzg5", true, 413}, // 9 bytes: caught before decoding
	}
	for _, tt := range tests {
		body := tt.body
		resp, _ := h(context.Background(), events.HTTPTriggerEvent{Body: &body, IsBase64Encoded: &tt.base64,
			TriggerContext: events.HTTPTriggerRequestContext{Http: struct {
				Method    *string `json:"method"`
				Path      *string `json:"path"`
				Protocol  *string `json:"protocol"`
				SourceIp  *string `json:"sourceIp"`
				UserAgent *string `json:"userAgent"`
			}{Method: ptr("POST")}}})
		if resp.StatusCode != tt.want {
			t.Errorf("body %q: status %d, want %d", body, resp.StatusCode, tt.want)
		}
	}
}

// TestHandlerReadsBody checks the body arrives through Handler (not only NewRequest).
func TestHandlerReadsBody(t *testing.T) {
	h := typed(Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
	})))
	resp, err := h(context.Background(), *event(t, `{"body":"AAECAw==","isBase64Encoded":true,"requestContext":{"http":{"method":"PUT"}}}`))
	if err != nil || !resp.IsBase64Encoded || resp.Body != "AAECAw==" {
		t.Fatalf("echo = %+v, %v", resp, err)
	}
}
