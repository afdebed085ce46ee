package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

var hsSecret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

// testKeys are generated once per test binary.
type testKeys struct {
	rsa, rsa2, rsaSmall *rsa.PrivateKey
	ec256, ec384        *ecdsa.PrivateKey
	ed                  ed25519.PrivateKey
}

var keys = sync.OnceValue(func() *testKeys {
	k := &testKeys{}
	var err error
	must := func(e error) {
		if e != nil {
			panic(e)
		}
	}
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsaSmall, err = rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	k.ec256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

func pkixPEM(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func pkixDER(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func certPEM(t testing.TB, priv *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "issuer"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// jwksJSON builds a JWK Set of public keys, kid -> key.
func jwksJSON(t testing.TB, kids map[string]any) []byte {
	t.Helper()
	var set jwkset.JWKSMarshal
	for kid, pub := range kids {
		j, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid}})
		if err != nil {
			t.Fatal(err)
		}
		set.Keys = append(set.Keys, j.Marshal())
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwksServer serves a JWK Set that can be swapped, counting GETs.
type jwksServer struct {
	*httptest.Server
	body atomic.Value // []byte
	hits atomic.Int64
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.body.Store(body)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.body.Load().([]byte))
	}))
	t.Cleanup(s.Close)
	return s
}

func newVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = clock
	}
	v, err := NewVerifier(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// claims returns valid claims at testNow, with overrides (nil deletes).
func claims(over map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{
		"sub": "user-1",
		"iat": testNow.Unix(),
		"exp": testNow.Add(time.Hour).Unix(),
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// sign signs with golang-jwt; header overrides (nil deletes).
func sign(t testing.TB, m jwt.SigningMethod, key any, c jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// handHS256 builds an HS256-MACed token from hand-written JSON.
func handHS256(key []byte, header, payload string) string {
	in := b64([]byte(header)) + "." + b64([]byte(payload))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(in))
	return in + "." + b64(mac.Sum(nil))
}

// hand builds a token from hand-written JSON and raw signature bytes.
func hand(header, payload string, sig []byte) string {
	return b64([]byte(header)) + "." + b64([]byte(payload)) + "." + b64(sig)
}

func payloadJSON(over map[string]any) string {
	b, _ := json.Marshal(claims(over))
	return string(b)
}
