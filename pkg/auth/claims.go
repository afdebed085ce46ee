package auth

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ossbroker/ossbroker/pkg/internal/jsonstring"
)

// tokenClaims decodes the payload once: the registered claims for
// validation, and every top-level claim kept raw for [Principal.Claim].
// Names match exactly (encoding/json's struct decoding would also take
// "SUB" or "Exp" for the registered claims).
type tokenClaims struct {
	jwt.RegisteredClaims
	raw map[string]json.RawMessage
}

// UnmarshalJSON refuses a payload that is not lossless Unicode (invalid
// UTF-8, or a \u escape of an unpaired surrogate): encoding/json would turn
// each such string into U+FFFD, so two subjects would become one caller and
// share a per-user folder.
func (c *tokenClaims) UnmarshalJSON(b []byte) error {
	if !jsonstring.Lossless(b) {
		return errMarkUnicode
	}
	m, ok := members(b)
	if !ok {
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
	}
	c.raw = m
	r := &c.RegisteredClaims
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"iss", &r.Issuer}, {"sub", &r.Subject}, {"jti", &r.ID}} {
		if v, ok := m[f.name]; ok {
			if err := decodeString(v, f.dst); err != nil {
				return err
			}
		}
	}
	for _, f := range [...]struct {
		name string
		dst  **jwt.NumericDate
	}{{"exp", &r.ExpiresAt}, {"nbf", &r.NotBefore}, {"iat", &r.IssuedAt}} {
		if v, ok := m[f.name]; ok && string(v) != "null" {
			if n, ok := seconds(v); ok {
				*f.dst = jwt.NewNumericDate(time.Unix(n, 0))
				continue
			}
			d := new(jwt.NumericDate)
			if err := d.UnmarshalJSON(v); err != nil {
				return err
			}
			*f.dst = d
		}
	}
	if v, ok := m["aud"]; ok {
		if err := r.Audience.UnmarshalJSON(v); err != nil {
			return err
		}
	}
	return nil
}

// members splits a JSON object into its members' raw values, as
// [json.Unmarshal] into a map[string]json.RawMessage does (the last of
// duplicate names wins), without reflection. It relies on b being valid
// JSON, which encoding/json checks before it calls an UnmarshalJSON method,
// and reports false for what it leaves to encoding/json: anything but an
// object, and names with escapes or non-ASCII bytes.
func members(b []byte) (map[string]json.RawMessage, bool) {
	b = bytes.Clone(b) // the values alias it, as json.RawMessage copies would not
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	m := make(map[string]json.RawMessage, 8)
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return m, true
	}
	for i < len(b) && b[i] == '"' {
		end := i + 1
		for end < len(b) && b[end] != '"' {
			if c := b[end]; c == '\\' || c >= utf8.RuneSelf {
				return nil, false
			}
			end++
		}
		name := string(b[i+1 : end])
		i = skipSpace(b, end+1) // at ':'
		start := skipSpace(b, i+1)
		stop := skipValue(b, start)
		m[name] = b[start:stop:stop]
		i = skipSpace(b, stop)
		if i >= len(b) || b[i] != ',' {
			break
		}
		i = skipSpace(b, i+1)
	}
	return m, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the valid JSON value starting at i.
func skipValue(b []byte, i int) int {
	depth, inString := 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
				if depth == 0 {
					return i + 1
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 { // the end of the enclosing object
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return i
		}
	}
	return i
}

// seconds reads a date claim written as a plain integer of up to 15
// digits, which float64 (jwt.NumericDate's own decoding) holds exactly.
func seconds(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 15 || v[0] == '0' && len(v) > 1 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// decodeString is [json.Unmarshal] into a string, without reflection for the
// common case of a string with no escapes.
func decodeString(raw json.RawMessage, dst *string) error {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' &&
		bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		*dst = string(raw[1 : n-1])
		return nil
	}
	return json.Unmarshal(raw, dst)
}

// Validate adds the checks golang-jwt does not make (run after the
// signature is verified).
func (c *tokenClaims) Validate() error {
	if c.Subject == "" {
		return errMarkNoSubject
	}
	return nil
}

// Principal is the verified caller.
type Principal struct {
	Subject string
	claims  map[string]json.RawMessage
}

// Claim returns a string-valued top-level claim (including "sub"). Claims of
// other types (numbers, booleans, objects, arrays, null) report false.
func (p Principal) Claim(name string) (string, bool) {
	if name == "sub" && p.Subject != "" {
		return p.Subject, true
	}
	raw, ok := p.claims[name]
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// Scopes returns the scopes under claim: a space-separated string (OAuth
// "scope") or an array of strings (e.g. "permissions"). For "scope" the
// "scp" claim is used when "scope" is absent. Other shapes yield nil.
func (p Principal) Scopes(claim string) []string {
	raw, ok := p.claims[claim]
	if !ok && claim == "scope" {
		raw, ok = p.claims["scp"]
	}
	if !ok || len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		return strings.Fields(s)
	case '[':
		var a []string
		if json.Unmarshal(raw, &a) != nil {
			return nil
		}
		return a
	}
	return nil
}
