package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// MinRSABits is the smallest RSA modulus accepted, from PEM or JWKS.
const MinRSABits = 2048

// JWKS fetching limits.
const (
	jwksHTTPTimeout      = 3 * time.Second
	jwksRateLimitWaitMax = 2 * time.Second
	jwksUnknownKIDEvery  = 5 * time.Minute
	jwksMaxBodyBytes     = 1 << 20
)

// jwksMethods: a JWKS never verifies HMAC tokens.
var jwksMethods = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

var rsaMethods = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}

// ecCurveAlg maps an EC curve name to its one JWS algorithm.
var ecCurveAlg = map[string]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}

// parsePublicKeyPEM reads the first PEM block: a PKIX or PKCS#1 public key,
// or a certificate (its key is used; its validity dates are not checked, as
// for a pinned key).
func parsePublicKeyPEM(data []byte) (any, []string, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, nil, errors.New("no PEM block found")
	}
	var key any
	var err error
	switch {
	case block.Type == "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case block.Type == "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case block.Type == "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			key = cert.PublicKey
		}
	case strings.Contains(block.Type, "PRIVATE KEY"):
		return nil, nil, errors.New("holds a private key; give the public key")
	default:
		return nil, nil, fmt.Errorf("unsupported PEM block %q (want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)", block.Type)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot parse %s: %v", block.Type, err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSABits {
			return nil, nil, fmt.Errorf("RSA key has %d bits; at least %d are required", k.N.BitLen(), MinRSABits)
		}
		return k, rsaMethods, nil
	case *ecdsa.PublicKey:
		alg, ok := ecCurveAlg[k.Curve.Params().Name]
		if !ok {
			return nil, nil, fmt.Errorf("unsupported EC curve %s", k.Curve.Params().Name)
		}
		return k, []string{alg}, nil
	case ed25519.PublicKey:
		return k, []string{"EdDSA"}, nil
	default:
		return nil, nil, fmt.Errorf("unsupported key type %T", key)
	}
}

// keyFits reports whether key may verify a token signed with m: the right Go
// type, and for RSA a large enough modulus, for EC the curve of the alg.
func keyFits(m jwt.SigningMethod, key any) bool {
	switch m := m.(type) {
	case *jwt.SigningMethodHMAC:
		k, ok := key.([]byte)
		return ok && m.Alg() == "HS256" && len(k) >= MinHS256SecretBytes
	case *jwt.SigningMethodRSA, *jwt.SigningMethodRSAPSS:
		k, ok := key.(*rsa.PublicKey)
		return ok && k.N.BitLen() >= MinRSABits
	case *jwt.SigningMethodECDSA:
		k, ok := key.(*ecdsa.PublicKey)
		return ok && ecCurveAlg[k.Curve.Params().Name] == m.Alg()
	case *jwt.SigningMethodEd25519:
		k, ok := key.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize
	}
	return false
}

// staticKeyfunc serves one configured key.
func staticKeyfunc(key any) func(context.Context) jwt.Keyfunc {
	kf := func(t *jwt.Token) (any, error) {
		if err := checkHeader(t); err != nil {
			return nil, err
		}
		if !keyFits(t.Method, key) {
			return nil, errMarkKey
		}
		return key, nil
	}
	return func(context.Context) jwt.Keyfunc { return kf }
}

// jwksKeyfunc serves keys of a JWKS. One rule holds whether or not the token
// names a kid (jwkUsable): keyfunc's own kid lookup checks only "alg", and
// its kid-less path returns every key unchecked, so the broker reads the JWKs
// from keyfunc's storage and judges each itself. The storage's KeyRead
// refetches the set (rate-limited) for an unknown kid; ctx bounds that.
func jwksKeyfunc(k keyfunc.Keyfunc) func(context.Context) jwt.Keyfunc {
	store := k.Storage()
	return func(ctx context.Context) jwt.Keyfunc {
		return func(t *jwt.Token) (any, error) {
			if err := checkHeader(t); err != nil {
				return nil, err
			}
			kidRaw, named := t.Header["kid"]
			if !named {
				// No kid: try every key the rule allows.
				all, err := store.KeyReadAll(ctx)
				if err != nil {
					return nil, errMarkKey
				}
				var fit jwt.VerificationKeySet
				for _, j := range all {
					if key, ok := jwkUsable(t.Method, j); ok {
						fit.Keys = append(fit.Keys, key)
					}
				}
				if len(fit.Keys) == 0 {
					return nil, errMarkKey
				}
				return fit, nil
			}
			kid, ok := kidRaw.(string)
			if !ok {
				return nil, errMarkKey
			}
			j, err := store.KeyRead(ctx, kid)
			if err != nil {
				return nil, errMarkKey
			}
			key, ok := jwkUsable(t.Method, j)
			if !ok {
				return nil, errMarkKey
			}
			return key, nil
		}
	}
}

// jwkUsable returns the public key of j if j may verify a token signed with
// m: "use" absent or "sig", "key_ops" absent or holding "verify", "alg"
// absent or m's alg (RFC 7517 §4.2-4.4), and a key that fits m (keyFits).
func jwkUsable(m jwt.SigningMethod, j jwkset.JWK) (any, bool) {
	meta := j.Marshal()
	if meta.USE != "" && meta.USE != jwkset.UseSig {
		return nil, false
	}
	if meta.KEYOPS != nil && !slices.Contains(meta.KEYOPS, jwkset.KeyOpsVerify) {
		return nil, false
	}
	if meta.ALG != "" && meta.ALG.String() != m.Alg() {
		return nil, false
	}
	key := j.Key()
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = pk.Public() // a private JWK in the set: verify with its public half
	}
	if !keyFits(m, key) {
		return nil, false
	}
	return key, true
}

// inlineJWKS builds a keyfunc from JWKS JSON; it must hold at least one
// usable public key.
func inlineJWKS(raw []byte) (keyfunc.Keyfunc, error) {
	if !json.Valid(raw) {
		return nil, errors.New("not valid JSON")
	}
	k, err := keyfunc.NewJWKSetJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("not a usable JWK Set: %v", err)
	}
	all, err := k.Storage().KeyReadAll(context.Background())
	if err != nil {
		return nil, fmt.Errorf("not a usable JWK Set: %v", err)
	}
	usable := 0
	for _, j := range all {
		for _, alg := range jwksMethods {
			if _, ok := jwkUsable(jwt.GetSigningMethod(alg), j); ok {
				usable++
				break
			}
		}
	}
	if usable == 0 {
		return nil, fmt.Errorf("no usable public key (RSA >= %d bits, EC P-256/384/521 or Ed25519) among %d keys (a key marked for encryption or bound to another algorithm does not count)", MinRSABits, len(all))
	}
	return k, nil
}

// remoteJWKS starts a keyfunc on url. The first fetch is bounded by ctx and
// the HTTP timeout; the returned cancel stops the refresh goroutine.
func remoteJWKS(ctx context.Context, url string, client *http.Client) (keyfunc.Keyfunc, context.CancelFunc, error) {
	if client == nil {
		client = &http.Client{Timeout: jwksHTTPTimeout}
	}
	c := *client
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = limitBody{base: base, max: jwksMaxBodyBytes}

	// The refresh goroutine outlives ctx (which may carry a startup
	// deadline); ctx only bounds construction.
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	noErr := true
	k, err := keyfunc.NewDefaultOverrideCtx(bg, []string{url}, keyfunc.Override{
		Client:                    &c,
		HTTPTimeout:               jwksHTTPTimeout,
		NoErrorReturnFirstHTTPReq: &noErr,
		RateLimitWaitMax:          jwksRateLimitWaitMax,
		RefreshUnknownKID:         rate.NewLimiter(rate.Every(jwksUnknownKIDEvery), 1),
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				// The error comes from the IdP's response, never from a token.
				slog.WarnContext(ctx, "JWKS fetch failed; tokens will fail with \"no matching key\"", "error", err.Error())
			}
		},
	})
	if !stop() || err != nil {
		cancel()
		if err == nil {
			err = ctx.Err()
		}
		return nil, nil, fmt.Errorf("cannot start the JWKS client: %w", err)
	}
	return k, cancel, nil
}

// limitBody caps response bodies: a JWKS larger than max fails to decode.
type limitBody struct {
	base http.RoundTripper
	max  int64
}

func (l limitBody) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: l.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

var errBodyTooLarge = errors.New("JWKS response too large")

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells "exactly max" from "more".
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errBodyTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
