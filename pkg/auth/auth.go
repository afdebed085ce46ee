package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenBytes caps the token length, checked before parsing.
const MaxTokenBytes = 8 << 10

// MinHS256SecretBytes is the shortest HS256 secret accepted (RFC 7518 §3.2).
const MinHS256SecretBytes = 32

// MaxLeeway bounds Config.Leeway.
const MaxLeeway = 5 * time.Minute

// Config selects exactly one key source.
type Config struct {
	HS256Secret  []byte // at least 32 bytes
	PublicKeyPEM []byte // RSA (PKIX or PKCS#1), ECDSA P-256/384/521 or Ed25519 public key, or a certificate
	JWKSURL      string // fetched through keyfunc: cached, refreshed, unknown kids refetched at most once per 5 min
	JWKSJSON     []byte // inline JWKS, no network
	Issuer       string // checked when non-empty
	Audience     string // checked when non-empty
	Leeway       time.Duration
	HTTPClient   *http.Client     // for JWKSURL; nil means a client with a 3 s timeout
	Now          func() time.Time // nil means time.Now
}

// Errors. Every error of Authenticate and Verify wraps [ErrUnauthorized].
var (
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNoCredentials: the request has no Authorization header.
	ErrNoCredentials = fmt.Errorf("%w: no credentials", ErrUnauthorized)
	// ErrMalformedHeader: the Authorization header is not one
	// "Bearer <token>" (an RFC 6750 invalid_request).
	ErrMalformedHeader = fmt.Errorf("%w: malformed authorization header", ErrUnauthorized)
)

// Failure classes. Fixed values: an error text can never carry token bytes.
var (
	errScheme        = fmt.Errorf("%w: scheme is not Bearer", ErrMalformedHeader)
	errEmptyToken    = fmt.Errorf("%w: empty bearer token", ErrMalformedHeader)
	errExtraFields   = fmt.Errorf("%w: extra fields after the token", ErrMalformedHeader)
	errTwoHeaders    = fmt.Errorf("%w: more than one Authorization header", ErrMalformedHeader)
	errTooLong       = fmt.Errorf("%w: token too long", ErrUnauthorized)
	errMalformed     = fmt.Errorf("%w: malformed token", ErrUnauthorized)
	errMethod        = fmt.Errorf("%w: signing method not allowed", ErrUnauthorized)
	errNoKey         = fmt.Errorf("%w: no matching key", ErrUnauthorized)
	errSignature     = fmt.Errorf("%w: signature invalid", ErrUnauthorized)
	errCrit          = fmt.Errorf("%w: crit header not supported", ErrUnauthorized)
	errTyp           = fmt.Errorf("%w: token type not allowed", ErrUnauthorized)
	errExpired       = fmt.Errorf("%w: token expired", ErrUnauthorized)
	errNotYetValid   = fmt.Errorf("%w: token not valid yet", ErrUnauthorized)
	errIssuedFuture  = fmt.Errorf("%w: token issued in the future", ErrUnauthorized)
	errIssuer        = fmt.Errorf("%w: issuer mismatch", ErrUnauthorized)
	errAudience      = fmt.Errorf("%w: audience mismatch", ErrUnauthorized)
	errSubject       = fmt.Errorf("%w: subject missing", ErrUnauthorized)
	errClaimMissing  = fmt.Errorf("%w: required claim missing", ErrUnauthorized)
	errInvalidClaims = fmt.Errorf("%w: invalid claims", ErrUnauthorized)
	errClaimsUnicode = fmt.Errorf("%w: claims are not valid Unicode", ErrUnauthorized)
	errInvalid       = fmt.Errorf("%w: token invalid", ErrUnauthorized)
)

// Markers returned by keyfuncs and claim validation, mapped to classes.
var (
	errMarkCrit      = errors.New("crit")
	errMarkTyp       = errors.New("typ")
	errMarkKey       = errors.New("key")
	errMarkNoSubject = errors.New("sub")
	errMarkUnicode   = errors.New("unicode")
)

// Verifier verifies tokens. It is safe for concurrent use.
type Verifier struct {
	parser  *jwt.Parser
	methods []string
	// keyfunc returns the jwt.Keyfunc for one call.
	keyfunc func(ctx context.Context) jwt.Keyfunc
	cancel  context.CancelFunc
}

var sourceVars = "set exactly one of JWT_HS256_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL, JWT_JWKS"

// NewVerifier builds a Verifier. With JWKSURL it fetches the key set once,
// bounded by ctx and a 3 s timeout; a failed first fetch is not an error (the
// IdP may be briefly down at cold start): the fetch is retried when a token
// names an unknown kid. Call Close to stop the background refresh.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	var set []string
	if len(cfg.HS256Secret) > 0 {
		set = append(set, "JWT_HS256_SECRET")
	}
	if len(cfg.PublicKeyPEM) > 0 {
		set = append(set, "JWT_PUBLIC_KEY")
	}
	if cfg.JWKSURL != "" {
		set = append(set, "JWT_JWKS_URL")
	}
	if len(cfg.JWKSJSON) > 0 {
		set = append(set, "JWT_JWKS")
	}
	switch len(set) {
	case 0:
		return nil, errors.New("auth: no JWT key source configured: " + sourceVars)
	case 1:
	default:
		return nil, fmt.Errorf("auth: %d JWT key sources configured (%s): %s", len(set), strings.Join(set, ", "), sourceVars)
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("auth: JWT leeway %v is outside [0, %v]", cfg.Leeway, MaxLeeway)
	}

	v := &Verifier{}
	switch {
	case len(cfg.HS256Secret) > 0:
		if len(cfg.HS256Secret) < MinHS256SecretBytes {
			return nil, fmt.Errorf("auth: JWT_HS256_SECRET is %d bytes; at least %d are required", len(cfg.HS256Secret), MinHS256SecretBytes)
		}
		secret := append([]byte(nil), cfg.HS256Secret...)
		v.methods = []string{"HS256"}
		v.keyfunc = staticKeyfunc(secret)
	case len(cfg.PublicKeyPEM) > 0:
		key, methods, err := parsePublicKeyPEM(cfg.PublicKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("auth: JWT_PUBLIC_KEY: %w", err)
		}
		v.methods = methods
		v.keyfunc = staticKeyfunc(key)
	case len(cfg.JWKSJSON) > 0:
		kf, err := inlineJWKS(cfg.JWKSJSON)
		if err != nil {
			return nil, fmt.Errorf("auth: JWT_JWKS: %w", err)
		}
		v.methods = jwksMethods
		v.keyfunc = jwksKeyfunc(kf)
	default:
		if err := checkJWKSURL(cfg.JWKSURL); err != nil {
			return nil, fmt.Errorf("auth: JWT_JWKS_URL: %w", err)
		}
		kf, cancel, err := remoteJWKS(ctx, cfg.JWKSURL, cfg.HTTPClient)
		if err != nil {
			return nil, fmt.Errorf("auth: JWT_JWKS_URL: %w", err)
		}
		v.methods = jwksMethods
		v.keyfunc = jwksKeyfunc(kf)
		v.cancel = cancel
	}

	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.methods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithStrictDecoding(),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	if cfg.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(cfg.Now))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// checkJWKSURL requires https, except for loopback hosts (local tests and
// emulators): a key set fetched over plain HTTP could be replaced in transit.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return errors.New("must use https (http is allowed for loopback hosts only)")
		}
	default:
		return errors.New("must be an https URL")
	}
	if u.Host == "" {
		return errors.New("has no host")
	}
	return nil
}

// Close stops background JWKS refreshes. Safe to call more than once and on
// a Verifier without JWKS.
func (v *Verifier) Close() {
	if v != nil && v.cancel != nil {
		v.cancel()
	}
}

// Authenticate verifies the bearer token in h's Authorization header.
func (v *Verifier) Authenticate(ctx context.Context, h http.Header) (Principal, error) {
	tok, err := bearerToken(h)
	if err != nil {
		return Principal{}, err
	}
	return v.Verify(ctx, tok)
}

// bearerToken extracts the token from exactly one "Bearer <token>" header:
// scheme case-insensitive, then one or more spaces, then a token with
// nothing after it.
func bearerToken(h http.Header) (string, error) {
	vals := h.Values("Authorization")
	switch len(vals) {
	case 0:
		return "", ErrNoCredentials
	case 1:
	default:
		return "", errTwoHeaders
	}
	s := vals[0]
	if len(s) > MaxTokenBytes+64 {
		return "", errTooLong
	}
	s = strings.Trim(s, " \t") // optional whitespace around a field value
	scheme, rest, _ := strings.Cut(s, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", errScheme
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" {
		return "", errEmptyToken
	}
	if strings.ContainsAny(tok, " \t,") {
		return "", errExtraFields
	}
	return tok, nil
}

// Verify verifies a compact JWS token and returns its principal.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	if len(token) > MaxTokenBytes {
		return Principal{}, errTooLong
	}
	if !wellFormed(token) {
		return Principal{}, errMalformed
	}
	var c tokenClaims
	t, err := v.parser.ParseWithClaims(token, &c, v.keyfunc(ctx))
	if err != nil || t == nil || !t.Valid {
		return Principal{}, v.classify(t, err)
	}
	return Principal{Subject: c.Subject, claims: c.raw}, nil
}

// wellFormed reports whether s matches
// ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$.
func wellFormed(s string) bool {
	dots, segLen := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			segLen++
		case c == '.':
			if segLen == 0 || dots == 2 {
				return false
			}
			dots++
			segLen = 0
		default:
			return false
		}
	}
	return dots == 2 && segLen > 0
}

// classify maps a parse failure to a fixed class error.
func (v *Verifier) classify(t *jwt.Token, err error) error {
	switch {
	case err == nil:
		return errInvalid
	case errors.Is(err, errMarkCrit):
		return errCrit
	case errors.Is(err, errMarkTyp):
		return errTyp
	case errors.Is(err, errMarkUnicode):
		return errClaimsUnicode
	case errors.Is(err, jwt.ErrTokenMalformed):
		return errMalformed
	case t == nil || t.Method == nil || !v.allowed(t.Method.Alg()):
		return errMethod
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return errNoKey
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return errSignature
	case errors.Is(err, jwt.ErrTokenExpired):
		return errExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return errNotYetValid
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return errIssuedFuture
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return errClaimMissing
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return errIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return errAudience
	case errors.Is(err, errMarkNoSubject):
		return errSubject
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return errInvalidClaims
	}
	return errInvalid
}

func (v *Verifier) allowed(alg string) bool {
	for _, m := range v.methods {
		if m == alg {
			return true
		}
	}
	return false
}

// checkHeader refuses crit and unexpected typ values.
func checkHeader(t *jwt.Token) error {
	if _, ok := t.Header["crit"]; ok {
		return errMarkCrit
	}
	if typ, ok := t.Header["typ"]; ok {
		s, _ := typ.(string)
		if !strings.EqualFold(s, "JWT") && !strings.EqualFold(s, "at+jwt") {
			return errMarkTyp
		}
	}
	return nil
}
