package perf

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ossbroker/ossbroker/pkg/broker"
	"github.com/ossbroker/ossbroker/pkg/devtools/perf/fixture"
)

// jwksStandIn serves the JWK Set, or fails, or hangs (on a channel).
type jwksStandIn struct {
	mode    atomic.Value // "real", "500", "hang"
	set     []byte
	hits    atomic.Int64
	release chan struct{}
	once    sync.Once
}

func (j *jwksStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j.hits.Add(1)
	switch j.mode.Load().(string) {
	case "500":
		http.Error(w, "down", http.StatusInternalServerError)
	case "hang":
		select {
		case <-j.release:
		case <-r.Context().Done():
		}
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Write(j.set)
	}
}

const jwksClientTimeout = 300 * time.Millisecond

// jwksBound: the HTTP timeout, plus keyfunc's wait for its refresh rate
// limit (2 s at most), plus slack.
const jwksBound = jwksClientTimeout + 2*time.Second + 3*time.Second

func jwksBroker(t *testing.T, k *fixture.Keys, mode string, startBound time.Duration) (*broker.Broker, *jwksStandIn) {
	t.Helper()
	j := &jwksStandIn{set: k.JWKSJSON(), release: make(chan struct{})}
	j.mode.Store(mode)
	hs := httptest.NewServer(j)
	t.Cleanup(func() { j.once.Do(func() { close(j.release) }); hs.Close() })
	cfg := k.AuthConfig(fixture.JWKS, hs.URL+"/jwks.json")
	cfg.HTTPClient = &http.Client{Timeout: jwksClientTimeout}
	ctx, cancel := context.WithTimeout(context.Background(), startBound)
	defer cancel()
	start := time.Now()
	b, closeFn, err := fixture.Broker(ctx, fixture.Options{Auth: cfg, Endpoint: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatalf("cold start with JWKS %s: %v", mode, err)
	}
	if d := time.Since(start); d > startBound+time.Second {
		t.Fatalf("cold start with JWKS %s took %v, beyond its bound %v", mode, d, startBound)
	}
	t.Cleanup(closeFn)
	return b, j
}

func presignStatus(t *testing.T, b http.Handler, token string) (int, time.Duration) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/presign", strings.NewReader(fixture.PresignBody))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	start := time.Now()
	b.ServeHTTP(rec, req)
	io.Copy(io.Discard, rec.Body)
	return rec.Code, time.Since(start)
}

// otherKidToken is signed by a key the JWK Set does not hold.
func otherKidToken(t *testing.T, k *fixture.Keys) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "x", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "not-in-the-set"
	s, err := tok.SignedString(k.EC)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJWKSDownOrSlowCachedKeysWork: after a good fetch, the IdP hangs or
// fails; tokens with a cached kid still pass, an unknown kid gets 401
// within the bound, never a hang.
func TestJWKSDownOrSlowCachedKeysWork(t *testing.T) {
	k := testKeysT(t)
	b, j := jwksBroker(t, k, "real", 5*time.Second)
	good := k.Token(fixture.JWKS, "jwks-user", time.Hour)
	if st, _ := presignStatus(t, b, good); st != 200 {
		t.Fatalf("JWKS up: %d", st)
	}
	for _, mode := range []string{"hang", "500"} {
		j.mode.Store(mode)
		if st, _ := presignStatus(t, b, good); st != 200 {
			t.Fatalf("JWKS %s: cached key refused: %d", mode, st)
		}
		st, d := presignStatus(t, b, otherKidToken(t, k))
		if st != 401 || d > jwksBound {
			t.Fatalf("JWKS %s, unknown kid: %d after %v, want 401 within %v", mode, st, d, jwksBound)
		}
		t.Logf("JWKS %s: cached kid 200, unknown kid 401 in %v", mode, d.Round(time.Millisecond))
	}
}

// TestJWKSDownAtColdStart: the first fetch fails (error or hang); start-up
// is bounded and does not fail; tokens get 401 meanwhile; once the IdP is
// back the next token with a kid fetches the set and passes.
func TestJWKSDownAtColdStart(t *testing.T) {
	k := testKeysT(t)
	for _, mode := range []string{"500", "hang"} {
		t.Run(mode, func(t *testing.T) {
			b, j := jwksBroker(t, k, mode, 2*time.Second)
			j.mode.Store("real")
			st, d := presignStatus(t, b, k.Token(fixture.JWKS, "jwks-user", time.Hour))
			if st != 200 || d > jwksBound {
				t.Fatalf("JWKS back after a failed cold-start fetch: %d after %v", st, d)
			}
		})
	}
}

func testKeysT(t *testing.T) *fixture.Keys {
	keysOnce.Do(func() { keys = fixture.Must(fixture.NewKeys()) })
	return keys
}
