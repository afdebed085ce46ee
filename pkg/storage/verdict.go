package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// Start is an object's first bytes and what OSS says about the object, as
// one ranged GET returns them: what content inspection needs.
type Start struct {
	Object
	Bytes []byte // at most the n bytes asked for; fewer for a smaller object
	CRC64 string // x-oss-hash-crc64ecma, decimal; empty when OSS sent none
	// Metadata is the object's x-oss-meta-* (names without the prefix,
	// lower case).
	Metadata map[string]string
}

// ErrChanged is a conditional request's 412: the object is no longer the
// version (ETag) the request named.
var ErrChanged = errors.New("the object is no longer the version named")

// ReadStart reads the first n bytes of key with one ranged GET
// (Range: bytes=0-(n-1)) and the object's size, ETag, Content-Type and
// CRC-64. With etag set the GET carries If-Match: only that version is
// read. It needs oss:GetObject on the key. Errors wrap [ErrNotFound] (404),
// [ErrChanged] (412), [ErrDenied] (403) or one of the package's others.
func (c *Client) ReadStart(ctx context.Context, key string, n int, etag string) (Start, error) {
	if n < 1 {
		return Start{}, errors.New("storage: read start: n must be positive")
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	rng := "bytes=0-" + strconv.Itoa(n-1)
	req := &oss.GetObjectRequest{Bucket: &c.bucket, Key: &key, Range: &rng}
	if etag != "" {
		req.IfMatch = oss.Ptr(quoteETag(etag))
	}
	res, err := c.oss.GetObject(ctx, req)
	if err != nil {
		return Start{}, fmt.Errorf("read %q: %w", key, objectError(err))
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, int64(n)))
	if err != nil {
		return Start{}, fmt.Errorf("read %q: %w", key, classify(err))
	}
	size := res.ContentLength
	// OSS answers 206 with Content-Range "bytes 0-k/total"; an empty
	// object (whose range cannot be satisfied) comes back whole, 200.
	if cr := oss.ToString(res.ContentRange); cr != "" {
		if _, total, ok := strings.Cut(cr, "/"); ok {
			if t, err := strconv.ParseInt(total, 10, 64); err == nil {
				size = t
			}
		}
	}
	return Start{
		Object: Object{
			Bucket: c.bucket, Key: key, Size: size,
			ETag:        strings.Trim(oss.ToString(res.ETag), `"`),
			ContentType: oss.ToString(res.ContentType),
			RequestID:   res.Headers.Get("x-oss-request-id"),
		},
		Bytes:    b,
		CRC64:    res.Headers.Get("x-oss-hash-crc64ecma"),
		Metadata: lowerKeys(res.Metadata),
	}, nil
}

// Copy copies src to dst within the bucket (CopyObject), only while src is
// the version etag names (x-oss-copy-source-if-match): otherwise it fails
// with ErrChanged and nothing is written. The copy keeps the type,
// metadata and tags. It needs oss:GetObject on src and oss:PutObject on
// dst.
func (c *Client) Copy(ctx context.Context, src, dst, etag string) error {
	if etag == "" {
		return errors.New("storage: copy: the source's ETag is required")
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	_, err := c.oss.CopyObject(ctx, &oss.CopyObjectRequest{Bucket: &c.bucket, Key: &dst, SourceKey: &src,
		IfMatch: oss.Ptr(quoteETag(etag))})
	if err != nil {
		return fmt.Errorf("copy %q to %q: %w", src, dst, objectError(err))
	}
	return nil
}

// quoteETag is an ETag as conditional headers carry it: quoted.
func quoteETag(etag string) string { return `"` + strings.Trim(etag, `"`) + `"` }

// Delete removes key. It needs oss:DeleteObject. Deleting a key that does
// not exist succeeds, as in OSS.
func (c *Client) Delete(ctx context.Context, key string) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if _, err := c.oss.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: &c.bucket, Key: &key}); err != nil {
		return fmt.Errorf("delete %q: %w", key, objectError(err))
	}
	return nil
}

// Tag replaces key's tags with tags (PutObjectTagging). It needs
// oss:PutObjectTagging.
func (c *Client) Tag(ctx context.Context, key string, tags map[string]string) error {
	set := make([]oss.Tag, 0, len(tags))
	for k, v := range tags {
		set = append(set, oss.Tag{Key: oss.Ptr(k), Value: oss.Ptr(v)})
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	_, err := c.oss.PutObjectTagging(ctx, &oss.PutObjectTaggingRequest{
		Bucket: &c.bucket, Key: &key, Tagging: &oss.Tagging{TagSet: &oss.TagSet{Tags: set}},
	})
	if err != nil {
		return fmt.Errorf("tag %q: %w", key, objectError(err))
	}
	return nil
}

// Tags returns key's tags (GetObjectTagging; oss:GetObjectTagging).
func (c *Client) Tags(ctx context.Context, key string) (map[string]string, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	res, err := c.oss.GetObjectTagging(ctx, &oss.GetObjectTaggingRequest{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("tags %q: %w", key, objectError(err))
	}
	out := map[string]string{}
	for _, t := range res.Tags {
		out[oss.ToString(t.Key)] = oss.ToString(t.Value)
	}
	return out, nil
}

func lowerKeys(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// objectError is classify with 404 and 403 singled out, as Head does.
func objectError(err error) error {
	var se *oss.ServiceError
	if errors.As(err, &se) {
		switch se.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%w: oss 404 %s (request id %s)", ErrNotFound, se.Code, se.RequestID)
		case http.StatusForbidden:
			return fmt.Errorf("%w: %w: oss 403 %s (request id %s)", ErrDenied, ErrUnavailable, se.Code, se.RequestID)
		case http.StatusPreconditionFailed:
			return fmt.Errorf("%w: oss 412 %s (request id %s)", ErrChanged, se.Code, se.RequestID)
		}
	}
	return classify(err)
}
