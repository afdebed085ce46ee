package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// OSS's multipart limits (OSS documentation, Multipart upload: 1 to 10000 parts of 100 KB to 5 GB).
const (
	MinPartSize   = 100 << 10 // every part but the last
	MaxPartSize   = 5 << 30
	MaxPartNumber = 10000
)

// MaxPutSize is OSS's limit on one PutObject or PostObject (5 GiB).
const MaxPutSize = 5 << 30

// Errors of the multipart calls besides the package's others.
var (
	ErrNoSuchUpload = errors.New("no such multipart upload")
	ErrInvalidPart  = errors.New("a listed part was not uploaded, or its ETag does not match")
	ErrPartOrder    = errors.New("the parts are not in ascending order")
	ErrPartTooSmall = errors.New("a part other than the last is under 100 KiB")
)

// InitiateMultipart starts a multipart upload of u (key, content type,
// metadata, and x-oss-forbid-overwrite unless u.Overwrite) with the
// broker's credentials and returns OSS's upload id. ContentLength and
// ContentMD5 of u are not used.
func (c *Client) InitiateMultipart(ctx context.Context, u Upload) (string, error) {
	req := &oss.InitiateMultipartUploadRequest{
		Bucket:      &c.bucket,
		Key:         &u.Key,
		ContentType: &u.ContentType,
		Metadata:    u.Metadata,
	}
	if !u.Overwrite {
		req.ForbidOverwrite = oss.Ptr("true")
	}
	res, err := c.oss.InitiateMultipartUpload(ctx, req)
	if err != nil {
		return "", fmt.Errorf("initiate multipart %q: %w", u.Key, classify(err))
	}
	id := oss.ToString(res.UploadId)
	if id == "" {
		return "", fmt.Errorf("initiate multipart %q: %w: no upload id in the answer", u.Key, ErrUnavailable)
	}
	return id, nil
}

// PresignPart signs an UploadPart of part number n of upload id on key,
// valid until expires (capped by STS credentials' own expiry). A size > 0
// is signed as Content-Length, so the URL takes exactly that many bytes.
func (c *Client) PresignPart(ctx context.Context, key, id string, n int32, size int64, expires time.Time) (Presigned, error) {
	expires, err := c.capExpiry(ctx, expires)
	if err != nil {
		return Presigned{}, fmt.Errorf("presign part %d of %q: %w", n, key, err)
	}
	req := &oss.UploadPartRequest{Bucket: &c.bucket, Key: &key, UploadId: &id, PartNumber: n}
	if size > 0 {
		req.ContentLength = &size
	}
	res, err := c.public.Presign(ctx, req, oss.PresignExpiration(expires))
	if err != nil {
		return Presigned{}, fmt.Errorf("presign part %d of %q: %w", n, key, classify(err))
	}
	headers := make(map[string]string, len(res.SignedHeaders))
	for k, v := range res.SignedHeaders {
		headers[responseHeaderName(strings.ToLower(k))] = v
	}
	return Presigned{Method: res.Method, URL: res.URL, Headers: headers, Expires: res.Expiration}, nil
}

// capExpiry truncates expires to whole seconds and to the credentials' own
// expiry, for STS credentials that say when they expire.
func (c *Client) capExpiry(ctx context.Context, expires time.Time) (time.Time, error) {
	expires = expires.Truncate(time.Second)
	cr, err := c.creds.GetCredentials(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %w", ErrCredentialsUnavailable, err)
	}
	if cr.Expires != nil && cr.Expires.Before(expires) {
		expires = cr.Expires.Truncate(time.Second)
	}
	return expires, nil
}

// Part is one uploaded part, as OSS lists it.
type Part struct {
	Number int32
	ETag   string // without quotes
	Size   int64
}

// ListParts returns every part uploaded so far, in ascending order,
// following OSS's pages (1000 parts each).
func (c *Client) ListParts(ctx context.Context, key, id string) ([]Part, error) {
	var parts []Part
	p := c.oss.NewListPartsPaginator(&oss.ListPartsRequest{Bucket: &c.bucket, Key: &key, UploadId: &id})
	for p.HasNext() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list parts of %q: %w", key, classify(err))
		}
		for _, pt := range page.Parts {
			parts = append(parts, Part{Number: pt.PartNumber, ETag: strings.Trim(oss.ToString(pt.ETag), `"`), Size: pt.Size})
		}
		if len(parts) > MaxPartNumber {
			return nil, fmt.Errorf("list parts of %q: %w: more than %d parts listed", key, ErrUnavailable, MaxPartNumber)
		}
	}
	return parts, nil
}

// CompleteMultipart assembles parts (ascending part numbers, ETags as
// UploadPart returned them, quotes optional) into the object, with
// x-oss-forbid-overwrite unless overwrite. It returns the object's ETag
// (opaque, "<hex>-<n>") and OSS's request id.
func (c *Client) CompleteMultipart(ctx context.Context, key, id string, parts []Part, overwrite bool) (etag, requestID string, err error) {
	body := make([]oss.UploadPart, len(parts))
	for i, p := range parts {
		body[i] = oss.UploadPart{PartNumber: p.Number, ETag: oss.Ptr(`"` + strings.Trim(p.ETag, `"`) + `"`)}
	}
	req := &oss.CompleteMultipartUploadRequest{Bucket: &c.bucket, Key: &key, UploadId: &id,
		CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: body}}
	if !overwrite {
		req.ForbidOverwrite = oss.Ptr("true")
	}
	res, err := c.oss.CompleteMultipartUpload(ctx, req)
	if err != nil {
		return "", "", fmt.Errorf("complete multipart %q: %w", key, classify(err))
	}
	return strings.Trim(oss.ToString(res.ETag), `"`), res.Headers.Get("x-oss-request-id"), nil
}

// AbortMultipart cancels the upload and frees its parts.
func (c *Client) AbortMultipart(ctx context.Context, key, id string) error {
	_, err := c.oss.AbortMultipartUpload(ctx, &oss.AbortMultipartUploadRequest{Bucket: &c.bucket, Key: &key, UploadId: &id})
	if err != nil {
		return fmt.Errorf("abort multipart %q: %w", key, classify(err))
	}
	return nil
}
