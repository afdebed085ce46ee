package objectkey

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxKeyBytes is the longest key OSS accepts.
const MaxKeyBytes = 1023

// MaxClaimBytes bounds a claim value used as a path segment.
const MaxClaimBytes = 255

var (
	// ErrInvalid: the key breaks a rule (HTTP 400 invalid_key).
	ErrInvalid = errors.New("invalid object key")
	// ErrOutsidePrefix: the key is fine but not under the caller's prefix
	// (HTTP 403 key_outside_prefix).
	ErrOutsidePrefix = errors.New("key outside the allowed prefix")
)

// Claims gives string claims of the authenticated caller; auth.Principal
// satisfies it.
type Claims interface {
	Claim(name string) (string, bool)
}

// part is one segment of a prefix template: a literal (with its trailing
// "/") or a claim placeholder.
type part struct {
	lit   string // literal text including the trailing "/"
	claim string // claim name when this part is a placeholder
}

// Policy decides whether a key is allowed. It is immutable and safe for
// concurrent use.
type Policy struct {
	template string
	pattern  string
	parts    []part
	static   bool // no placeholders: template is the prefix
}

// NewPolicy parses a prefix template such as "exampledir/" or
// "exampledir/{sub}/".
func NewPolicy(prefixTemplate string) (*Policy, error) {
	t := prefixTemplate
	if t == "" {
		return nil, errors.New("objectkey: prefix template is empty")
	}
	if !strings.HasSuffix(t, "/") {
		return nil, fmt.Errorf("objectkey: prefix template %q must end in \"/\"", t)
	}
	if err := Validate(t); err != nil {
		return nil, fmt.Errorf("objectkey: prefix template %q is not a valid key: %w", t, err)
	}
	p := &Policy{template: t, static: true}
	var lit, pat strings.Builder
	for seg := range strings.SplitSeq(t[:len(t)-1], "/") {
		if !strings.ContainsAny(seg, "{}") {
			lit.WriteString(seg)
			lit.WriteByte('/')
			pat.WriteString(seg)
			pat.WriteByte('/')
			continue
		}
		name, ok := placeholder(seg)
		if !ok {
			return nil, fmt.Errorf("objectkey: prefix template %q: %q is not a placeholder; \"{name}\" must be a whole path segment with a name of letters, digits, '_', '-', '.' or ':'", t, seg)
		}
		if lit.Len() > 0 {
			p.parts = append(p.parts, part{lit: lit.String()})
			lit.Reset()
		}
		p.parts = append(p.parts, part{claim: name})
		p.static = false
		pat.WriteString("*/")
	}
	if lit.Len() > 0 {
		p.parts = append(p.parts, part{lit: lit.String()})
	}
	p.pattern = pat.String()
	return p, nil
}

// placeholder reports the claim name of a "{name}" segment.
func placeholder(seg string) (string, bool) {
	if len(seg) < 3 || seg[0] != '{' || seg[len(seg)-1] != '}' {
		return "", false
	}
	name := seg[1 : len(seg)-1]
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '_', c == '-', c == '.', c == ':':
		default:
			return "", false
		}
	}
	return name, true
}

// Template returns the prefix template as configured.
func (p *Policy) Template() string { return p.template }

// Pattern returns the prefix with each placeholder replaced by "*", e.g.
// "exampledir/*/" (for RAM policy resources).
func (p *Policy) Pattern() string { return p.pattern }

// Prefix returns the prefix for this caller.
func (p *Policy) Prefix(c Claims) (string, error) {
	if p.static {
		return p.template, nil
	}
	var b strings.Builder
	b.Grow(len(p.template) + 32)
	for _, pt := range p.parts {
		if pt.claim == "" {
			b.WriteString(pt.lit)
			continue
		}
		v, err := claimSegment(c, pt.claim)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		b.WriteByte('/')
	}
	return b.String(), nil
}

// claimSegment returns the value of claim name if it is a safe single path
// segment.
func claimSegment(c Claims, name string) (string, error) {
	if c == nil {
		return "", fmt.Errorf("%w: no principal for claim %q", ErrOutsidePrefix, name)
	}
	v, ok := c.Claim(name)
	switch {
	case !ok:
		return "", fmt.Errorf("%w: claim %q is missing or not a string", ErrOutsidePrefix, name)
	case v == "":
		return "", fmt.Errorf("%w: claim %q is empty", ErrOutsidePrefix, name)
	case len(v) > MaxClaimBytes:
		return "", fmt.Errorf("%w: claim %q is longer than %d bytes", ErrOutsidePrefix, name, MaxClaimBytes)
	case v == "." || v == ".." || ignorableSegment(v):
		return "", fmt.Errorf("%w: claim %q is a dot segment", ErrOutsidePrefix, name)
	}
	if i := strings.IndexByte(v, '/'); i >= 0 {
		return "", fmt.Errorf("%w: claim %q contains \"/\"", ErrOutsidePrefix, name)
	}
	if _, why := checkChars(v); why != "" {
		return "", fmt.Errorf("%w: claim %q: %s", ErrOutsidePrefix, name, why)
	}
	return v, nil
}

// Resolve checks key (already decoded) for caller c and returns the key to
// use. For a folder (a key ending in "/", or the prefix itself) the result is
// the folder plus a generated unique name with an extension that fits
// contentType. Errors wrap [ErrInvalid] or [ErrOutsidePrefix].
func (p *Policy) Resolve(key string, c Claims, contentType string) (string, error) {
	if err := Validate(key); err != nil {
		return "", err
	}
	if err := p.match(key, c); err != nil {
		return "", err
	}
	if key[len(key)-1] != '/' {
		return key, nil
	}
	ext := ExtensionFor(contentType)
	if len(key)+nameLen+len(ext) > MaxKeyBytes {
		return "", fmt.Errorf("%w: folder too long to hold a generated name (%d bytes)", ErrInvalid, len(key))
	}
	return generate(key, ext), nil
}

// match checks that key starts with the caller's prefix, without building the
// prefix string.
func (p *Policy) match(key string, c Claims) error {
	if p.static {
		if !strings.HasPrefix(key, p.template) {
			return p.outside()
		}
		return nil
	}
	rest := key
	for _, pt := range p.parts {
		if pt.claim == "" {
			if !strings.HasPrefix(rest, pt.lit) {
				return p.outside()
			}
			rest = rest[len(pt.lit):]
			continue
		}
		v, err := claimSegment(c, pt.claim)
		if err != nil {
			return err
		}
		if len(rest) <= len(v) || rest[len(v)] != '/' || rest[:len(v)] != v {
			return p.outside()
		}
		rest = rest[len(v)+1:]
	}
	return nil
}

func (p *Policy) outside() error {
	return fmt.Errorf("%w: the key must start with %q", ErrOutsidePrefix, p.pattern)
}

// Validate applies the key rules alone, without a prefix. Errors wrap
// [ErrInvalid].
func Validate(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalid)
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalid, len(key), MaxKeyBytes)
	case key[0] == '/':
		return fmt.Errorf("%w: leading \"/\"", ErrInvalid)
	}
	if i, why := checkChars(key); why != "" {
		return fmt.Errorf("%w: %s at byte %d", ErrInvalid, why, i)
	}
	// Segments: none empty (except a final one), none "." or "..".
	start := 0
	for i := 0; i <= len(key); i++ {
		if i < len(key) && key[i] != '/' {
			continue
		}
		seg := key[start:i]
		switch {
		case seg == "" && i < len(key):
			return fmt.Errorf("%w: empty segment (\"//\") at byte %d", ErrInvalid, start)
		case seg == "." || seg == "..":
			return fmt.Errorf("%w: %q segment at byte %d", ErrInvalid, seg, start)
		case seg != "" && (seg[0] == '.' || seg[0] >= utf8.RuneSelf) && ignorableSegment(seg):
			return fmt.Errorf("%w: segment at byte %d shows as empty, \".\" or \"..\" (invisible characters)", ErrInvalid, start)
		}
		start = i + 1
	}
	return nil
}

// checkChars finds the first byte offset and reason of a character the rules
// refuse, or returns "" when all are fine. "/" is not checked here.
func checkChars(s string) (int, string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c < 0x20 || c == 0x7f:
				return i, "control character " + hexRune(rune(c))
			case c == '\\':
				return i, "backslash"
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return i, "invalid UTF-8"
		}
		if r == zwnj || r == zwj {
			// Only between two characters, neither of them "." nor "/".
			if i == 0 || i+size == len(s) || s[i-1] == '.' || s[i-1] == '/' || s[i+size] == '.' || s[i+size] == '/' {
				return i, "zero-width joiner or non-joiner next to \".\" or \"/\" " + hexRune(r)
			}
		} else if why := badRune(r); why != "" {
			return i, why + " " + hexRune(r)
		}
		i += size
	}
	return 0, ""
}

const (
	zwnj = 0x200c // ZERO WIDTH NON-JOINER
	zwj  = 0x200d // ZERO WIDTH JOINER
)

// badRune classifies a non-ASCII rune the rules refuse (ZWNJ and ZWJ, which
// depend on their neighbours, are checkChars's).
func badRune(r rune) string {
	switch {
	case r <= 0x9f || r == 0x2028 || r == 0x2029: // Cc beyond ASCII, Zl, Zp (TestCategoriesAsWritten)
		return "control character"
	case unicode.Is(unicode.Cf, r):
		if unicode.Is(unicode.Bidi_Control, r) {
			return "bidi control character"
		}
		return "invisible format character"
	case r == utf8.RuneError:
		return "replacement character"
	case unicode.Is(nfkcLookalikes, r):
		return "character whose NFKC form holds \".\", \"/\", \"\\\" or a refused character"
	}
	switch r {
	case 0x2215, 0x2044, 0x29f8, 0x0337, 0x0338, 0x1735, // slashes
		0x2216, 0x29f5, 0x29f9: // backslashes
		return "look-alike of \"/\" or \"\\\""
	}
	return ""
}

// ignorableSegment reports whether seg, which is not empty, shows as empty,
// "." or "..": what is left once its default-ignorable code points (Unicode's
// Default_Ignorable_Code_Point: format characters, variation selectors and
// the other invisible ones) are removed is "", "." or "..".
func ignorableSegment(seg string) bool {
	dots := 0
	for _, r := range seg {
		switch {
		case r == '.':
			if dots++; dots > 2 {
				return false
			}
		case r < utf8.RuneSelf:
			return false
		case !unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point):
			return false
		}
	}
	return true
}

func hexRune(r rune) string {
	s := strconv.FormatInt(int64(r), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return "U+" + strings.ToUpper(s)
}

// Generated names: 128 random bits in lowercase base32 without padding,
// which is URL-safe and case-insensitive-file-system-safe.
var nameEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const nameBytes = 16

var nameLen = nameEncoding.EncodedLen(nameBytes)

func generate(folder, ext string) string {
	var raw [nameBytes]byte
	rand.Read(raw[:]) // never fails (Go 1.24+)
	var enc [32]byte
	nameEncoding.Encode(enc[:], raw[:])
	var b strings.Builder
	b.Grow(len(folder) + nameLen + len(ext))
	b.WriteString(folder)
	b.Write(enc[:nameLen])
	b.WriteString(ext)
	return b.String()
}

// extensions maps a media type (lowercase, no parameters) to the file
// extension of a generated name.
var extensions = map[string]string{
	"image/png":          ".png",
	"image/jpeg":         ".jpg",
	"image/gif":          ".gif",
	"image/webp":         ".webp",
	"image/avif":         ".avif",
	"image/heic":         ".heic",
	"image/bmp":          ".bmp",
	"image/tiff":         ".tiff",
	"image/svg+xml":      ".svg",
	"image/x-icon":       ".ico",
	"application/pdf":    ".pdf",
	"application/json":   ".json",
	"application/xml":    ".xml",
	"application/zip":    ".zip",
	"application/gzip":   ".gz",
	"application/x-tar":  ".tar",
	"text/plain":         ".txt",
	"text/csv":           ".csv",
	"text/html":          ".html",
	"text/css":           ".css",
	"text/markdown":      ".md",
	"text/xml":           ".xml",
	"video/mp4":          ".mp4",
	"video/webm":         ".webm",
	"video/quicktime":    ".mov",
	"audio/mpeg":         ".mp3",
	"audio/mp4":          ".m4a",
	"audio/ogg":          ".ogg",
	"audio/wav":          ".wav",
	"audio/webm":         ".weba",
	"application/msword": ".doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}

// ExtensionFor returns the extension (with its dot) a generated name gets for
// contentType, or "" when the type is unknown. Parameters such as
// "; charset=utf-8" and letter case are ignored.
func ExtensionFor(contentType string) string {
	mt := contentType
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	mt = strings.TrimSpace(mt)
	if e, ok := extensions[mt]; ok {
		return e
	}
	return extensions[strings.ToLower(mt)]
}

// Within checks a key when the caller's claims are not at hand (an OSS
// upload callback, an OSS event): a valid key, not a folder, under the
// prefix with each placeholder standing for one segment a claim could hold
// (the same rules as Resolve's). Errors wrap [ErrInvalid] or [ErrOutsidePrefix].
func (p *Policy) Within(key string) error {
	if err := Validate(key); err != nil {
		return err
	}
	if strings.HasSuffix(key, "/") {
		return fmt.Errorf("%w: a folder is not an object", ErrInvalid)
	}
	seen := segmentClaims{}
	rest := key
	for _, pt := range p.parts {
		if pt.claim == "" {
			if !strings.HasPrefix(rest, pt.lit) {
				return p.outside()
			}
			rest = rest[len(pt.lit):]
			continue
		}
		seg, after, ok := strings.Cut(rest, "/")
		if !ok {
			return p.outside()
		}
		if prev, dup := seen[pt.claim]; dup && prev != seg {
			return p.outside() // one claim, two values
		}
		seen[pt.claim] = seg
		rest = after
	}
	return p.match(key, seen)
}

// segmentClaims are claim values read from a key's own segments.
type segmentClaims map[string]string

func (c segmentClaims) Claim(name string) (string, bool) { v, ok := c[name]; return v, ok }
