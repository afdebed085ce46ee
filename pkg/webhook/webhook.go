package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scheme names a signature scheme as written in WEBHOOK_SOURCES.
type Scheme string

// The supported schemes.
const (
	Standard Scheme = "standard"
	GitHub   Scheme = "github"
	Stripe   Scheme = "stripe"
)

// DefaultTolerance is how far a signed timestamp may be from now (either
// way): the Standard Webhooks reference libraries' and Stripe's 5 minutes.
const DefaultTolerance = 5 * time.Minute

// Secret length rules. Standard Webhooks fixes 24-64 random bytes; GitHub
// lets the user type anything, and Stripe's "whsec_..." strings are longer
// than 32 bytes, so 32 bytes (the HMAC-SHA256 output size) is asked of both.
const (
	MinStandardSecret = 24
	MaxStandardSecret = 64
	MinSecret         = 32
)

// Errors Verify returns; each means "not a genuine, fresh delivery".
var (
	ErrNoSignature  = errors.New("webhook: signature headers missing")
	ErrMalformed    = errors.New("webhook: signature headers malformed")
	ErrBadSignature = errors.New("webhook: no matching signature")
	ErrStale        = errors.New("webhook: timestamp outside the tolerance")
)

// ValidName reports whether name may name a source: 1-64 of [a-z0-9-]. It
// becomes a key segment and a URL path segment as is.
func ValidName(name string) bool {
	return bytesIn(name, 64, func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' })
}

// Source is a configured sender. Its key never appears in String, GoString,
// fmt's %v or a log value.
type Source struct {
	name      string
	scheme    Scheme
	secretEnv string
	key       []byte
}

// NewSource checks name and secret for scheme and returns the source.
// secretEnv is the name of the variable the secret came from; errors name it
// and never quote the secret.
func NewSource(name string, scheme Scheme, secretEnv, secret string) (Source, error) {
	if !ValidName(name) {
		return Source{}, fmt.Errorf("source name %q is not 1-64 of [a-z0-9-]", name)
	}
	s := Source{name: name, scheme: scheme, secretEnv: secretEnv}
	switch scheme {
	case Standard:
		b64, ok := strings.CutPrefix(secret, "whsec_")
		if !ok {
			return Source{}, fmt.Errorf("source %q: %s is not a Standard Webhooks secret (whsec_ followed by base64)", name, secretEnv)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return Source{}, fmt.Errorf("source %q: %s: the part after whsec_ is not valid base64", name, secretEnv)
		}
		if len(key) < MinStandardSecret || len(key) > MaxStandardSecret {
			return Source{}, fmt.Errorf("source %q: %s decodes to %d bytes; Standard Webhooks secrets are %d to %d bytes",
				name, secretEnv, len(key), MinStandardSecret, MaxStandardSecret)
		}
		s.key = key
	case GitHub, Stripe:
		if len(secret) < MinSecret {
			return Source{}, fmt.Errorf("source %q: %s is %d bytes; a %s secret must be at least %d bytes",
				name, secretEnv, len(secret), scheme, MinSecret)
		}
		s.key = []byte(secret)
	default:
		return Source{}, fmt.Errorf("source %q: scheme %q is not one of standard, github, stripe", name, scheme)
	}
	return s, nil
}

// Name is the source's name, the {source} of POST /v1/webhooks/{source}.
func (s Source) Name() string { return s.name }

// Scheme is the source's signature scheme.
func (s Source) Scheme() Scheme { return s.scheme }

// String describes the source without its secret: "name:scheme:ENV".
func (s Source) String() string { return s.name + ":" + string(s.scheme) + ":" + s.secretEnv }

// GoString is String, so that %#v does not print the key either.
func (s Source) GoString() string { return "webhook.Source(" + s.String() + ")" }

// Format makes every fmt verb print String, never the key.
func (s Source) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// LogValue keeps the key out of slog output.
func (s Source) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Event is what a verified delivery says about itself.
type Event struct {
	// ID is a safe single key segment: the sender's id, or the hex SHA-256
	// of the body when IDFromBody.
	ID         string
	IDFromBody bool
	// Timestamp is the signed timestamp (Standard Webhooks, Stripe); zero
	// for GitHub, which signs none.
	Timestamp time.Time
	// ContentType is what the delivery is stored and served with:
	// [StoredType] of the body, never the sender's Content-Type.
	ContentType string
}

// Verify checks a delivery's signature over the exact body bytes and, for
// schemes with a signed timestamp, that it is within tolerance of now
// ([DefaultTolerance] when tolerance <= 0). Errors wrap [ErrNoSignature],
// [ErrMalformed], [ErrBadSignature] or [ErrStale] and never quote header values.
func (s Source) Verify(h http.Header, body []byte, now time.Time, tolerance time.Duration) (Event, error) {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	switch s.scheme {
	case Standard:
		return verifyStandard(s.key, h, body, now, tolerance)
	case GitHub:
		return verifyGitHub(s.key, h, body)
	case Stripe:
		return verifyStripe(s.key, h, body, now, tolerance)
	}
	return Event{}, ErrNoSignature // the zero Source verifies nothing
}

func mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func verifyStandard(key []byte, h http.Header, body []byte, now time.Time, tol time.Duration) (Event, error) {
	id, ts, sigs := h.Get("Webhook-Id"), h.Get("Webhook-Timestamp"), strings.Join(h.Values("Webhook-Signature"), " ")
	if id == "" && ts == "" && sigs == "" {
		id, ts, sigs = h.Get("Svix-Id"), h.Get("Svix-Timestamp"), strings.Join(h.Values("Svix-Signature"), " ")
	}
	if id == "" || ts == "" || sigs == "" {
		return Event{}, ErrNoSignature
	}
	if strings.Contains(id, ".") || len(id) > 1024 {
		return Event{}, fmt.Errorf("%w: webhook-id contains \".\" or is too long", ErrMalformed)
	}
	t, err := unixSeconds(ts)
	if err != nil {
		return Event{}, fmt.Errorf("%w: webhook-timestamp is not decimal Unix seconds", ErrMalformed)
	}
	want := mac(key, []byte(id), []byte{'.'}, []byte(ts), []byte{'.'}, body)
	ok := false
	for _, entry := range strings.Fields(sigs) {
		version, sig, found := strings.Cut(entry, ",")
		if !found || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			ok = true // keep going: the loop's duration must not depend on which entry matched
		}
	}
	if !ok {
		return Event{}, ErrBadSignature
	}
	if err := fresh(t, now, tol); err != nil {
		return Event{}, err
	}
	return eventFor(id, body, t), nil
}

func verifyGitHub(key []byte, h http.Header, body []byte) (Event, error) {
	vals := h.Values("X-Hub-Signature-256")
	if len(vals) == 0 {
		return Event{}, ErrNoSignature
	}
	want := mac(key, body)
	ok := false
	for _, v := range vals {
		for _, entry := range strings.Split(v, ",") {
			hexSig, found := strings.CutPrefix(strings.TrimSpace(entry), "sha256=")
			if !found {
				continue
			}
			got, err := hex.DecodeString(hexSig)
			if err != nil {
				continue
			}
			if hmac.Equal(got, want) {
				ok = true
			}
		}
	}
	if !ok {
		return Event{}, ErrBadSignature
	}
	// X-GitHub-Delivery is not covered by the signature: the id is the
	// body's hash, and the delivery id is only metadata.
	return eventFor("", body, time.Time{}), nil
}

func verifyStripe(key []byte, h http.Header, body []byte, now time.Time, tol time.Duration) (Event, error) {
	vals := h.Values("Stripe-Signature")
	if len(vals) == 0 {
		return Event{}, ErrNoSignature
	}
	var ts string
	var sigs [][]byte
	for _, v := range vals {
		for _, item := range strings.Split(v, ",") {
			k, val, found := strings.Cut(strings.TrimSpace(item), "=")
			if !found {
				continue
			}
			switch k {
			case "t":
				if ts != "" && ts != val {
					return Event{}, fmt.Errorf("%w: Stripe-Signature has two different t", ErrMalformed)
				}
				ts = val
			case "v1":
				if got, err := hex.DecodeString(val); err == nil {
					sigs = append(sigs, got)
				}
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return Event{}, ErrNoSignature
	}
	t, err := unixSeconds(ts)
	if err != nil {
		return Event{}, fmt.Errorf("%w: Stripe-Signature t is not decimal Unix seconds", ErrMalformed)
	}
	want := mac(key, []byte(ts), []byte{'.'}, body)
	ok := false
	for _, got := range sigs {
		if hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok {
		return Event{}, ErrBadSignature
	}
	if err := fresh(t, now, tol); err != nil {
		return Event{}, err
	}
	return eventFor("", body, t), nil
}

// unixSeconds parses 1-19 decimal digits (no sign, no spaces).
func unixSeconds(s string) (time.Time, error) {
	if len(s) == 0 || len(s) > 19 {
		return time.Time{}, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, strconv.ErrSyntax
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(n, 0).UTC(), nil
}

func fresh(t, now time.Time, tol time.Duration) error {
	d := now.Sub(t)
	if d > tol || d < -tol {
		return fmt.Errorf("%w (%s from now, tolerance %s)", ErrStale, d.Round(time.Second), tol)
	}
	return nil
}

// SafeID reports whether id may be used as the event id segment of a key:
// 1-128 of [A-Za-z0-9_-].
func SafeID(id string) bool {
	return bytesIn(id, 128, func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
	})
}

// bytesIn reports whether s is 1 to maxLen bytes, each in the class. A
// loop, not a regexp: compiling bounded repetitions cost every cold start
// more than a millisecond of package init.
func bytesIn(s string, maxLen int, in func(byte) bool) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !in(s[i]) {
			return false
		}
	}
	return true
}

// BodyID is the id of a delivery whose scheme gives none: the lowercase hex
// SHA-256 of the body.
func BodyID(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func eventFor(id string, body []byte, t time.Time) Event {
	if SafeID(id) {
		return Event{ID: id, Timestamp: t, ContentType: StoredType(body)}
	}
	return Event{ID: BodyID(body), IDFromBody: true, Timestamp: t, ContentType: StoredType(body)}
}

// The two types a delivery is stored with.
const (
	TypeJSON   = "application/json"
	TypeBinary = "application/octet-stream"
)

// StoredType is the content type a verified delivery is stored and served
// with: application/json when the body is valid JSON (every payload of the
// three schemes' senders in their default settings), otherwise
// application/octet-stream (GitHub's form-encoded option, anything else).
// It depends on the signed body alone, so whoever replays a captured
// delivery cannot choose it, and neither type is rendered as a document by
// a browser (no text/html, no image/svg+xml).
func StoredType(body []byte) string {
	if json.Valid(body) {
		return TypeJSON
	}
	return TypeBinary
}

// Sign is the sender's side of Standard Webhooks, the exact inverse of
// Verify for a Standard source: the webhook-signature value
// ("v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">") for id, the
// Unix seconds ts and body. It shares Verify's key and MAC, so what the
// broker sends verifies wherever the broker's sink (or any Standard
// Webhooks library) accepts. It fails for GitHub and Stripe sources and
// for an id Verify would refuse.
func (s Source) Sign(id string, ts int64, body []byte) (string, error) {
	if s.scheme != Standard {
		return "", fmt.Errorf("webhook: source %q: only Standard Webhooks sources sign", s.name)
	}
	if id == "" || strings.Contains(id, ".") || len(id) > 1024 {
		return "", fmt.Errorf("%w: webhook-id is empty, contains \".\" or is too long", ErrMalformed)
	}
	t := strconv.FormatInt(ts, 10)
	return "v1," + base64.StdEncoding.EncodeToString(mac(s.key, []byte(id), []byte{'.'}, []byte(t), []byte{'.'}, body)), nil
}
