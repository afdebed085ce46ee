// Package uploadhandle seals and opens the handle the broker gives out for a
// multipart upload: a compact, URL-safe token that binds the OSS upload id
// to the bucket, key, content type, overwrite choice, size plan and caller
// (JWT sub), and expires.
//
// Without it, anyone who learns an upload id could sign parts of, complete
// or abort someone else's upload (Uppy Companion trusts the uploadId and a
// ?key= from the query; Supabase storage#1390). With it, the broker only
// acts on an upload it started itself, for the same subject, on the key the
// key gate allowed.
//
// Format:
//
//	base64url(payload) "." base64url(HMAC-SHA256(k, "ossbroker.upload-handle.v2." + base64url(payload)))
//
// payload is a JSON object with a version field ("v":2); both parts are
// unpadded base64url, decoded strictly. k is derived from a configured
// secret ([DeriveKey]), so that every FC instance, which shares no memory with
// the others, computes the same key. The MAC is checked in constant time
// before the payload is parsed.
//
// The payload holds the SHA-256 of the subject, not the subject: a JWT's
// sub has no length limit of its own, and a handle must have one that no
// valid input can overflow ([MaxLen], derived from the bound of every
// field). Version 1 held the subject itself; its handles no longer open.
package uploadhandle

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/ossbroker/ossbroker/pkg/internal/sealed"
	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/objectkey"
)

// Version is the payload version this package writes and accepts.
const Version = 2

// MinSecretBytes is the shortest secret [DeriveKey] accepts: an Alibaba
// Cloud AccessKey secret has 30 characters. A dedicated handle secret
// should have at least 32 bytes (the configuration asks for that).
const MinSecretBytes = 16

// Bounds of the fields Seal takes. Key and content type are the broker's
// own limits ([objectkey.MaxKeyBytes], [mediatype.MaxBytes]); a bucket name
// has at most 63 bytes; OSS's upload ids are 32 hex digits.
const (
	MaxBucketBytes      = 63
	MaxKeyBytes         = objectkey.MaxKeyBytes
	MaxUploadIDBytes    = 256
	MaxContentTypeBytes = mediatype.MaxBytes
)

// MaxLen bounds a handle. It is derived from the field bounds, with every
// string byte counted at JSON's worst growth (6: a control byte becomes
// \u00XX), so that Seal never refuses claims within the bounds: no valid
// key, however it escapes, can make a handle too long.
const MaxLen = (maxPayload+2)/3*4 + 1 + (sha256.Size*4+2)/3

const maxPayload = len(`{"v":2,"b":"","k":"","u":"","s":"","t":"","o":true,"z":,"p":,"e":}`) +
	6*(MaxBucketBytes+MaxKeyBytes+MaxUploadIDBytes+MaxContentTypeBytes) +
	(sha256.Size*4+2)/3 + 3*len("-9223372036854775808")

// derivationLabel separates the handle key from every other use of the
// secret it is derived from (the OSS AccessKey secret, the JWT secret).
const derivationLabel = "ossbroker/multipart-upload-handle/v1"

// macContext is prefixed to the signed text, so that a MAC made under this
// key can never be mistaken for one over another kind of message.
const macContext = "ossbroker.upload-handle.v2."

// ErrInvalid is the one error Open returns, whatever was wrong (forged,
// truncated, tampered, expired, wrong version): callers answer the same way
// to all of them.
var ErrInvalid = errors.New("uploadhandle: invalid or expired handle")

// Claims is what a handle binds.
type Claims struct {
	Bucket   string
	Key      string
	UploadID string
	// Subject is the caller (JWT sub) the handle is for; the handle keeps
	// only its SHA-256, and Open takes it to compare.
	Subject     string
	ContentType string
	Overwrite   bool
	// Size is the object size the caller declared at initiate (0 when not
	// declared); PartSize is the size of every part but the last.
	Size     int64
	PartSize int64
	Expires  time.Time // whole seconds
}

// payload is the JSON form; short names keep the handle compact.
type payload struct {
	V int    `json:"v"`
	B string `json:"b"`
	K string `json:"k"`
	U string `json:"u"`
	S string `json:"s"`
	T string `json:"t"`
	O bool   `json:"o,omitempty"`
	Z int64  `json:"z,omitempty"`
	P int64  `json:"p"`
	E int64  `json:"e"`
}

// Sealer seals and opens handles with one key. It is safe for concurrent
// use.
type Sealer struct {
	s *sealed.Sealer
}

// DeriveKey turns a configured secret into the handle key:
// HMAC-SHA256(secret, label). The secret must be at least [MinSecretBytes].
func DeriveKey(secret []byte) ([]byte, error) {
	k, err := sealed.DeriveKey(secret, derivationLabel, MinSecretBytes)
	if err != nil {
		return nil, fmt.Errorf("uploadhandle: %w", err)
	}
	return k, nil
}

// New returns a Sealer using key (from [DeriveKey], or any 32 random bytes).
func New(key []byte) (*Sealer, error) {
	s, err := sealed.New(key, macContext)
	if err != nil {
		return nil, fmt.Errorf("uploadhandle: %w", err)
	}
	return &Sealer{s: s}, nil
}

// Seal returns the handle for c. Every string field but ContentType must be
// non-empty valid UTF-8 within its bound, and Expires must be set.
func (s *Sealer) Seal(c Claims) (string, error) {
	if c.Bucket == "" || c.Key == "" || c.UploadID == "" || c.Subject == "" || c.Expires.IsZero() || c.PartSize <= 0 || c.Size < 0 {
		return "", errors.New("uploadhandle: bucket, key, upload id, subject, part size and expiry are required")
	}
	if len(c.Bucket) > MaxBucketBytes || len(c.Key) > MaxKeyBytes || len(c.UploadID) > MaxUploadIDBytes || len(c.ContentType) > MaxContentTypeBytes {
		return "", errors.New("uploadhandle: a field is over its bound")
	}
	for _, v := range []string{c.Bucket, c.Key, c.UploadID, c.Subject, c.ContentType} {
		if !utf8.ValidString(v) {
			return "", errors.New("uploadhandle: fields must be valid UTF-8")
		}
	}
	h, err := s.s.Seal(payload{V: Version, B: c.Bucket, K: c.Key, U: c.UploadID, S: subjectDigest(c.Subject), T: c.ContentType,
		O: c.Overwrite, Z: c.Size, P: c.PartSize, E: c.Expires.Unix()})
	if err != nil {
		return "", err
	}
	if len(h) > MaxLen {
		// Unreachable within the bounds (TestMaxLenHolds).
		return "", errors.New("uploadhandle: handle too long")
	}
	return h, nil
}

// subjectDigest is what the payload keeps of the subject.
func subjectDigest(subject string) string {
	d := sha256.Sum256([]byte(subject))
	return sealed.Encoding.EncodeToString(d[:])
}

// Open verifies h and returns its claims if it is still valid at now and
// was sealed for subject. Any failure is [ErrInvalid].
func (s *Sealer) Open(h, subject string, now time.Time) (Claims, error) {
	if len(h) == 0 || len(h) > MaxLen {
		return Claims{}, ErrInvalid
	}
	// Open checks the MAC before it parses the payload, strictly.
	var p payload
	if !s.s.Open(h, &p) {
		return Claims{}, ErrInvalid
	}
	if p.V != Version || p.B == "" || p.K == "" || p.U == "" || p.S == "" || p.P <= 0 || p.Z < 0 {
		return Claims{}, ErrInvalid
	}
	exp := time.Unix(p.E, 0)
	if !now.Before(exp) {
		return Claims{}, ErrInvalid
	}
	if subject == "" || !hmac.Equal([]byte(p.S), []byte(subjectDigest(subject))) {
		return Claims{}, ErrInvalid
	}
	return Claims{Bucket: p.B, Key: p.K, UploadID: p.U, Subject: subject, ContentType: p.T, Overwrite: p.O,
		Size: p.Z, PartSize: p.P, Expires: exp.UTC()}, nil
}
