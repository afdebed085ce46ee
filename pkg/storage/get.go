package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// Download describes a presigned GET.
type Download struct {
	Key string
	// ContentDisposition, when set, is signed as the
	// response-content-disposition query parameter: OSS then answers with
	// that Content-Disposition (e.g. attachment; filename="a.pdf").
	ContentDisposition string
}

// PresignGet signs a GET of d.Key valid for ttl (at most the credentials'
// own remaining lifetime, for STS credentials that say when they expire),
// through the SDK's Presign. The URL needs oss:GetObject on the key.
func (c *Client) PresignGet(ctx context.Context, d Download, ttl time.Duration) (Presigned, error) {
	expires, err := c.capExpiry(ctx, c.now().Add(ttl))
	if err != nil {
		return Presigned{}, fmt.Errorf("presign get %q: %w", d.Key, err)
	}
	req := &oss.GetObjectRequest{Bucket: &c.bucket, Key: &d.Key}
	if d.ContentDisposition != "" {
		req.ResponseContentDisposition = &d.ContentDisposition
	}
	res, err := c.public.Presign(ctx, req, oss.PresignExpiration(expires))
	if err != nil {
		return Presigned{}, fmt.Errorf("presign get %q: %w", d.Key, classify(err))
	}
	headers := make(map[string]string, len(res.SignedHeaders))
	for k, v := range res.SignedHeaders {
		headers[responseHeaderName(strings.ToLower(k))] = v
	}
	return Presigned{Method: res.Method, URL: res.URL, Headers: headers, Expires: res.Expiration}, nil
}
