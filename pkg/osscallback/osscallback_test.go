package osscallback

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestStringToSign(t *testing.T) {
	body := []byte(`{"a":1}`)
	for _, tc := range []struct {
		path, query string
		hasQuery    bool
		want        string
	}{
		{"/v1/callbacks/oss", "", false, "/v1/callbacks/oss\n{\"a\":1}"},
		{"/v1/callbacks/oss", "x=1&y=%20", true, "/v1/callbacks/oss?x=1&y=%20\n{\"a\":1}"},
		{"/v1/callbacks/oss", "", true, "/v1/callbacks/oss?\n{\"a\":1}"},
		{"/a%20b/%E4%B8%AD", "", false, "/a b/中\n{\"a\":1}"},
	} {
		got, err := StringToSign(tc.path, tc.query, tc.hasQuery, body)
		if err != nil || string(got) != tc.want {
			t.Errorf("StringToSign(%q, %q) = %q, %v; want %q", tc.path, tc.query, got, err, tc.want)
		}
	}
	if _, err := StringToSign("/%zz", "", false, nil); err == nil {
		t.Error("a bad escape in the path was accepted")
	}
}

func newKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerifyRoundTrip(t *testing.T) {
	k := newKey(t)
	msg := []byte("/v1/callbacks/oss\n{\"bucket\":\"b\"}")
	sig, err := Sign(k, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(&k.PublicKey, msg, sig); err != nil {
		t.Fatalf("own signature refused: %v", err)
	}
	// Every single-byte change of the message is refused.
	for i := range msg {
		m := append([]byte(nil), msg...)
		m[i] ^= 0x01
		if err := VerifySignature(&k.PublicKey, m, sig); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("tampered byte %d accepted", i)
		}
	}
	other := newKey(t)
	if err := VerifySignature(&other.PublicKey, msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Fatal("another key's verification accepted the signature")
	}
	for _, bad := range []string{"", "!!!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if err := VerifySignature(&k.PublicKey, msg, bad); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("signature %q accepted", bad)
		}
	}
}

// TestVerifyIndependentSignatures checks VerifySignature against signatures
// made by implementations other than this package's: the openssl command
// and Node's crypto (MD5withRSA, PKCS#1 v1.5), as OSS makes them.
func TestVerifyIndependentSignatures(t *testing.T) {
	k := newKey(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := []byte("/v1/callbacks/oss\n{\"bucket\":\"examplebucket\",\"object\":\"exampledir/a b.png\",\"size\":12}")
	msgFile := filepath.Join(dir, "msg")
	os.WriteFile(msgFile, msg, 0o600)
	ran := 0
	if _, err := exec.LookPath("openssl"); err == nil {
		out, err := exec.Command("openssl", "dgst", "-md5", "-sign", keyFile, msgFile).Output()
		if err != nil {
			t.Fatalf("openssl: %v", err)
		}
		if err := VerifySignature(&k.PublicKey, msg, base64.StdEncoding.EncodeToString(out)); err != nil {
			t.Errorf("openssl's signature refused: %v", err)
		}
		ran++
	}
	if _, err := exec.LookPath("node"); err == nil {
		js := `const c=require('crypto'),fs=require('fs');const s=c.createSign('RSA-MD5');s.update(fs.readFileSync(process.argv[2]));process.stdout.write(s.sign(fs.readFileSync(process.argv[1]),'base64'))`
		out, err := exec.Command("node", "-e", js, keyFile, msgFile).Output()
		if err != nil {
			t.Fatalf("node: %v", err)
		}
		if err := VerifySignature(&k.PublicKey, msg, string(out)); err != nil {
			t.Errorf("node's signature refused: %v", err)
		}
		// And openssl/node would refuse a tampered message too.
		if err := VerifySignature(&k.PublicKey, append(msg, ' '), string(out)); err == nil {
			t.Error("node's signature verified over a longer message")
		}
		ran++
	}
	if ran == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("neither openssl nor node is installed")
		}
		t.Skip("neither openssl nor node is installed")
	}
	// Our signature verifies with openssl too (the other direction).
	if _, err := exec.LookPath("openssl"); err == nil {
		sig, _ := Sign(k, msg)
		raw, _ := base64.StdEncoding.DecodeString(sig)
		sigFile := filepath.Join(dir, "sig")
		os.WriteFile(sigFile, raw, 0o600)
		pubFile := filepath.Join(dir, "pub.pem")
		os.WriteFile(pubFile, PublicKeyPEM(&k.PublicKey), 0o600)
		if out, err := exec.Command("openssl", "dgst", "-md5", "-verify", pubFile, "-signature", sigFile, msgFile).CombinedOutput(); err != nil {
			t.Errorf("openssl refused our signature: %v %s", err, out)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestKeyURL sweeps the header values that must never lead to a fetch.
func TestKeyURL(t *testing.T) {
	v := &Verifier{Trusted: []string{"http://127.0.0.1:9100/callback_pub_key_v1.pem"}}
	good := map[string]string{
		"http://gosspublic.alicdn.com/callback_pub_key_v1.pem":  "https://gosspublic.alicdn.com/callback_pub_key_v1.pem",
		"https://gosspublic.alicdn.com/callback_pub_key_v1.pem": "https://gosspublic.alicdn.com/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com/callback_pub_key_v2.pem":  "https://gosspublic.alicdn.com/callback_pub_key_v2.pem",
		"http://127.0.0.1:9100/callback_pub_key_v1.pem":         "http://127.0.0.1:9100/callback_pub_key_v1.pem",
	}
	for in, want := range good {
		got, err := v.KeyURL(b64(in))
		if err != nil || got != want {
			t.Errorf("KeyURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"http://gosspublic.alicdn.com.evil.example/callback_pub_key_v1.pem",
		"http://evilgosspublic.alicdn.com/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com@evil.example/callback_pub_key_v1.pem",
		"http://evil.example@gosspublic.alicdn.com/callback_pub_key_v1.pem",
		"http://evil.example/gosspublic.alicdn.com/callback_pub_key_v1.pem",
		"http://evil.example/?u=http://gosspublic.alicdn.com/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com:8080/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com:443/callback_pub_key_v1.pem",
		"http://GOSSPUBLIC.ALICDN.COM/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com./callback_pub_key_v1.pem",
		"http://gosspublicx.alicdn.com/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com/ossutil/1.7.19/ossutil64",
		"http://gosspublic.alicdn.com/callback_pub_key_v1.pem?x=1",
		"http://gosspublic.alicdn.com/callback_pub_key_v1.pem#x",
		"http://gosspublic.alicdn.com/callback_pub_key_v1.pem?",
		"http://gosspublic.alicdn.com/%63allback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com/../callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com//callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com/callback_pub_key_v1.pem/",
		"ftp://gosspublic.alicdn.com/callback_pub_key_v1.pem",
		"file:///etc/passwd",
		"//gosspublic.alicdn.com/callback_pub_key_v1.pem",
		"gosspublic.alicdn.com/callback_pub_key_v1.pem",
		"http://127.0.0.1:9100/callback_pub_key_v1.pem ",
		"http://127.0.0.1:9101/callback_pub_key_v1.pem",
		"http://localhost:9100/callback_pub_key_v1.pem",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::1]:9100/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com\x00.evil.example/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com%2eevil.example/callback_pub_key_v1.pem",
		"",
	}
	for _, in := range bad {
		if got, err := v.KeyURL(b64(in)); !errors.Is(err, ErrUntrustedKey) {
			t.Errorf("KeyURL(%q) = %q, %v; want ErrUntrustedKey", in, got, err)
		}
	}
	// The header itself must be base64 of the URL, not the URL.
	if _, err := v.KeyURL("http://gosspublic.alicdn.com/callback_pub_key_v1.pem"); !errors.Is(err, ErrUntrustedKey) {
		t.Error("a plain (not base64) URL was accepted")
	}
	// Without Trusted, the local URL is just another host.
	if _, err := (&Verifier{}).KeyURL(b64("http://127.0.0.1:9100/callback_pub_key_v1.pem")); !errors.Is(err, ErrUntrustedKey) {
		t.Error("a local key URL was trusted without Trusted")
	}
}

// keyHost is a local TLS server posing as gosspublic.alicdn.com, with a
// client whose dialer routes every address to it and counts the dials.
type keyHost struct {
	client *http.Client
	dials  atomic.Int64
	hits   atomic.Int64
	tls    atomic.Int64 // requests that arrived over TLS
	key    *rsa.PrivateKey
}

func newKeyHost(t *testing.T) *keyHost {
	t.Helper()
	kh := &keyHost{key: newKey(t)}
	ca := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: KeyHost},
		DNSNames: []string{KeyHost}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ca.PublicKey, ca)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kh.hits.Add(1)
		if r.TLS != nil {
			kh.tls.Add(1)
		}
		if r.URL.Path != "/callback_pub_key_v1.pem" {
			http.NotFound(w, r)
			return
		}
		w.Write(PublicKeyPEM(&kh.key.PublicKey))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: ca}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	kh.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			kh.dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	return kh
}

func callback(t *testing.T, key *rsa.PrivateKey, keyURL, target string, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	msg, err := StringToSign(r.URL.EscapedPath(), r.URL.RawQuery, r.URL.RawQuery != "" || r.URL.ForceQuery, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(key, msg)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set(HeaderAuthorization, sig)
	r.Header.Set(HeaderPubKeyURL, b64(keyURL))
	return r
}

func TestVerifyFetchesOnlyOSSKeysOverHTTPS(t *testing.T) {
	kh := newKeyHost(t)
	v := &Verifier{Client: kh.client}
	ctx := context.Background()
	body := `{"bucket":"examplebucket","object":"exampledir/a.png"}`
	genuine := "http://gosspublic.alicdn.com/callback_pub_key_v1.pem"

	// Forged key URLs: refused before any connection is made.
	for _, u := range []string{
		"http://gosspublic.alicdn.com.evil.example/callback_pub_key_v1.pem",
		"http://evilgosspublic.alicdn.com/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com@evil.example/callback_pub_key_v1.pem",
		"http://127.0.0.1/callback_pub_key_v1.pem",
		"http://gosspublic.alicdn.com/ossutil/ossutil64",
	} {
		r := callback(t, kh.key, u, "/v1/callbacks/oss", body)
		if err := v.Verify(ctx, r, []byte(body)); !errors.Is(err, ErrUntrustedKey) {
			t.Errorf("key URL %q: %v, want ErrUntrustedKey", u, err)
		}
	}
	if n := kh.dials.Load(); n != 0 {
		t.Fatalf("%d connections made for untrusted key URLs", n)
	}

	// The genuine URL, written with http:// as OSS sends it, is fetched
	// over HTTPS, once.
	r := callback(t, kh.key, genuine, "/v1/callbacks/oss", body)
	if err := v.Verify(ctx, r, []byte(body)); err != nil {
		t.Fatalf("genuine callback refused: %v", err)
	}
	if kh.hits.Load() != 1 || kh.tls.Load() != 1 {
		t.Fatalf("key fetched %d times, %d over TLS; want 1, 1", kh.hits.Load(), kh.tls.Load())
	}
	r = callback(t, kh.key, genuine, "/v1/callbacks/oss", body)
	if err := v.Verify(ctx, r, []byte(body)); err != nil {
		t.Fatalf("second genuine callback refused: %v", err)
	}
	if kh.hits.Load() != 1 {
		t.Fatalf("the key was fetched again (%d): not cached", kh.hits.Load())
	}

	// Signed by another key, or tampered body, path or query: refused,
	// with no further fetch.
	other := newKey(t)
	cases := map[string]func() (*http.Request, []byte){
		"another key": func() (*http.Request, []byte) {
			return callback(t, other, genuine, "/v1/callbacks/oss", body), []byte(body)
		},
		"tampered body": func() (*http.Request, []byte) {
			r := callback(t, kh.key, genuine, "/v1/callbacks/oss", body)
			return r, []byte(strings.Replace(body, "a.png", "b.png", 1))
		},
		"tampered path": func() (*http.Request, []byte) {
			r := callback(t, kh.key, genuine, "/v1/callbacks/oss", body)
			r.URL.Path, r.URL.RawPath = "/v1/callbacks/oss2", ""
			return r, []byte(body)
		},
		"added query": func() (*http.Request, []byte) {
			r := callback(t, kh.key, genuine, "/v1/callbacks/oss", body)
			r.URL.RawQuery = "x=1"
			return r, []byte(body)
		},
		"no signature": func() (*http.Request, []byte) {
			r := callback(t, kh.key, genuine, "/v1/callbacks/oss", body)
			r.Header.Del(HeaderAuthorization)
			return r, []byte(body)
		},
	}
	for name, mk := range cases {
		r, b := mk()
		if err := v.Verify(ctx, r, b); !errors.Is(err, ErrForged) {
			t.Errorf("%s: %v, want ErrForged", name, err)
		}
	}
	if kh.hits.Load() != 1 {
		t.Fatalf("forged callbacks caused key fetches (%d)", kh.hits.Load())
	}
}

func TestVerifyKeyFetchFailureIsNotRetriedAtOnce(t *testing.T) {
	kh := newKeyHost(t)
	v := &Verifier{Client: kh.client}
	u := "http://gosspublic.alicdn.com/callback_pub_key_v9.pem" // 404 on the key host
	for i := 0; i < 3; i++ {
		r := callback(t, kh.key, u, "/v1/callbacks/oss", "{}")
		if err := v.Verify(context.Background(), r, []byte("{}")); !errors.Is(err, ErrKeyFetch) {
			t.Fatalf("attempt %d: %v, want ErrKeyFetch", i, err)
		}
	}
	if kh.hits.Load() != 1 {
		t.Fatalf("a failing key URL was fetched %d times in a row", kh.hits.Load())
	}
}

func TestParsePublicKey(t *testing.T) {
	k := newKey(t)
	if _, err := ParsePublicKey(PublicKeyPEM(&k.PublicKey)); err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
	if _, err := ParsePublicKey(pkcs1); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{nil, []byte("hello"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
}

// gate holds every request for one path until release is closed, and
// reports each arrival on entered.
type gate struct {
	next             http.RoundTripper
	path             string
	entered, release chan struct{}
	gaveUp           atomic.Int64 // held requests that ended without release (their context ended)
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == g.path {
		g.entered <- struct{}{}
		select {
		case <-g.release:
		case <-r.Context().Done():
			g.gaveUp.Add(1)
			return nil, r.Context().Err()
		}
	}
	return g.next.RoundTrip(r)
}

// TestCachedKeyNeverWaitsOnAFetch: while the fetch of another key URL is
// held open (unsigned requests naming other key files can start one), a
// callback whose key is cached verifies at once; the callers waiting for
// the held URL share its one fetch.
func TestCachedKeyNeverWaitsOnAFetch(t *testing.T) {
	kh := newKeyHost(t)
	g := &gate{next: kh.client.Transport, path: "/callback_pub_key_v2.pem", entered: make(chan struct{}, 16), release: make(chan struct{})}
	v := &Verifier{Client: &http.Client{Transport: g}}
	ctx := context.Background()
	body := `{"a":1}`
	v1, v2 := "http://gosspublic.alicdn.com/callback_pub_key_v1.pem", "http://gosspublic.alicdn.com/callback_pub_key_v2.pem"
	if err := v.Verify(ctx, callback(t, kh.key, v1, "/v1/callbacks/oss", body), []byte(body)); err != nil {
		t.Fatalf("first genuine callback: %v", err)
	}

	const waiting = 10
	errs := make(chan error, waiting)
	for i := 0; i < waiting; i++ {
		r := callback(t, kh.key, v2, "/v1/callbacks/oss", body)
		go func() { errs <- v.Verify(ctx, r, []byte(body)) }()
	}
	<-g.entered // the v2 fetch is under way and held

	done := make(chan error, 1)
	r := callback(t, kh.key, v1, "/v1/callbacks/oss", body)
	go func() { done <- v.Verify(ctx, r, []byte(body)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("cached-key callback: %v", err)
		}
		if g.gaveUp.Load() != 0 {
			t.Fatal("the cached-key callback completed only after the held fetch gave up: it waited on it")
		}
	case <-time.After(30 * time.Second): // a deadlock guard, not a timing assertion
		close(g.release)
		t.Fatal("a callback with a cached key waited on another URL's fetch")
	}

	close(g.release)
	for i := 0; i < waiting; i++ {
		if err := <-errs; !errors.Is(err, ErrKeyFetch) { // v2 is 404 on the key host
			t.Errorf("waiter %d: %v, want ErrKeyFetch", i, err)
		}
	}
	if n := len(g.entered); n != 0 {
		t.Errorf("%d more fetches of the held URL: its waiters did not share one", n)
	}
}
