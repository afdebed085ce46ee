package storage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// Errors of Head besides the package's others.
var (
	ErrNotFound = errors.New("object not found")
	// ErrDenied: OSS refused the broker's credentials this action (a RAM
	// policy without oss:GetObject, for Head). It also wraps [ErrUnavailable],
	// so callers that do not single it out treat it as a storage failure.
	ErrDenied = errors.New("access denied by the RAM policy")
)

// ObjectInfo is what HEAD says about a stored object.
type ObjectInfo struct {
	Object
	// ContentMD5 is OSS's base64 Content-MD5 of the object, when OSS knows
	// it (objects written by PutObject); empty otherwise.
	ContentMD5 string
	// Metadata is the object's x-oss-meta-* (names without the prefix, as
	// OSS returns them: lower case).
	Metadata map[string]string
}

// Head reads an object's size, ETag, content type, Content-MD5 and
// metadata, without its body. It needs oss:GetObject on the key. Errors
// wrap [ErrNotFound] (404), [ErrDenied] (403) or one of the package's others.
func (c *Client) Head(ctx context.Context, key string) (ObjectInfo, error) {
	res, err := c.oss.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: &c.bucket, Key: &key})
	if err != nil {
		var se *oss.ServiceError
		if errors.As(err, &se) {
			switch se.StatusCode {
			case http.StatusNotFound:
				return ObjectInfo{}, fmt.Errorf("head %q: %w: oss 404 (request id %s)", key, ErrNotFound, se.RequestID)
			case http.StatusForbidden:
				return ObjectInfo{}, fmt.Errorf("head %q: %w: %w: oss 403 %s (request id %s)", key, ErrDenied, ErrUnavailable, se.Code, se.RequestID)
			}
		}
		return ObjectInfo{}, fmt.Errorf("head %q: %w", key, classify(err))
	}
	return ObjectInfo{
		Object: Object{
			Bucket:      c.bucket,
			Key:         key,
			Size:        res.ContentLength,
			ETag:        strings.Trim(oss.ToString(res.ETag), `"`),
			ContentType: oss.ToString(res.ContentType),
			RequestID:   res.Headers.Get("x-oss-request-id"),
		},
		ContentMD5: oss.ToString(res.ContentMD5),
		Metadata:   res.Metadata,
	}, nil
}
