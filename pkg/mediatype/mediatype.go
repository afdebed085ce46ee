// Package mediatype decides whether a Content-Type is allowed: the
// ALLOWED_CONTENT_TYPES list, with "type/*" wildcards.
//
// Matching is on the media type alone ("image/png; charset=x" is
// "image/png"), case-insensitive, because OSS stores and signs the whole
// header but its meaning is the media type.
package mediatype

import (
	"fmt"
	"mime"
	"strings"
)

// Allowlist is a parsed ALLOWED_CONTENT_TYPES value. The zero value allows
// every well-formed media type.
type Allowlist struct {
	exact     map[string]bool
	wildcards []string // "image/" for "image/*"
}

// ParseAllowlist parses a comma-separated list such as
// "image/*,application/pdf". An empty list or "*" or "*/*" allows any type.
func ParseAllowlist(list string) (Allowlist, error) {
	var a Allowlist
	for _, item := range strings.Split(list, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		switch {
		case item == "":
			continue
		case item == "*" || item == "*/*":
			return Allowlist{}, nil
		case strings.HasSuffix(item, "/*"):
			typ := strings.TrimSuffix(item, "/*")
			if !isToken(typ) {
				return Allowlist{}, fmt.Errorf("%q is not a media type or a type/* wildcard", item)
			}
			a.wildcards = append(a.wildcards, typ+"/")
		default:
			mt, err := Parse(item)
			if err != nil || strings.Contains(item, ";") {
				return Allowlist{}, fmt.Errorf("%q is not a media type or a type/* wildcard", item)
			}
			if a.exact == nil {
				a.exact = make(map[string]bool)
			}
			a.exact[mt] = true
		}
	}
	return a, nil
}

// Any reports whether the list allows every type.
func (a Allowlist) Any() bool { return a.exact == nil && a.wildcards == nil }

// Allows reports whether contentType is well formed and allowed.
func (a Allowlist) Allows(contentType string) bool {
	mt, err := Parse(contentType)
	if err != nil {
		return false
	}
	if a.Any() || a.exact[mt] {
		return true
	}
	for _, w := range a.wildcards {
		if strings.HasPrefix(mt, w) {
			return true
		}
	}
	return false
}

// String lists the allowed types as configured, for error messages.
func (a Allowlist) String() string {
	if a.Any() {
		return "*/*"
	}
	var parts []string
	for _, w := range a.wildcards {
		parts = append(parts, w+"*")
	}
	for t := range a.exact {
		parts = append(parts, t)
	}
	return strings.Join(parts, ", ")
}

// Parse returns the lower-case media type of a Content-Type header value,
// or an error when the value is not a well-formed type/subtype.
//
// The whole value, parameters included, must be printable ASCII (0x20 to
// 0x7E) without leading or trailing spaces: it is signed and sent as a
// header, byte for byte, and [mime.ParseMediaType] alone takes control bytes
// (CR, LF, NUL) inside quoted parameters and around the value, which no
// HTTP client can send and which would split a header. RFC 9110 also
// allows HTAB and obs-text (0x80-0xFF) in field values; they are refused
// too, because browsers' fetch and proxies treat them differently.
func Parse(contentType string) (string, error) {
	if len(contentType) > MaxBytes {
		return "", fmt.Errorf("content type longer than %d bytes", MaxBytes)
	}
	if err := CheckHeaderValue(contentType); err != nil {
		return "", fmt.Errorf("content type %w", err)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("malformed content type: %w", err)
	}
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || !isToken(typ) || !isToken(sub) {
		return "", fmt.Errorf("content type %q is not type/subtype", mt)
	}
	return mt, nil
}

// MaxBytes bounds a Content-Type value.
const MaxBytes = 256

// CheckHeaderValue reports why v cannot be sent and signed as a header
// value exactly as given: a byte outside printable ASCII (control bytes,
// DEL, HTAB, non-ASCII), or a leading or trailing space, which clients
// strip before sending. The error names the first offending byte's
// position, never the value.
func CheckHeaderValue(v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("has a byte outside printable ASCII (0x%02X) at offset %d", c, i)
		}
	}
	if v != "" && (v[0] == ' ' || v[len(v)-1] == ' ') {
		return fmt.Errorf("has a leading or trailing space")
	}
	return nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}*`, c) >= 0 {
			return false
		}
	}
	return true
}
