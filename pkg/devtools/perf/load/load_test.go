package load

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/perf/fixture"
)

// TestShortLoad is "make load" in miniature, for "make test": a few
// clients for about a second each of presigns and 64 KiB direct uploads,
// against the bare handler and through the FC trigger emulation and the
// adapter. Any non-2xx fails; every stored upload must read back exactly.
// Throughput is logged, never judged.
func TestShortLoad(t *testing.T) {
	srv, ossEP, err := fixture.NewOSS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	b, closeFn, err := fixture.Broker(context.Background(), fixture.Options{Auth: (&fixture.Keys{}).AuthConfig(fixture.HS256, ""), Endpoint: ossEP})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	fn := fixture.Adapter(b)
	quiet := slog.New(slog.DiscardHandler)
	trigger := &fcemu.Trigger{
		Invoke: func(ctx context.Context, event []byte, id string) (fcemu.Result, error) {
			out, err := fn.Invoke(ctx, event)
			return fcemu.Result{Body: out}, err
		},
		Logger: quiet,
	}
	targets := map[string]http.Handler{"bare": b, "trigger+adapter": trigger}
	token := fixture.HS256Token("load-user", time.Hour)
	cfg := Config{Clients: 4, Duration: 700 * time.Millisecond, MaxRequests: 20000}
	for name, h := range targets {
		hs := httptest.NewServer(h)
		t.Cleanup(hs.Close)
		r := Run(context.Background(), cfg, &Presign{Base: hs.URL, Token: token})
		t.Logf("%s presign: %v", name, r)
		if r.Failures > 0 || r.Requests == 0 {
			t.Fatalf("%s presign: %d of %d failed, first: %s", name, r.Failures, r.Requests, r.FirstFailure)
		}
		up := &Upload{Base: hs.URL, Token: token, Run: name, Size: 64 << 10}
		r = Run(context.Background(), cfg, up)
		t.Logf("%s upload 64 KiB: %v", name, r)
		if r.Failures > 0 || r.Requests == 0 {
			t.Fatalf("%s upload: %d of %d failed, first: %s", name, r.Failures, r.Requests, r.FirstFailure)
		}
		n, bad := up.Verify(context.Background(), fixture.Owner(ossEP))
		if len(bad) > 0 || n != up.Stored() || n == 0 {
			t.Fatalf("%s: %d uploads read back, mismatches: %v", name, n, bad)
		}
	}
}

// TestClients: both ways of sending give the same answers, and the plain
// connection reports a server error as a failure, not a success.
func TestClients(t *testing.T) {
	b, closeFn, err := fixture.Broker(context.Background(), fixture.Options{Auth: (&fixture.Keys{}).AuthConfig(fixture.HS256, ""), Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	hs := httptest.NewServer(b)
	t.Cleanup(hs.Close)
	for _, netHTTP := range []bool{false, true} {
		cfg := Config{Clients: 2, Duration: time.Minute, MaxRequests: 50, NetHTTPClient: netHTTP}
		good := Run(context.Background(), cfg, &Presign{Base: hs.URL, Token: fixture.HS256Token("u", time.Hour)})
		if good.Failures > 0 || good.Requests != 50 {
			t.Errorf("net/http client %v: %v, first failure: %s", netHTTP, good, good.FirstFailure)
		}
		bad := Run(context.Background(), cfg, &Presign{Base: hs.URL, Token: "not.a.token"})
		if bad.Failures != 50 || !strings.HasPrefix(bad.FirstFailure, "status 401") {
			t.Errorf("net/http client %v, bad token: %v, first failure: %s", netHTTP, bad, bad.FirstFailure)
		}
	}
}

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name, in string
		status   int
		body     string
		keep     bool
		err      bool
	}{
		{"ok", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", 200, "{}", true, false},
		{"lower-case header", "HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\nabc", 201, "abc", true, false},
		{"close", "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 401, "", false, false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, "x", false, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\na\r\n0123456789\r\n0\r\n\r\n", 200, "{}0123456789", true, false},
		{"chunk too short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}\r\n0\r\n\r\n", 0, "", false, true},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, "", false, true},
		{"gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, "", false, true},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n{}", 0, "", false, true},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "", false, true},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 0, "", false, true},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", 0, "", false, true},
		{"bad status", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", 0, "", false, true},
		{"bad header", "HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 0\r\n\r\n", 0, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, keep, err := readResponse(bufio.NewReader(strings.NewReader(tt.in)), nil)
			if (err != nil) != tt.err || err == nil && (status != tt.status || string(body) != tt.body || keep != tt.keep) {
				t.Errorf("readResponse = %d, %q, %v, %v", status, body, keep, err)
			}
		})
	}
}
