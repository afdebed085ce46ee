package fchttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
)

func FuzzNewRequest(f *testing.F) {
	seeds := []string{
		getEvent,
		`{}`,
		`{"requestContext":null}`,
		`{"rawPath":"/a%2Fb%20c/%E4%BD%A0","queryParameters":{"a":"1,2"},"headers":{"x":"1,2"},"requestContext":{"http":{"method":"GET"}}}`,
		`{"rawPath":"a%zz","body":"!!","isBase64Encoded":true,"requestContext":{"http":{"method":"POST"}}}`,
		`{"body":"AAECAw==","isBase64Encoded":true,"requestContext":{"http":{"method":"PUT"}}}`,
		`{"body":"AAE\r\nCAw=","isBase64Encoded":true,"requestContext":{"http":{"method":"PUT"}}}`,
		`{"body":"AA=A","isBase64Encoded":true,"requestContext":{"http":{"method":"PUT"}}}`,
		`{"rawPath":"/?#","headers":{"host":"h","Host":"H"},"requestContext":{"domainName":"d","http":{"method":"HEAD","protocol":"HTTP/9","sourceIp":"::1"}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		_ = r.URL.EscapedPath()
		_ = r.URL.Query()
		w.Header().Set("X-Path", r.URL.Path)
		io.WriteString(w, r.RequestURI)
	}), WithLogger(quiet))
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := h(context.Background(), data)
		if err != nil {
			t.Fatalf("error %v", err)
		}
		if resp == nil || resp.Headers == nil {
			t.Fatalf("response %+v: want non-nil with non-nil Headers", resp)
		}
		if resp.StatusCode < 100 || resp.StatusCode > 599 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		checkBody(t, data)
	})
}

// checkBody compares the request body NewRequest gives (decoded lazily
// for base64) with what encoding/base64 makes of the event's body at once:
// the same bytes and Content-Length, or an error (from NewRequest or from
// reading) exactly when the reference fails.
func checkBody(t *testing.T, data []byte) {
	var ev events.HTTPTriggerEvent
	if json.Unmarshal(data, &ev) != nil || ev.Body == nil || *ev.Body == "" {
		return
	}
	want := []byte(*ev.Body)
	var werr error
	if ev.IsBase64Encoded != nil && *ev.IsBase64Encoded {
		want, werr = base64.StdEncoding.DecodeString(*ev.Body)
	}
	if ev.TriggerContext.Http.Method == nil {
		ev.TriggerContext.Http.Method = new(string)
	}
	*ev.TriggerContext.Http.Method = "POST"
	ev.RawPath, ev.TriggerContext.Http.Path = nil, nil
	r, err := NewRequest(context.Background(), &ev)
	if err != nil {
		if werr == nil {
			t.Fatalf("NewRequest: %v; the body decodes to %d bytes", err, len(want))
		}
		return
	}
	got, rerr := io.ReadAll(r.Body)
	switch {
	case werr != nil && rerr == nil:
		t.Fatalf("body %q read as %q; encoding/base64 says %v", *ev.Body, got, werr)
	case werr == nil && (rerr != nil || !bytes.Equal(got, want) || r.ContentLength != int64(len(want))):
		t.Fatalf("body %q: read %q (%v), Content-Length %d; want %q", *ev.Body, got, rerr, r.ContentLength, want)
	}
}

// BenchmarkHandler measures the whole adapter for a small JSON POST.
func BenchmarkHandler(b *testing.B) {
	ev := []byte(`{"version":"v1","rawPath":"/v1/presign","body":"{\"key\":\"exampledir/a.png\",\"contentType\":\"image/png\"}",
	 "isBase64Encoded":false,"headers":{"Authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.e30.x","Content-Type":"application/json",
	 "User-Agent":"curl/8.5.0","Accept":"*/*"},"queryParameters":{},
	 "requestContext":{"accountId":"1234567890123456","domainName":"abc.cn-hangzhou.fcapp.run","domainPrefix":"abc",
	  "http":{"method":"POST","path":"/v1/presign","protocol":"HTTP/1.1","sourceIp":"203.0.113.7","userAgent":"curl/8.5.0"},
	  "requestId":"1-64f6cd87-0123456789abcdef","time":"2023-09-05T06:41:11Z","timeEpoch":"1693896071895"}}`)
	out := []byte(`{"method":"PUT","url":"https://examplebucket.oss-cn-hangzhou.aliyuncs.com/exampledir/a.png"}`)
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf [256]byte
		n, _ := io.ReadFull(r.Body, buf[:])
		_ = n
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Request-Id", "1-64f6cd87-0123456789abcdef")
		w.Write(out)
	}), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h(ctx, ev); resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
}

// typed calls fn through the SDK's own handler wrapper (as fc.Start does)
// with ev's JSON, and decodes the response JSON it gives back.
func typed(fn func(context.Context, []byte) (*events.HTTPTriggerResponse, error)) func(context.Context, events.HTTPTriggerEvent) (*events.HTTPTriggerResponse, error) {
	h := fc.NewHandler(fn)
	return func(ctx context.Context, ev events.HTTPTriggerEvent) (*events.HTTPTriggerResponse, error) {
		in, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		out, err := h.Invoke(ctx, in)
		if err != nil {
			return nil, err
		}
		var resp events.HTTPTriggerResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			return nil, err
		}
		return &resp, nil
	}
}
