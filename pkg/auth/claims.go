package auth

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// tokenClaims decodes the payload once: the registered claims for
// validation, and every top-level claim kept raw for Principal.Claim.
// Names match exactly (encoding/json's struct decoding would also take
// "SUB" or "Exp" for the registered claims).
type tokenClaims struct {
	jwt.RegisteredClaims
	raw map[string]json.RawMessage
}

func (c *tokenClaims) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	c.raw = m
	r := &c.RegisteredClaims
	for name, dst := range map[string]*string{"iss": &r.Issuer, "sub": &r.Subject, "jti": &r.ID} {
		if v, ok := m[name]; ok {
			if err := decodeString(v, dst); err != nil {
				return err
			}
		}
	}
	for name, dst := range map[string]**jwt.NumericDate{"exp": &r.ExpiresAt, "nbf": &r.NotBefore, "iat": &r.IssuedAt} {
		if v, ok := m[name]; ok && string(v) != "null" {
			d := new(jwt.NumericDate)
			if err := d.UnmarshalJSON(v); err != nil {
				return err
			}
			*dst = d
		}
	}
	if v, ok := m["aud"]; ok {
		if err := r.Audience.UnmarshalJSON(v); err != nil {
			return err
		}
	}
	return nil
}

// decodeString is json.Unmarshal into a string, without reflection for the
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
