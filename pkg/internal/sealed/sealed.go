// Package sealed writes and reads the broker's MAC-sealed tokens: a JSON
// payload, base64url, a dot, and base64url(HMAC-SHA256(key, context +
// base64url(payload))). The multipart handle (package uploadhandle) and the
// callback ticket (package uploadticket) are both such tokens, each with its
// own key, context and payload; this package holds what they share, so the
// MAC is checked one way, in constant time, before any payload is parsed.
package sealed

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Encoding is the base64 of every part of a token.
var Encoding = base64.RawURLEncoding.Strict()

// DeriveKey turns a configured secret into a key bound to label:
// HMAC-SHA256(secret, label). A secret shorter than minBytes is refused.
func DeriveKey(secret []byte, label string, minBytes int) ([]byte, error) {
	if len(secret) < minBytes {
		return nil, fmt.Errorf("the secret is %d bytes; at least %d are required", len(secret), minBytes)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil), nil
}

// A Sealer seals and opens tokens with one key and context; it is safe for
// concurrent use.
type Sealer struct {
	key     []byte
	context string
}

// New returns a Sealer for key (at least 32 bytes) whose MACs cover context
// before the payload, so that a MAC made for one kind of token never
// verifies another.
func New(key []byte, context string) (*Sealer, error) {
	if len(key) < 32 {
		return nil, errors.New("the key must be at least 32 bytes")
	}
	return &Sealer{key: bytes.Clone(key), context: context}, nil
}

// Seal returns the token for payload, which encodes as JSON without HTML
// escaping.
func (s *Sealer) Seal(payload any) (string, error) {
	var buf bytes.Buffer
	je := json.NewEncoder(&buf)
	je.SetEscapeHTML(false)
	if err := je.Encode(payload); err != nil {
		return "", err
	}
	body := Encoding.EncodeToString(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return body + "." + Encoding.EncodeToString(s.MAC(body)), nil
}

// MAC is the MAC of a token whose payload part is body.
func (s *Sealer) MAC(body string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(s.context))
	m.Write([]byte(body))
	return m.Sum(nil)
}

// Open verifies the MAC of token t and only then decodes its payload into
// v, strictly (no unknown fields, nothing after it). It reports whether
// both held; callers answer every failure alike.
func (s *Sealer) Open(t string, v any) bool {
	body, sig, ok := strings.Cut(t, ".")
	if !ok || body == "" || strings.Contains(sig, ".") {
		return false
	}
	got, err := Encoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size || !hmac.Equal(got, s.MAC(body)) {
		return false
	}
	raw, err := Encoding.DecodeString(body)
	if err != nil {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v) == nil && !dec.More()
}
