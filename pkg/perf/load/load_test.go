package load

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/fcemu"
	"github.com/ossbroker/ossbroker/pkg/perf/fixture"
)

// TestShortLoad is `make load` in miniature, for `make test`: a few
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
