// Package uploadticket seals and opens the ticket the broker puts in the OSS
// callback of every upload it authorises (presigned PUT, batch presign, POST
// form, Uppy's single PUT), and the upload id it pins on the object.
//
// An OSS callback's RSA signature proves only that OSS sent it: OSS signs the
// callbacks of every customer with one key, and the body is whatever template
// the uploader's request carried, which anyone can fill with literals (our
// bucket, another user's key, any sub). So the callback route acts only on
// what a ticket says: a MAC under the broker's own key over the bucket, key,
// subject, declared type, pinned and maximum size, upload id and expiry,
// carried as the custom variable x:ticket. The presigned request signs
// x-oss-callback-var and the form policy pins x:ticket, so an uploader cannot
// change it; a stranger cannot make one.
//
// Format:
//
//	base64url(payload) "." base64url(HMAC-SHA256(k, "ossbroker.upload-ticket.v1." + base64url(payload)))
//
// k is derived from a configured secret ([DeriveKey]), so every FC instance
// computes the same key. The MAC is checked in constant time before the
// payload is parsed.
package uploadticket

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/ossbroker/ossbroker/pkg/internal/sealed"
)

// Version is the payload version this package writes and accepts.
const Version = 1

// MinSecretBytes is the shortest secret [DeriveKey] accepts (an Alibaba Cloud
// AccessKey secret has 30 characters).
const MinSecretBytes = 16

// MaxLen bounds a ticket Open looks at: a key of 1023 bytes and a long
// subject, JSON-escaped and base64-encoded, stay well below it.
const MaxLen = 32 << 10

const (
	derivationLabel = "ossbroker/upload-callback-ticket/v1"
	macContext      = "ossbroker.upload-ticket.v1."
)

// ErrInvalid is the one error Open returns, whatever was wrong (no ticket,
// forged, truncated, tampered, expired, another version).
var ErrInvalid = errors.New("uploadticket: invalid or expired ticket")

// Claims is what a ticket binds: the upload the broker authorised.
type Claims struct {
	Bucket, Key string
	Subject     string // the uploader's JWT sub
	ContentType string // the declared (signed) type
	// Pinned is the exact length the upload was pinned to, -1 for none.
	Pinned  int64
	MaxSize int64
	// Upload is the upload id ([NewUploadID]), also pinned on the object as
	// metadata: it names this authorisation, so a callback judges only an
	// object version written with it.
	Upload    string
	RequestID string // the request that authorised the upload (for logs)
	Expires   time.Time
}

type payload struct {
	V int    `json:"v"`
	B string `json:"b"`
	K string `json:"k"`
	S string `json:"s"`
	T string `json:"t"`
	P int64  `json:"p"`
	M int64  `json:"m"`
	U string `json:"u"`
	R string `json:"r"`
	E int64  `json:"e"`
}

// Sealer seals and opens tickets with one key; safe for concurrent use.
type Sealer struct{ s *sealed.Sealer }

// DeriveKey turns a configured secret into the ticket key:
// HMAC-SHA256(secret, label), a key no other use of the secret shares.
func DeriveKey(secret []byte) ([]byte, error) {
	k, err := sealed.DeriveKey(secret, derivationLabel, MinSecretBytes)
	if err != nil {
		return nil, fmt.Errorf("uploadticket: %w", err)
	}
	return k, nil
}

// New returns a Sealer using key (from [DeriveKey], or 32 random bytes).
func New(key []byte) (*Sealer, error) {
	s, err := sealed.New(key, macContext)
	if err != nil {
		return nil, fmt.Errorf("uploadticket: %w", err)
	}
	return &Sealer{s: s}, nil
}

// NewUploadID returns a fresh upload id: 16 random bytes, base64url (22
// characters, a safe metadata value and key segment).
func NewUploadID() string {
	var b [16]byte
	rand.Read(b[:])
	return sealed.Encoding.EncodeToString(b[:])
}

// Seal returns the ticket for c. Bucket, key, subject, upload id and expiry
// are required; strings must be valid UTF-8.
func (s *Sealer) Seal(c Claims) (string, error) {
	if c.Bucket == "" || c.Key == "" || c.Subject == "" || c.Upload == "" || c.Expires.IsZero() || c.Pinned < -1 || c.MaxSize <= 0 {
		return "", errors.New("uploadticket: bucket, key, subject, upload id, size limit and expiry are required")
	}
	for _, v := range []string{c.Bucket, c.Key, c.Subject, c.ContentType, c.Upload, c.RequestID} {
		if !utf8.ValidString(v) {
			return "", errors.New("uploadticket: fields must be valid UTF-8")
		}
	}
	t, err := s.s.Seal(payload{V: Version, B: c.Bucket, K: c.Key, S: c.Subject, T: c.ContentType, P: c.Pinned,
		M: c.MaxSize, U: c.Upload, R: c.RequestID, E: c.Expires.Unix()})
	if err != nil {
		return "", err
	}
	if len(t) > MaxLen {
		return "", errors.New("uploadticket: ticket too long")
	}
	return t, nil
}

// Open verifies t and returns its claims if it is still valid at now. Any
// failure is [ErrInvalid].
func (s *Sealer) Open(t string, now time.Time) (Claims, error) {
	if len(t) == 0 || len(t) > MaxLen {
		return Claims{}, ErrInvalid
	}
	var p payload
	if !s.s.Open(t, &p) {
		return Claims{}, ErrInvalid
	}
	if p.V != Version || p.B == "" || p.K == "" || p.S == "" || p.U == "" || p.P < -1 || p.M <= 0 {
		return Claims{}, ErrInvalid
	}
	exp := time.Unix(p.E, 0)
	if !now.Before(exp) {
		return Claims{}, ErrInvalid
	}
	return Claims{Bucket: p.B, Key: p.K, Subject: p.S, ContentType: p.T, Pinned: p.P, MaxSize: p.M, Upload: p.U,
		RequestID: p.R, Expires: exp.UTC()}, nil
}
