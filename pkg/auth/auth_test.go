package auth

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestNewVerifierConfig(t *testing.T) {
	k := keys()
	rsaPEM := pkixPEM(t, &k.rsa.PublicKey)
	privDER, _ := x509.MarshalPKCS8PrivateKey(k.ec256)
	cases := []struct {
		name string
		cfg  Config
		want []string // substrings of the error
	}{
		{"no source", Config{}, []string{"JWT_HS256_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS_URL", "JWT_JWKS"}},
		{"two sources", Config{HS256Secret: hsSecret, PublicKeyPEM: rsaPEM}, []string{"2 JWT key sources", "JWT_HS256_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS_URL", "JWT_JWKS"}},
		{"four sources", Config{HS256Secret: hsSecret, PublicKeyPEM: rsaPEM, JWKSURL: "https://x/", JWKSJSON: []byte(`{"keys":[]}`)}, []string{"4 JWT key sources"}},
		{"secret 31 bytes", Config{HS256Secret: hsSecret[:31]}, []string{"JWT_HS256_SECRET", "31 bytes", "32"}},
		{"secret 1 byte", Config{HS256Secret: []byte("x")}, []string{"JWT_HS256_SECRET"}},
		{"not PEM", Config{PublicKeyPEM: []byte("hello")}, []string{"JWT_PUBLIC_KEY", "no PEM block"}},
		{"private key PEM", Config{PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})}, []string{"JWT_PUBLIC_KEY", "private key"}},
		{"garbage in PEM", Config{PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("junk")})}, []string{"JWT_PUBLIC_KEY", "cannot parse"}},
		{"RSA 1024", Config{PublicKeyPEM: pkixPEM(t, &k.rsaSmall.PublicKey)}, []string{"JWT_PUBLIC_KEY", "1024 bits"}},
		{"negative leeway", Config{HS256Secret: hsSecret, Leeway: -time.Second}, []string{"leeway"}},
		{"huge leeway", Config{HS256Secret: hsSecret, Leeway: time.Hour}, []string{"leeway"}},
		{"JWKS not JSON", Config{JWKSJSON: []byte("{")}, []string{"JWT_JWKS", "JSON"}},
		{"JWKS empty", Config{JWKSJSON: []byte(`{"keys":[]}`)}, []string{"JWT_JWKS", "no usable public key"}},
		{"JWKS only HMAC key", Config{JWKSJSON: []byte(`{"keys":[{"kty":"oct","kid":"h","k":"` + b64(hsSecret) + `"}]}`)}, []string{"JWT_JWKS", "no usable public key"}},
		{"JWKS only small RSA", Config{JWKSJSON: jwksJSON(t, map[string]any{"s": &k.rsaSmall.PublicKey})}, []string{"JWT_JWKS", "no usable"}},
		{"JWKS URL plain http", Config{JWKSURL: "http://idp.example.com/jwks"}, []string{"JWT_JWKS_URL", "https"}},
		{"JWKS URL ftp", Config{JWKSURL: "ftp://idp.example.com/jwks"}, []string{"JWT_JWKS_URL", "https"}},
		{"JWKS URL not a URL", Config{JWKSURL: "::"}, []string{"JWT_JWKS_URL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(context.Background(), tc.cfg)
			if err == nil {
				v.Close()
				t.Fatal("NewVerifier succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestValidTokens(t *testing.T) {
	k := keys()
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	cases := []struct {
		name   string
		cfg    Config
		method jwt.SigningMethod
		key    any
	}{
		{"HS256", Config{HS256Secret: hsSecret}, jwt.SigningMethodHS256, hsSecret},
		{"RS256 PKIX", Config{PublicKeyPEM: pkixPEM(t, &k.rsa.PublicKey)}, jwt.SigningMethodRS256, k.rsa},
		{"RS256 PKCS1", Config{PublicKeyPEM: pkcs1}, jwt.SigningMethodRS256, k.rsa},
		{"RS512", Config{PublicKeyPEM: pkixPEM(t, &k.rsa.PublicKey)}, jwt.SigningMethodRS512, k.rsa},
		{"PS256", Config{PublicKeyPEM: pkixPEM(t, &k.rsa.PublicKey)}, jwt.SigningMethodPS256, k.rsa},
		{"ES256", Config{PublicKeyPEM: pkixPEM(t, &k.ec256.PublicKey)}, jwt.SigningMethodES256, k.ec256},
		{"ES256 certificate", Config{PublicKeyPEM: certPEM(t, k.ec256)}, jwt.SigningMethodES256, k.ec256},
		{"ES384", Config{PublicKeyPEM: pkixPEM(t, &k.ec384.PublicKey)}, jwt.SigningMethodES384, k.ec384},
		{"EdDSA", Config{PublicKeyPEM: pkixPEM(t, k.ed.Public())}, jwt.SigningMethodEdDSA, k.ed},
		{"RS256 inline JWKS", Config{JWKSJSON: jwksJSON(t, map[string]any{"r1": &k.rsa.PublicKey, "e1": &k.ec256.PublicKey})}, jwt.SigningMethodRS256, k.rsa},
		{"ES256 inline JWKS", Config{JWKSJSON: jwksJSON(t, map[string]any{"r1": &k.rsa.PublicKey, "e1": &k.ec256.PublicKey})}, jwt.SigningMethodES256, k.ec256},
		{"EdDSA inline JWKS", Config{JWKSJSON: jwksJSON(t, map[string]any{"d1": k.ed.Public()})}, jwt.SigningMethodEdDSA, k.ed},
	}
	kids := map[string]string{"RS256 inline JWKS": "r1", "ES256 inline JWKS": "e1", "EdDSA inline JWKS": "d1"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, tc.cfg)
			hdr := map[string]any{}
			if kid, ok := kids[tc.name]; ok {
				hdr["kid"] = kid
			}
			tok := sign(t, tc.method, tc.key, claims(map[string]any{"email": "a@example.com", "n": 3}), hdr)
			p, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != "user-1" {
				t.Fatalf("Subject = %q", p.Subject)
			}
			if s, ok := p.Claim("email"); !ok || s != "a@example.com" {
				t.Fatalf("Claim(email) = %q, %v", s, ok)
			}
			if _, ok := p.Claim("n"); ok {
				t.Fatal("a number claim reported as a string")
			}
			// Same through the header.
			h := http.Header{}
			h.Set("Authorization", "Bearer "+tok)
			if _, err := v.Authenticate(context.Background(), h); err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
		})
	}
}

func TestJWKSURL(t *testing.T) {
	k := keys()
	srv := newJWKSServer(t, jwksJSON(t, map[string]any{"r1": &k.rsa.PublicKey, "e1": &k.ec256.PublicKey}))
	v := newVerifier(t, Config{JWKSURL: srv.URL + "/jwks.json"})
	for _, tc := range []struct {
		name string
		tok  string
	}{
		{"RS256", sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "r1"})},
		{"ES256", sign(t, jwt.SigningMethodES256, k.ec256, claims(nil), map[string]any{"kid": "e1"})},
		{"ES256 without kid", sign(t, jwt.SigningMethodES256, k.ec256, claims(nil), nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := v.Verify(context.Background(), tc.tok); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (cached)", n)
	}
}

func TestJWKSKeyRotation(t *testing.T) {
	k := keys()
	srv := newJWKSServer(t, jwksJSON(t, map[string]any{"old": &k.rsa.PublicKey}))
	v := newVerifier(t, Config{JWKSURL: srv.URL})
	ctx := context.Background()
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("first fetch: %d hits", n)
	}
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "old"})); err != nil {
		t.Fatal(err)
	}

	// The IdP rotates: "new" replaces "old".
	srv.body.Store(jwksJSON(t, map[string]any{"new": &k.rsa2.PublicKey}))
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"kid": "new"})); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("after an unknown kid: %d hits, want 2", n)
	}
	// The old key is gone after the refresh.
	if _, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "old"})); err == nil {
		t.Fatal("revoked key still accepted")
	}
	// A burst of unknown kids within 5 minutes refetches nothing more and
	// fails fast.
	start := time.Now()
	for _, kid := range []string{"x1", "x2", "x3", "x4", "x5"} {
		_, err := v.Verify(ctx, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"kid": kid}))
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "no matching key") {
			t.Fatalf("kid %s: %v", kid, err)
		}
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("after a burst of unknown kids: %d hits, want 2", n)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("rate-limited lookups took %v", d)
	}
}

func TestJWKSServerDown(t *testing.T) {
	srv := newJWKSServer(t, []byte("{}"))
	url := srv.URL
	srv.Close()
	v := newVerifier(t, Config{JWKSURL: url})
	k := keys()
	_, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "r1"}))
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Verify with no keys: %v", err)
	}
}

func TestJWKSBodyCapped(t *testing.T) {
	k := keys()
	good := jwksJSON(t, map[string]any{"r1": &k.rsa.PublicKey})
	// Valid JSON, just too large: the key set is padded with whitespace.
	big := append(append([]byte{}, good[:len(good)-1]...), append([]byte(strings.Repeat(" ", jwksMaxBodyBytes)), '}')...)
	srv := newJWKSServer(t, big)
	v := newVerifier(t, Config{JWKSURL: srv.URL})
	if _, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "r1"})); err == nil {
		t.Fatal("a JWKS over the size cap was used")
	}
	srv.body.Store(good)
	srv2 := newJWKSServer(t, good)
	v2 := newVerifier(t, Config{JWKSURL: srv2.URL})
	if _, err := v2.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "r1"})); err != nil {
		t.Fatalf("JWKS under the cap: %v", err)
	}
}

func TestNewVerifierCancelled(t *testing.T) {
	srv := newJWKSServer(t, []byte(`{"keys":[]}`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := NewVerifier(ctx, Config{JWKSURL: srv.URL})
	if err == nil {
		v.Close()
		t.Fatal("NewVerifier with a cancelled ctx succeeded")
	}
}

func TestClose(t *testing.T) {
	v := newVerifier(t, Config{HS256Secret: hsSecret})
	v.Close()
	v.Close()
	srv := newJWKSServer(t, jwksJSON(t, map[string]any{"r1": &keys().rsa.PublicKey}))
	w := newVerifier(t, Config{JWKSURL: srv.URL})
	w.Close()
	w.Close()
	// Cached keys still verify after Close.
	if _, err := w.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, keys().rsa, claims(nil), map[string]any{"kid": "r1"})); err != nil {
		t.Fatal(err)
	}
}

func TestPrincipal(t *testing.T) {
	v := newVerifier(t, Config{HS256Secret: hsSecret})
	tok := sign(t, jwt.SigningMethodHS256, hsSecret, claims(map[string]any{
		"email":       "a@example.com",
		"admin":       true,
		"n":           42,
		"obj":         map[string]any{"a": "b"},
		"nul":         nil,
		"scope":       "read  write upload",
		"permissions": []string{"upload:create", "upload:read"},
		"mixed":       []any{"a", 1},
		"tenant":      "t\"1",
	}), nil)
	p, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	strs := map[string]string{"sub": "user-1", "email": "a@example.com", "tenant": "t\"1"}
	for name, want := range strs {
		if got, ok := p.Claim(name); !ok || got != want {
			t.Errorf("Claim(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"admin", "n", "obj", "nul", "permissions", "missing", "exp"} {
		if got, ok := p.Claim(name); ok {
			t.Errorf("Claim(%q) = %q, true; want false", name, got)
		}
	}
	if got := strings.Join(p.Scopes("scope"), ","); got != "read,write,upload" {
		t.Errorf("Scopes(scope) = %q", got)
	}
	if got := strings.Join(p.Scopes("permissions"), ","); got != "upload:create,upload:read" {
		t.Errorf("Scopes(permissions) = %q", got)
	}
	if got := p.Scopes("mixed"); got != nil {
		t.Errorf("Scopes(mixed) = %q, want nil", got)
	}
	if got := p.Scopes("n"); got != nil {
		t.Errorf("Scopes(n) = %q, want nil", got)
	}

	// "scp" is the fallback for "scope".
	tok = sign(t, jwt.SigningMethodHS256, hsSecret, claims(map[string]any{"scp": []string{"a", "b"}}), nil)
	p, err = v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Scopes("scope"), ","); got != "a,b" {
		t.Errorf("Scopes(scope) via scp = %q", got)
	}
	var zero Principal
	if _, ok := zero.Claim("sub"); ok || zero.Scopes("scope") != nil {
		t.Error("zero Principal has claims")
	}
}

// Claim names match exactly: "SUB" is not "sub".
func TestClaimNamesExact(t *testing.T) {
	v := newVerifier(t, Config{HS256Secret: hsSecret})
	tok := handHS256(hsSecret, `{"alg":"HS256","typ":"JWT"}`, `{"SUB":"admin","exp":`+itoa(testNow.Add(time.Hour).Unix())+`}`)
	if _, err := v.Verify(context.Background(), tok); err == nil || !strings.Contains(err.Error(), "subject missing") {
		t.Fatalf("SUB taken for sub: %v", err)
	}
	tok = handHS256(hsSecret, `{"alg":"HS256","typ":"JWT"}`, `{"sub":"u","EXP":`+itoa(testNow.Add(time.Hour).Unix())+`}`)
	if _, err := v.Verify(context.Background(), tok); err == nil {
		t.Fatal("EXP taken for exp")
	}
}

func TestMintHS256(t *testing.T) {
	tok, err := MintHS256(hsSecret, "dev-user", time.Hour, map[string]any{"email": "dev@example.com", "sub": "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(context.Background(), Config{HS256Secret: hsSecret}) // real clock
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	p, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	if p.Subject != "dev-user" {
		t.Fatalf("Subject = %q", p.Subject)
	}
	if e, _ := p.Claim("email"); e != "dev@example.com" {
		t.Fatalf("email = %q", e)
	}
	for _, bad := range []struct {
		secret []byte
		sub    string
		ttl    time.Duration
	}{{hsSecret[:31], "u", time.Hour}, {hsSecret, "", time.Hour}, {hsSecret, "u", 0}} {
		if _, err := MintHS256(bad.secret, bad.sub, bad.ttl, nil); err == nil {
			t.Errorf("MintHS256(%d-byte secret, %q, %v) succeeded", len(bad.secret), bad.sub, bad.ttl)
		}
	}
}

func TestWellFormedMatchesRegexp(t *testing.T) {
	for _, s := range []string{"a.b.c", "a.b.", ".b.c", "a..c", "a.b.c.d", "abc", "a.b", "A-_9.x.y", "a.b.c=", "a.b c", "a.b.c\n", "", "..", "é.b.c"} {
		if got, want := wellFormed(s), tokenShape.MatchString(s); got != want {
			t.Errorf("wellFormed(%q) = %v, regexp says %v", s, got, want)
		}
	}
}

// Many goroutines verify through one Verifier while unknown kids force a
// refresh: run with -race.
func TestConcurrentVerify(t *testing.T) {
	k := keys()
	srv := newJWKSServer(t, jwksJSON(t, map[string]any{"r1": &k.rsa.PublicKey}))
	v := newVerifier(t, Config{JWKSURL: srv.URL})
	good := sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "r1"})
	bad := sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "nope"})
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			for range 20 {
				if _, err := v.Verify(context.Background(), good); err != nil {
					errs <- err
					return
				}
				if _, err := v.Verify(context.Background(), bad); err == nil {
					errs <- errors.New("unknown kid accepted")
					return
				}
			}
			errs <- nil
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.hits.Load(); n > 2 {
		t.Fatalf("JWKS hits = %d, want at most 2", n)
	}
}
