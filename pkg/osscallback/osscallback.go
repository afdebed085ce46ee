package osscallback

import (
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Header names of a callback request.
const (
	HeaderPubKeyURL     = "x-oss-pub-key-url"
	HeaderAuthorization = "Authorization"
)

// KeyHost is the only host OSS documents for its callback public keys
// (e.g. http://gosspublic.alicdn.com/callback_pub_key_v1.pem).
const KeyHost = "gosspublic.alicdn.com"

// keyPath is the shape of OSS's key files. Other files on the same CDN host
// (ossutil downloads, SDK bundles) are never fetched.
var keyPath = regexp.MustCompile(`^/callback_pub_key_v[0-9]{1,3}\.pem$`)

// Errors of Verify. Every refusal wraps [ErrForged].
var (
	ErrForged       = errors.New("callback not signed by OSS")
	ErrUntrustedKey = fmt.Errorf("%w: public key URL not trusted", ErrForged)
	ErrBadSignature = fmt.Errorf("%w: signature does not verify", ErrForged)
	ErrKeyFetch     = errors.New("callback public key could not be fetched")
)

// StringToSign is what OSS signs for a callback to rawPath (as sent, still
// percent-encoded) with rawQuery (hasQuery when the URI had a '?').
func StringToSign(rawPath, rawQuery string, hasQuery bool, body []byte) ([]byte, error) {
	p, err := url.PathUnescape(rawPath)
	if err != nil {
		return nil, fmt.Errorf("callback path: %w", err)
	}
	out := make([]byte, 0, len(p)+len(rawQuery)+len(body)+2)
	out = append(out, p...)
	if hasQuery {
		out = append(out, '?')
		out = append(out, rawQuery...)
	}
	out = append(out, '\n')
	return append(out, body...), nil
}

// Sign returns the base64 signature OSS puts in the Authorization header of
// a callback whose string to sign is msg.
func Sign(key *rsa.PrivateKey, msg []byte) (string, error) {
	sum := md5.Sum(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.MD5, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifySignature checks sigB64 (the Authorization header) over msg.
func VerifySignature(pub *rsa.PublicKey, msg []byte, sigB64 string) error {
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sigB64))
	if err != nil || len(sig) == 0 {
		return ErrBadSignature
	}
	sum := md5.Sum(msg)
	if rsa.VerifyPKCS1v15(pub, crypto.MD5, sum[:], sig) != nil {
		return ErrBadSignature
	}
	return nil
}

// Verifier checks callbacks. Build one per instance; it is safe for
// concurrent use and caches keys.
type Verifier struct {
	// Client fetches keys from [KeyHost] over HTTPS (and Trusted URLs as
	// written). Nil: a client with a 3 s timeout that follows no redirect.
	// Tests inject a transport that routes KeyHost to a local TLS server.
	Client *http.Client
	// Trusted are exact key URLs trusted besides OSS's own: local mode's
	// OSS server. Empty in the cloud.
	Trusted []string

	mu       sync.Mutex
	keys     map[string]*rsa.PublicKey
	failed   map[string]time.Time
	fetching map[string]*fetchCall
	now      func() time.Time
}

// retryFetchAfter bounds how often a key URL that failed is fetched again,
// so forged requests naming a real key URL cannot hammer the key host.
const retryFetchAfter = time.Minute

// maxKeyBytes bounds a key file (a PEM RSA key is under 1 KiB).
const maxKeyBytes = 16 << 10

// KeyURL decodes the x-oss-pub-key-url header and returns the URL to fetch
// the key from, or [ErrUntrustedKey]. It never touches the network.
func (v *Verifier) KeyURL(header string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if err != nil || len(raw) == 0 {
		return "", ErrUntrustedKey
	}
	s := string(raw)
	for _, t := range v.Trusted {
		if s == t {
			return s, nil
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Opaque != "" ||
		u.Host != KeyHost || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawPath != "" ||
		!keyPath.MatchString(u.Path) {
		return "", ErrUntrustedKey
	}
	// OSS writes the URL with http://; the key is fetched over HTTPS.
	return "https://" + KeyHost + u.Path, nil
}

// Verify checks that r (with its body already read into body) is a callback
// signed by OSS. It returns [ErrForged]-wrapped errors for anything not signed
// by a trusted key, and [ErrKeyFetch] when a trusted key could not be loaded.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) error {
	sig := r.Header.Get(HeaderAuthorization)
	if sig == "" {
		return fmt.Errorf("%w: no Authorization header", ErrForged)
	}
	keyURL, err := v.KeyURL(r.Header.Get(HeaderPubKeyURL))
	if err != nil {
		return err
	}
	msg, err := StringToSign(r.URL.EscapedPath(), r.URL.RawQuery, r.URL.RawQuery != "" || r.URL.ForceQuery, body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrForged, err)
	}
	pub, err := v.key(ctx, keyURL)
	if err != nil {
		return err
	}
	return VerifySignature(pub, msg, sig)
}

// key returns keyURL's key: from the cache at once, else from the one
// fetch of that URL under way (started now if none is). The mutex guards
// only the maps, never a fetch: a verification with a cached key never
// waits on another URL's fetch.
func (v *Verifier) key(ctx context.Context, keyURL string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	if v.now == nil {
		v.now = time.Now
	}
	if k := v.keys[keyURL]; k != nil {
		v.mu.Unlock()
		return k, nil
	}
	if t, ok := v.failed[keyURL]; ok && v.now().Sub(t) < retryFetchAfter {
		v.mu.Unlock()
		return nil, fmt.Errorf("%w: failed recently", ErrKeyFetch)
	}
	f := v.fetching[keyURL]
	if f == nil {
		f = &fetchCall{done: make(chan struct{})}
		if v.fetching == nil {
			v.fetching = map[string]*fetchCall{}
		}
		v.fetching[keyURL] = f
		// The fetch outlives a caller that gives up: it fills the cache for
		// the next one, bounded by its own timeout.
		go v.run(context.WithoutCancel(ctx), keyURL, f)
	}
	v.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKeyFetch, f.err)
		}
		return f.key, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrKeyFetch, ctx.Err())
	}
}

// fetchCall is one fetch of a key URL, shared by every caller that needs it.
type fetchCall struct {
	done chan struct{}
	key  *rsa.PublicKey
	err  error
}

func (v *Verifier) run(ctx context.Context, keyURL string, f *fetchCall) {
	f.key, f.err = v.fetch(ctx, keyURL)
	v.mu.Lock()
	delete(v.fetching, keyURL)
	if f.err != nil {
		if v.failed == nil {
			v.failed = map[string]time.Time{}
		}
		v.failed[keyURL] = v.now()
	} else {
		if v.keys == nil {
			v.keys = map[string]*rsa.PublicKey{}
		}
		v.keys[keyURL] = f.key
		delete(v.failed, keyURL)
	}
	v.mu.Unlock()
	close(f.done)
}

var defaultClient = &http.Client{
	Timeout:       3 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (v *Verifier) fetch(ctx context.Context, keyURL string) (*rsa.PublicKey, error) {
	c := v.Client
	if c == nil {
		c = defaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, keyURL, nil)
	if err != nil {
		return nil, err
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("key URL answered %d", res.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxKeyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyBytes {
		return nil, errors.New("key file too large")
	}
	return ParsePublicKey(b)
}

// ParsePublicKey reads an RSA public key from PEM (PKIX "PUBLIC KEY", as
// OSS serves it, or PKCS#1 "RSA PUBLIC KEY").
func ParsePublicKey(b []byte) (*rsa.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("key file is not PEM")
	}
	var pub any
	var err error
	switch blk.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(blk.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", blk.Type)
	}
	if err != nil {
		return nil, err
	}
	k, ok := pub.(*rsa.PublicKey)
	if !ok || k.N.BitLen() < 1024 {
		return nil, errors.New("not an RSA key of at least 1024 bits")
	}
	return k, nil
}

// PublicKeyPEM encodes pub as OSS serves its key: a PKIX PEM block.
func PublicKeyPEM(pub *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("osscallback: marshal RSA public key: " + err.Error())
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
