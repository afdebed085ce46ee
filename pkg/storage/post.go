package storage

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// PostUpload describes a browser form upload (OSS PostObject with a V4
// policy, OSS documentation: PostObject).
type PostUpload struct {
	Key         string
	ContentType string
	// MaxBytes is the upper bound of the policy's content-length-range,
	// which bounds the uploaded file (the object), not the form around it.
	MaxBytes  int64
	Overwrite bool
	// ContentDisposition and CacheControl, when set, are form fields the
	// policy pins exactly. Unset, the uploader may add them (OSS checks
	// only the fields a policy names).
	ContentDisposition string
	CacheControl       string
	// Callback is the form's callback field (base64 JSON, see Callback)
	// and CallbackVars its x:name fields; the policy pins each one.
	Callback     string
	CallbackVars map[string]string
	// Metadata are x-oss-meta-* form fields (names without the prefix);
	// the policy pins each one exactly.
	Metadata map[string]string
}

// PostForm is what a browser needs for PostObject: a multipart/form-data
// POST to URL with Fields, then the file as the last field ("file").
type PostForm struct {
	URL     string
	Fields  map[string]string
	Expires time.Time
}

// PostSuccessStatus is the success_action_status every form asks for:
// 204, no body.
const PostSuccessStatus = "204"

// PresignPost signs a PostObject form for u valid for ttl (at most the
// credentials' own remaining lifetime, for STS credentials that say when
// they expire).
func (c *Client) PresignPost(ctx context.Context, u PostUpload, ttl time.Duration) (PostForm, error) {
	if u.Key == "" || u.MaxBytes < 0 {
		return PostForm{}, errors.New("storage: presign post: a key and a non-negative size bound are required")
	}
	now := c.now().UTC()
	expires := now.Add(ttl).Truncate(time.Second)
	cr, err := c.creds.GetCredentials(ctx)
	if err != nil || cr.AccessKeyID == "" || cr.AccessKeySecret == "" {
		return PostForm{}, fmt.Errorf("presign post %q: %w", u.Key, ErrCredentialsUnavailable)
	}
	if cr.Expires != nil && cr.Expires.Before(expires) {
		expires = cr.Expires.Truncate(time.Second)
	}
	if expires.Sub(now) > maxPresignExpiry {
		return PostForm{}, fmt.Errorf("presign post %q: %w", u.Key, errExpiryTooLong)
	}
	form := SignPost(PostSigning{
		Bucket: c.bucket, Region: c.presign.region, Credentials: cr, Now: now, Expires: expires, Upload: u,
		signingKey: c.presign.keys.get(cr.AccessKeySecret, now.Format("20060102"), c.presign.region)[:],
	})
	form.URL = c.postURL()
	return form, nil
}

// postURL is the bucket's URL: https://bucket.endpoint/ (virtual-hosted),
// or scheme://host:port/bucket for path style.
func (c *Client) postURL() string {
	if c.presign.urlPrefix == "/" {
		return c.presign.origin + "/"
	}
	return c.presign.origin + c.presign.urlPrefix[:len(c.presign.urlPrefix)-1]
}

// PostSigning is the input of [SignPost].
type PostSigning struct {
	Bucket      string
	Region      string
	Credentials credentials.Credentials
	Now         time.Time // x-oss-date
	Expires     time.Time // the policy's expiration
	Upload      PostUpload

	signingKey []byte // cached V4 signing key for (secret, date, region); derived when nil
}

// SignPost builds the policy and the form fields (URL left empty). The
// policy pins everything the form sets: bucket, key (exact), Content-Type,
// the V4 fields (and the STS token), x-oss-forbid-overwrite unless
// overwriting, and content-length-range [0, MaxBytes].
func SignPost(in PostSigning) PostForm {
	now := in.Now.UTC()
	date := now.Format("20060102")
	datetime := now.Format("20060102T150405Z")
	credential := in.Credentials.AccessKeyID + "/" + date + "/" + in.Region + "/" + v4Product + "/" + v4Terminator
	u := in.Upload

	fields := map[string]string{
		"key":                     u.Key,
		"Content-Type":            u.ContentType,
		"success_action_status":   PostSuccessStatus,
		"x-oss-signature-version": v4Algorithm,
		"x-oss-credential":        credential,
		"x-oss-date":              datetime,
	}
	conds := []any{
		map[string]string{"bucket": in.Bucket},
		map[string]string{"x-oss-signature-version": v4Algorithm},
		map[string]string{"x-oss-credential": credential},
		map[string]string{"x-oss-date": datetime},
	}
	if tok := in.Credentials.SecurityToken; tok != "" {
		fields["x-oss-security-token"] = tok
		conds = append(conds, map[string]string{"x-oss-security-token": tok})
	}
	conds = append(conds,
		[]any{"eq", "$key", u.Key},
		[]any{"eq", "$content-type", u.ContentType},
		[]any{"content-length-range", 0, u.MaxBytes},
	)
	if u.ContentDisposition != "" {
		fields["Content-Disposition"] = u.ContentDisposition
		conds = append(conds, []any{"eq", "$content-disposition", u.ContentDisposition})
	}
	if u.CacheControl != "" {
		fields["Cache-Control"] = u.CacheControl
		conds = append(conds, []any{"eq", "$cache-control", u.CacheControl})
	}
	if !u.Overwrite {
		fields["x-oss-forbid-overwrite"] = "true"
		conds = append(conds, []any{"eq", "$x-oss-forbid-overwrite", "true"})
	}
	if len(u.Metadata) > 0 {
		names := make([]string, 0, len(u.Metadata))
		for k := range u.Metadata {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			f := "x-oss-meta-" + strings.ToLower(k)
			fields[f] = u.Metadata[k]
			conds = append(conds, []any{"eq", "$" + f, u.Metadata[k]})
		}
	}
	if u.Callback != "" {
		fields["callback"] = u.Callback
		conds = append(conds, map[string]string{"callback": u.Callback})
		names := make([]string, 0, len(u.CallbackVars))
		for k := range u.CallbackVars {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			fields[k] = u.CallbackVars[k]
			conds = append(conds, []any{"eq", "$" + k, u.CallbackVars[k]})
		}
	}
	policy := PostPolicy(in.Expires, conds)
	b64 := base64.StdEncoding.EncodeToString(policy)
	key := in.signingKey
	if key == nil {
		key = deriveKey(in.Credentials.AccessKeySecret, date, in.Region)
	}
	fields["policy"] = b64
	fields["x-oss-signature"] = PostSignature(key, b64)
	return PostForm{Fields: fields, Expires: in.Expires.UTC()}
}

// PostPolicy is the policy document: {"expiration":"<ISO 8601, ms, Z>",
// "conditions":[...]}, keys in that order, with JSON's escaping.
func PostPolicy(expires time.Time, conditions []any) []byte {
	c, err := json.Marshal(conditions)
	if err != nil {
		// Conditions are strings, numbers, maps and lists of them.
		panic("storage: post policy conditions: " + err.Error())
	}
	out := make([]byte, 0, len(c)+64)
	out = append(out, `{"expiration":`...)
	out = strconv.AppendQuote(out, expires.UTC().Format("2006-01-02T15:04:05.000Z"))
	out = append(out, `,"conditions":`...)
	out = append(out, c...)
	return append(out, '}')
}

// PostSignature is the V4 POST signature: lowercase hex
// HMAC-SHA256(signingKey, base64Policy); the base64 policy is the string
// to sign (no canonical request).
func PostSignature(signingKey []byte, base64Policy string) string {
	m := hmac.New(sha256.New, signingKey)
	m.Write([]byte(base64Policy))
	return hex.EncodeToString(m.Sum(nil))
}

// PostSigningKey is the V4 signing key for secret on date (yyyymmdd) in
// region, product "oss".
func PostSigningKey(secret, date, region string) []byte { return deriveKey(secret, date, region) }

// ObjectURL is the object's unsigned URL (what OSS puts in a completed
// multipart upload's Location): the bucket's URL and the escaped key.
func (c *Client) ObjectURL(key string) string {
	return c.presign.origin + string(appendEscaped([]byte(c.presign.urlPrefix), key, false))
}
