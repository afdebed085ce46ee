package config

import (
	"strconv"
	"strings"
	"time"
)

// Scopes configures the optional scope check (JWT_SCOPE_CLAIM,
// REQUIRE_SCOPES): with Require on, uploads need "upload" (or
// "upload:overwrite"), overwrites "upload:overwrite", downloads "download".
type Scopes struct {
	Claim   string // default "scope" ("scp" is read when "scope" is absent)
	Require bool
}

// Multipart configures the multipart routes.
type Multipart struct {
	// HandleSecret is what the multipart handle key and the upload
	// callback ticket key are derived from (each with its own label):
	// MULTIPART_HANDLE_SECRET, else OSS_ACCESS_KEY_SECRET, else
	// JWT_HS256_SECRET. Every FC instance reads the same environment, so
	// every instance derives the same key. Nil (STS credentials and a
	// public-key JWT source, no MULTIPART_HANDLE_SECRET) disables
	// multipart and refuses PUBLIC_BASE_URL.
	HandleSecret []byte
	// HandleSecretFrom names the variable HandleSecret came from.
	HandleSecretFrom string
	TTL              time.Duration // MULTIPART_TTL, default 24h, 1m..7d
	MaxBytes         int64         // MAX_MULTIPART_BYTES, default and cap 10000 × 5 GiB
}

// Limits of the multipart settings.
const (
	MinHandleSecret   = 32
	MaxMultipartTTL   = 7 * 24 * time.Hour
	MaxMultipartBytes = 10000 * MaxPutBytes // OSS: 10000 parts of at most 5 GiB
)

var scopeClaimOK = func(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func (l *loader) scopes() Scopes {
	s := Scopes{Claim: l.str("JWT_SCOPE_CLAIM", "scope")}
	if !scopeClaimOK(s.Claim) {
		l.fail("JWT_SCOPE_CLAIM", "%q is not a claim name (1-64 printable ASCII characters, no spaces or quotes)", s.Claim)
	}
	s.Require = l.boolean("REQUIRE_SCOPES")
	return s
}

// boolean reads a true/false variable; unset is false.
func (l *loader) boolean(name string) bool {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail(name, "%q is not true or false", v)
	}
	return b
}

func (l *loader) multipart(accessKeySecret string, hs256 []byte) Multipart {
	m := Multipart{
		TTL:      l.duration("MULTIPART_TTL", 24*time.Hour),
		MaxBytes: l.size("MAX_MULTIPART_BYTES", MaxMultipartBytes),
	}
	if m.TTL < time.Minute || m.TTL > MaxMultipartTTL {
		l.fail("MULTIPART_TTL", "%v is not between 1m and 7 days (168h)", m.TTL)
	}
	if m.MaxBytes > MaxMultipartBytes {
		l.fail("MAX_MULTIPART_BYTES", "%d is over OSS's limit of 10000 parts of 5 GiB (%d bytes)", m.MaxBytes, int64(MaxMultipartBytes))
	}
	switch v := l.getenv("MULTIPART_HANDLE_SECRET"); {
	case v != "":
		if len(v) < MinHandleSecret {
			l.fail("MULTIPART_HANDLE_SECRET", "is %d bytes; at least %d are required", len(v), MinHandleSecret)
		}
		m.HandleSecret, m.HandleSecretFrom = []byte(v), "MULTIPART_HANDLE_SECRET"
	case len(accessKeySecret) >= 16:
		m.HandleSecret, m.HandleSecretFrom = []byte(accessKeySecret), "OSS_ACCESS_KEY_SECRET"
	case len(hs256) > 0:
		m.HandleSecret, m.HandleSecretFrom = hs256, "JWT_HS256_SECRET"
	}
	return m
}
