package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// Limits that come from OSS and FC, not from taste.
const (
	MaxPresignTTL = 7 * 24 * time.Hour // OSS V4 presigned URLs live at most 7 days
	MaxPutBytes   = storage.MaxPutSize // a single PutObject takes at most 5 GiB
	// MaxDirectBytes keeps a direct upload, base64-encoded in FC's event
	// (4/3 larger), well under FC's 32 MB synchronous request limit.
	MaxDirectBytes = 20 << 20
	MinHS256Secret = 32 // RFC 7518 §3.2: an HS256 key at least as long as the hash
)

// Storage is the OSS client configuration these settings describe, for
// the broker and the inspector alike; getenv reaches the role credentials
// FC puts in the environment. With no credential source at all it is
// [storage.ErrCredentialsNotConfigured], a startup error that names the fix.
func (c *Config) Storage(getenv func(string) string) (storage.Config, error) {
	if err := storage.CheckCredentials(c.AccessKeyID, getenv); err != nil {
		return storage.Config{}, err
	}
	return storage.Config{
		Bucket:            c.Bucket,
		Region:            c.Region,
		Endpoint:          c.Endpoint,
		PathStyle:         c.PathStyle,
		InternalEndpoint:  c.InternalEndpoint,
		InternalPathStyle: c.InternalPathStyle,
		Credentials:       storage.Credentials(c.AccessKeyID, c.AccessKeySecret, getenv),
		ConnectTimeout:    c.OSSConnectTimeout,
		RequestTimeout:    c.OSSRequestTimeout,
	}, nil
}

// Config is the broker's validated configuration.
type Config struct {
	Bucket   string
	Region   string
	Endpoint string // scheme://host[:port], no path
	// PathStyle is true for IP or localhost endpoints, where the bucket
	// cannot be put in the host name.
	PathStyle bool
	// InternalEndpoint (OSS_INTERNAL_ENDPOINT, default Endpoint) is where
	// the function's own calls to OSS go; presigned URLs and forms always
	// name Endpoint, the one the uploading client can reach. On FC, the
	// region's internal endpoint (https://oss-<region>-internal.aliyuncs.com)
	// keeps those calls off the internet (no egress charge).
	InternalEndpoint  string
	InternalPathStyle bool

	// AccessKeyID and AccessKeySecret are the RAM user's pair. When empty, the
	// function role's STS credentials are used, per invocation.
	AccessKeyID     string
	AccessKeySecret string

	Prefix       *objectkey.Policy
	ContentTypes mediatype.Allowlist

	PresignTTL    time.Duration
	PresignMaxTTL time.Duration

	MaxUploadBytes       int64
	MaxDirectUploadBytes int64

	JWT JWT

	AllowedOrigins []string // exact origins; "*" alone allows any
	LogLevel       slog.Level

	OSSConnectTimeout time.Duration
	OSSRequestTimeout time.Duration

	Scopes    Scopes    // JWT_SCOPE_CLAIM, REQUIRE_SCOPES (uploads.go)
	Multipart Multipart // MULTIPART_HANDLE_SECRET, MULTIPART_TTL, MAX_MULTIPART_BYTES (uploads.go)
	// AllowDownloads (ALLOW_DOWNLOADS, default false) turns on
	// POST /v1/presign-get. Off, the broker grants no read access at all
	// and its RAM policy needs no oss:GetObject on the prefix.
	AllowDownloads bool

	Webhooks Webhooks // WEBHOOK_SOURCES, WEBHOOK_TOLERANCE (webhooks.go)

	// Warnings are valid but risky settings, for the caller to log once at
	// startup (a JWT key source without JWT_ISSUER or JWT_AUDIENCE).
	Warnings []string

	Callbacks Callbacks // PUBLIC_BASE_URL, REJECTED_UPLOADS (callbacks.go)

	Notifications Notifications // NOTIFICATION_URL, NOTIFICATION_SECRET (notify.go)
}

// JWT holds exactly one key source and the claim checks.
type JWT struct {
	HS256Secret  []byte
	PublicKeyPEM []byte
	JWKSURL      string
	JWKSJSON     []byte
	Issuer       string
	Audience     string
	Leeway       time.Duration
}

// Variables is every environment variable Load reads, and so every one a
// deployment must be able to set: FC hands a function only the variables
// s.yaml lists in environmentVariables, and pkg/devtools/deploycheck's test fails when
// that list and this one differ. config's own test fails when Load asks for
// a name not listed here. A new setting goes in all three places.
var Variables = append([]string{
	"OSS_BUCKET", "OSS_REGION", "OSS_ENDPOINT", "OSS_INTERNAL_ENDPOINT",
	"OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET",
	"UPLOAD_PREFIX", "ALLOWED_CONTENT_TYPES",
	"PRESIGN_TTL", "PRESIGN_MAX_TTL", "MAX_UPLOAD_BYTES", "MAX_DIRECT_UPLOAD_BYTES",
	"JWT_HS256_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS_URL", "JWT_JWKS",
	"JWT_ISSUER", "JWT_AUDIENCE", "JWT_LEEWAY",
	"ALLOWED_ORIGINS", "ALLOW_DOWNLOADS", "LOG_LEVEL",
	"OSS_CONNECT_TIMEOUT", "OSS_REQUEST_TIMEOUT",
	"REQUIRE_SCOPES", "JWT_SCOPE_CLAIM",
	"MULTIPART_HANDLE_SECRET", "MULTIPART_TTL", "MAX_MULTIPART_BYTES",
	"WEBHOOK_SOURCES", "WEBHOOK_TOLERANCE",
	"PUBLIC_BASE_URL", "REJECTED_UPLOADS",
	"NOTIFICATION_URL", "NOTIFICATION_SECRET",
}, WebhookSecretSlots...)

// FromEnv loads the configuration from the process environment.
func FromEnv() (*Config, error) { return Load(os.Getenv) }

// Load reads every variable through getenv and reports all bad values at
// once, each error naming its variable.
func Load(getenv func(string) string) (*Config, error) { return load(getenv, jwtRequired) }

// LoadForPrint is Load for the -print-* flags, which print what OSS must be
// set up with before anything is deployed: a JWT key source is read when
// set (an HS256 secret turns multipart on, and so its RAM actions) but not
// required, since no token is verified.
func LoadForPrint(getenv func(string) string) (*Config, error) { return load(getenv, jwtOptional) }

// ErrNoBucket is the -print-ram-policy error without OSS_BUCKET: a policy
// for the default examplebucket, attached as is, makes every upload fail
// with AccessDenied.
var ErrNoBucket = errors.New("OSS_BUCKET is not set: a RAM policy names the bucket it grants; set OSS_BUCKET (in the environment or .env) to the real bucket")

// RequireBucket is ErrNoBucket unless OSS_BUCKET is set.
func RequireBucket(getenv func(string) string) error {
	if strings.TrimSpace(getenv("OSS_BUCKET")) == "" {
		return ErrNoBucket
	}
	return nil
}

// jwtMode is how load treats the JWT variables.
type jwtMode int

const (
	jwtRequired jwtMode = iota // the broker: exactly one key source
	jwtOptional                // the -print-* flags: at most one
	jwtNone                    // the inspector: not read
)

// LoadInspector is Load for the OSS-triggered inspector function, which
// verifies no token: the JWT variables are neither needed nor read (its
// s.yaml resource does not get them).
func LoadInspector(getenv func(string) string) (*Config, error) { return load(getenv, jwtNone) }

func load(getenv func(string) string, mode jwtMode) (*Config, error) {
	l := loader{getenv: getenv}
	c := &Config{
		Bucket:               l.str("OSS_BUCKET", "examplebucket"),
		Region:               l.str("OSS_REGION", "cn-hangzhou"),
		AccessKeyID:          l.str("OSS_ACCESS_KEY_ID", ""),
		AccessKeySecret:      l.str("OSS_ACCESS_KEY_SECRET", ""),
		PresignTTL:           l.duration("PRESIGN_TTL", 15*time.Minute),
		PresignMaxTTL:        l.duration("PRESIGN_MAX_TTL", time.Hour),
		MaxUploadBytes:       l.size("MAX_UPLOAD_BYTES", MaxPutBytes),
		MaxDirectUploadBytes: l.size("MAX_DIRECT_UPLOAD_BYTES", 5<<20),
		OSSConnectTimeout:    l.duration("OSS_CONNECT_TIMEOUT", 3*time.Second),
		OSSRequestTimeout:    l.duration("OSS_REQUEST_TIMEOUT", 20*time.Second),
	}
	if !bucketRE.MatchString(c.Bucket) {
		l.fail("OSS_BUCKET", "%q is not a bucket name (3-63 lower-case letters, digits and hyphens)", c.Bucket)
	}
	if !regionRE.MatchString(c.Region) {
		l.fail("OSS_REGION", "%q is not a region id such as cn-hangzhou", c.Region)
	}
	c.Endpoint, c.PathStyle = l.endpoint("OSS_ENDPOINT", "https://oss-"+c.Region+".aliyuncs.com")
	c.InternalEndpoint, c.InternalPathStyle = l.endpoint("OSS_INTERNAL_ENDPOINT", c.Endpoint)
	if (c.AccessKeyID == "") != (c.AccessKeySecret == "") {
		l.fail("OSS_ACCESS_KEY_ID", "set both OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or neither (to use the function role's credentials)")
	}

	prefix := l.str("UPLOAD_PREFIX", "exampledir/")
	if p, err := objectkey.NewPolicy(prefix); err != nil {
		l.fail("UPLOAD_PREFIX", "%v", err)
	} else {
		c.Prefix = p
	}
	if a, err := mediatype.ParseAllowlist(l.str("ALLOWED_CONTENT_TYPES", "")); err != nil {
		l.fail("ALLOWED_CONTENT_TYPES", "%v", err)
	} else {
		c.ContentTypes = a
	}

	switch {
	case c.PresignMaxTTL > MaxPresignTTL:
		l.fail("PRESIGN_MAX_TTL", "%v is over OSS's limit of 7 days (168h)", c.PresignMaxTTL)
	case c.PresignTTL > c.PresignMaxTTL:
		l.fail("PRESIGN_TTL", "%v is over PRESIGN_MAX_TTL (%v)", c.PresignTTL, c.PresignMaxTTL)
	}
	if c.MaxUploadBytes > MaxPutBytes {
		l.fail("MAX_UPLOAD_BYTES", "%d is over OSS's single PUT limit of 5 GiB", c.MaxUploadBytes)
	}
	if c.MaxDirectUploadBytes > MaxDirectBytes {
		l.fail("MAX_DIRECT_UPLOAD_BYTES", "%d is over 20 MiB; a direct upload must stay well under FC's 32 MB request limit", c.MaxDirectUploadBytes)
	}

	if mode != jwtNone {
		c.JWT = l.jwt(mode == jwtOptional)
		c.Warnings = append(c.Warnings, jwtWarnings(c.JWT)...)
	}
	c.AllowedOrigins = l.origins("ALLOWED_ORIGINS")
	c.LogLevel = l.level("LOG_LEVEL")
	c.Scopes = l.scopes()
	c.Multipart = l.multipart(c.AccessKeySecret, c.JWT.HS256Secret)
	c.AllowDownloads = l.boolean("ALLOW_DOWNLOADS")
	c.Webhooks = l.webhooks()
	c.Callbacks = l.callbacks()
	if c.Prefix != nil && c.Callbacks.RejectAction == "quarantine" && c.Prefix.Within(QuarantineFolder+"0/x") == nil {
		l.fail("UPLOAD_PREFIX", "covers the quarantine folder %s, where REJECTED_UPLOADS=quarantine moves rejected uploads out of the uploaders' reach: start the prefix with a folder name", QuarantineFolder)
	}
	c.Notifications = l.notifications()
	if mode == jwtRequired && c.Callbacks.Enabled() && c.Multipart.HandleSecret == nil {
		l.fail("PUBLIC_BASE_URL", "upload callbacks need a secret to derive their ticket key from: set MULTIPART_HANDLE_SECRET "+
			"(STS credentials and a public-key JWT source leave none)")
	}

	if err := errors.Join(l.errs...); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

var (
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	regionRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

type loader struct {
	getenv func(string) string
	errs   []error
}

func (l *loader) fail(name, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (l *loader) str(name, def string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	return def
}

func (l *loader) duration(name string, def time.Duration) time.Duration {
	v := l.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < time.Second {
		l.fail(name, "%q is not a Go duration of at least 1s (such as 15m or 1h)", v)
		return def
	}
	return d
}

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}

// size parses a byte count: "5242880", "5MiB", "5 MiB", "10MB".
func (l *loader) size(name string, def int64) int64 {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return def
	}
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	mult, ok := sizeUnits[strings.ToLower(strings.TrimSpace(v[i:]))]
	if err != nil || !ok || n < 1 || n > (1<<62)/mult {
		l.fail(name, "%q is not a positive byte count (such as 5242880, 5MiB or 5GiB)", v)
		return def
	}
	return n * mult
}

func (l *loader) endpoint(name, def string) (string, bool) {
	v := l.str(name, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
		l.fail(name, "%s is not an http(s)://host[:port] endpoint", RedactURL(v))
		return def, false
	}
	host := u.Hostname()
	pathStyle := net.ParseIP(host) != nil || host == "localhost"
	return u.Scheme + "://" + u.Host, pathStyle
}

func (l *loader) jwt(optional bool) JWT {
	j := JWT{
		JWKSURL:  l.str("JWT_JWKS_URL", ""),
		Issuer:   l.str("JWT_ISSUER", ""),
		Audience: l.str("JWT_AUDIENCE", ""),
		Leeway:   30 * time.Second,
	}
	if v := l.getenv("JWT_HS256_SECRET"); v != "" {
		j.HS256Secret = []byte(v)
		if len(v) < MinHS256Secret {
			l.fail("JWT_HS256_SECRET", "is %d bytes; HS256 needs a secret of at least %d bytes", len(v), MinHS256Secret)
		}
	}
	if v := strings.TrimSpace(l.getenv("JWT_PUBLIC_KEY")); v != "" {
		// Consoles often flatten PEM to one line with literal \n.
		if !strings.Contains(v, "\n") {
			v = strings.ReplaceAll(v, `\n`, "\n")
		}
		if !strings.HasPrefix(v, "-----BEGIN ") {
			l.fail("JWT_PUBLIC_KEY", "is not a PEM block (-----BEGIN PUBLIC KEY----- ...)")
		}
		j.PublicKeyPEM = []byte(v)
	}
	if v := strings.TrimSpace(l.getenv("JWT_JWKS")); v != "" {
		if !strings.HasPrefix(v, "{") {
			l.fail("JWT_JWKS", "is not a JWKS JSON document ({\"keys\":[...]})")
		}
		j.JWKSJSON = []byte(v)
	}
	if j.JWKSURL != "" {
		u, err := url.Parse(j.JWKSURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			l.fail("JWT_JWKS_URL", "%s is not an http(s) URL", RedactURL(j.JWKSURL))
		}
	}
	sources := 0
	for _, set := range []bool{j.HS256Secret != nil, j.PublicKeyPEM != nil, j.JWKSURL != "", j.JWKSJSON != nil} {
		if set {
			sources++
		}
	}
	if sources > 1 || sources == 0 && !optional {
		l.fail("JWT_HS256_SECRET", "exactly one JWT key source must be set: JWT_HS256_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL or JWT_JWKS (%d are set)", sources)
	}
	if v := l.getenv("JWT_LEEWAY"); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 || d > 5*time.Minute {
			l.fail("JWT_LEEWAY", "%q is not a duration between 0s and 5m", v)
		} else {
			j.Leeway = d
		}
	}
	return j
}

func (l *loader) origins(name string) []string {
	var out []string
	for _, o := range strings.Split(l.getenv(name), ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" ||
				u.ForceQuery || u.Fragment != "" || u.User != nil {
				l.fail(name, "%s is not an origin (scheme://host[:port], no path) or *", RedactURL(o))
				continue
			}
			o = strings.ToLower(o)
		}
		out = append(out, o)
	}
	return out
}

func (l *loader) level(name string) slog.Level {
	var lv slog.Level
	v := l.str(name, "info")
	if err := lv.UnmarshalText([]byte(v)); err != nil {
		l.fail(name, "%q is not one of debug, info, warn, error", v)
	}
	return lv
}

// jwtWarnings: a public key or a key set usually belongs to an identity
// provider that signs tokens for many applications, so without JWT_ISSUER
// and JWT_AUDIENCE any token it issued, for any application, is accepted.
// (An HS256 secret is the broker's own, shared only with its token minter.)
func jwtWarnings(j JWT) []string {
	var source string
	switch {
	case j.PublicKeyPEM != nil:
		source = "JWT_PUBLIC_KEY"
	case j.JWKSURL != "":
		source = "JWT_JWKS_URL"
	case j.JWKSJSON != nil:
		source = "JWT_JWKS"
	default:
		return nil
	}
	switch {
	case j.Issuer == "" && j.Audience == "":
		return []string{source + " is set without JWT_ISSUER and JWT_AUDIENCE: every token its keys verify is accepted, " +
			"whatever its iss and aud (a token the identity provider issued to any other application too); set both"}
	case j.Issuer == "":
		return []string{source + " is set without JWT_ISSUER: every token its keys verify is accepted whatever its iss; set it"}
	case j.Audience == "":
		return []string{source + " is set without JWT_AUDIENCE: every token its keys verify is accepted whatever its aud " +
			"(a token the identity provider issued to any other application too); set it"}
	}
	return nil
}

// RedactURL is how an error quotes a URL-valued variable (OSS_ENDPOINT,
// JWT_JWKS_URL, ALLOWED_ORIGINS), which may carry a credential in its
// userinfo (https://AKID:SECRET@host), path or query (?token=...): only the
// scheme and host[:port] are shown, every other part that is present is
// replaced by <redacted>, and a value that does not parse as a URL is not
// shown at all ([url.Parse]'s own errors quote the input, so they are not
// used either).
func RedactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Opaque != "" {
		return "(a value that is not a URL; not shown)"
	}
	const r = "<redacted>"
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme + "://")
	}
	if u.User != nil {
		b.WriteString(r + "@")
	}
	b.WriteString(u.Host)
	switch {
	case u.Path == "/" && u.Host != "":
		b.WriteByte('/')
	case u.Path != "" || u.RawPath != "":
		if u.Host != "" {
			b.WriteByte('/')
		}
		b.WriteString(r)
	}
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + r)
	}
	if u.Fragment != "" || u.RawFragment != "" {
		b.WriteString("#" + r)
	}
	return strconv.Quote(b.String())
}
