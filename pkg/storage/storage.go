// Package storage is the broker's only door to OSS: it presigns V4 PUT URLs
// and stores small payloads, through alibabacloud-oss-go-sdk-v2.
//
// The client is built once per instance. Credentials are resolved per call,
// because on FC the function role's STS credentials arrive with each
// invocation (see Credentials).
package storage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

// Errors a caller can act on; every error returned wraps one of them.
var (
	ErrExists      = errors.New("object already exists")
	ErrBadDigest   = errors.New("content-md5 does not match the body")
	ErrTimeout     = errors.New("storage timed out")
	ErrUnavailable = errors.New("storage unavailable")
	// ErrCredentialsUnavailable: a request found no credentials to sign
	// with (the provider had none or failed); the broker answers 502.
	ErrCredentialsUnavailable = errors.New("no storage credentials")
)

// Config describes the bucket and how to reach it.
type Config struct {
	Bucket string
	Region string
	// Endpoint is the public endpoint: every URL handed to a client
	// (presigned PUT, part, GET and the PostObject form) is signed for it.
	Endpoint  string
	PathStyle bool
	// InternalEndpoint, when set, is the endpoint of the function's own
	// calls to OSS (PutObject, HeadObject, multipart initiate/list/
	// complete/abort): inside FC, the region's internal endpoint
	// (https://oss-<region>-internal.aliyuncs.com) costs no internet
	// egress. Empty means Endpoint. InternalPathStyle is its PathStyle.
	InternalEndpoint  string
	InternalPathStyle bool
	// Credentials defaults to Credentials("", "", [os.Getenv]).
	Credentials credentials.CredentialsProvider
	// ConnectTimeout bounds dialing OSS; RequestTimeout bounds each read or
	// write on the connection. Both must fit inside the FC timeout.
	ConnectTimeout time.Duration
	RequestTimeout time.Duration
	// HTTPClient replaces the SDK's own transport (tests).
	HTTPClient *http.Client
}

// Client presigns and stores objects in one bucket.
type Client struct {
	oss     *oss.Client // the function's own calls: InternalEndpoint
	public  *oss.Client // the SDK's Presign only: Endpoint, the one clients reach
	bucket  string
	creds   credentials.CredentialsProvider
	presign *presigner
	now     func() time.Time // tests
	budget  time.Duration    // bound on one call as a whole (deadline.go)
}

// New builds the OSS client. It does no network I/O.
func New(cfg Config) (*Client, error) {
	if cfg.Bucket == "" || cfg.Region == "" || cfg.Endpoint == "" {
		return nil, errors.New("storage: bucket, region and endpoint are required")
	}
	if cfg.Credentials == nil {
		cfg.Credentials = Credentials("", "", os.Getenv)
	}
	sdk := func(endpoint string, pathStyle bool) *oss.Client {
		c := oss.LoadDefaultConfig().
			WithRegion(cfg.Region).
			WithEndpoint(endpoint).
			WithCredentialsProvider(cfg.Credentials).
			WithUsePathStyle(pathStyle).
			WithSignatureVersion(oss.SignatureVersionV4).
			// These are signed only when the request sets them, which only a
			// presign that pins them does (additionalHeaders).
			WithAdditionalHeaders(additionalHeaders).
			WithRetryMaxAttempts(2).
			// Put always sends Content-MD5, which OSS checks before storing;
			// the SDK's CRC64 of the same bytes would be a second pass.
			WithDisableUploadCRC64Check(true)
		if cfg.ConnectTimeout > 0 {
			c = c.WithConnectTimeout(cfg.ConnectTimeout)
		}
		if cfg.RequestTimeout > 0 {
			c = c.WithReadWriteTimeout(cfg.RequestTimeout)
		}
		if cfg.HTTPClient != nil {
			c = c.WithHttpClient(cfg.HTTPClient)
		}
		return oss.NewClient(c)
	}
	ps, err := newPresigner(cfg.Bucket, cfg.Region, cfg.Endpoint, cfg.PathStyle)
	if err != nil {
		return nil, err
	}
	public := sdk(cfg.Endpoint, cfg.PathStyle)
	internal := public
	if cfg.InternalEndpoint != "" && (cfg.InternalEndpoint != cfg.Endpoint || cfg.InternalPathStyle != cfg.PathStyle) {
		internal = sdk(cfg.InternalEndpoint, cfg.InternalPathStyle)
	}
	return &Client{oss: internal, public: public, bucket: cfg.Bucket, creds: cfg.Credentials, presign: ps, now: time.Now,
		budget: callBudget(cfg.ConnectTimeout, cfg.RequestTimeout)}, nil
}

// Bucket returns the bucket the client writes to.
func (c *Client) Bucket() string { return c.bucket }

// Credentials returns the provider the broker signs with: the RAM user's
// pair when given; otherwise the STS credentials FC passes with the current
// invocation (fccontext); otherwise ALIBABA_CLOUD_ACCESS_KEY_ID,
// _ACCESS_KEY_SECRET and _SECURITY_TOKEN from the environment, which FC
// sets per instance for a function with a role.
func Credentials(accessKeyID, accessKeySecret string, getenv func(string) string) credentials.CredentialsProvider {
	if accessKeyID != "" {
		return credentials.NewStaticCredentialsProvider(accessKeyID, accessKeySecret)
	}
	return credentials.CredentialsProviderFunc(func(ctx context.Context) (credentials.Credentials, error) {
		if fc, ok := fccontext.FromContext(ctx); ok && fc.Credentials.AccessKeyId != "" {
			return credentials.Credentials{
				AccessKeyID:     fc.Credentials.AccessKeyId,
				AccessKeySecret: fc.Credentials.AccessKeySecret,
				SecurityToken:   fc.Credentials.SecurityToken,
			}, nil
		}
		if id := getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"); id != "" {
			return credentials.Credentials{
				AccessKeyID:     id,
				AccessKeySecret: getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
				SecurityToken:   getenv("ALIBABA_CLOUD_SECURITY_TOKEN"),
			}, nil
		}
		return credentials.Credentials{}, ErrCredentialsUnavailable
	})
}

// ErrCredentialsNotConfigured is the startup error of a function that could
// sign nothing: no AccessKey pair configured and no role credentials in the
// environment. FC sets ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/_SECURITY_TOKEN
// for every instance of a function that has a role (s.yaml's role), before
// the process starts; without one, every request would fail with a 502.
var ErrCredentialsNotConfigured = errors.New("no OSS credentials: give the function a role (s.yaml role, " +
	"whose STS credentials FC puts in ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/_SECURITY_TOKEN) or set " +
	"OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (README, Deploy)")

// CheckCredentials is [ErrCredentialsNotConfigured] when Credentials would
// have no source at all: no AccessKey pair and no role credentials from FC.
func CheckCredentials(accessKeyID string, getenv func(string) string) error {
	if accessKeyID == "" && getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") == "" {
		return ErrCredentialsNotConfigured
	}
	return nil
}

// Upload describes the object to be written.
type Upload struct {
	Key         string
	ContentType string
	ContentMD5  string // base64; optional
	// ContentLength, when set, is signed so the URL takes exactly that
	// many bytes (0 included: an empty object). Nil means "not pinned".
	ContentLength *int64
	Overwrite     bool
	Metadata      map[string]string // names without the x-oss-meta- prefix
	// ContentDisposition and CacheControl, when set, are stored with the
	// object; a presigned PUT signs them (as additional headers), so the
	// uploader must send exactly these values. Unset, a presigned PUT's
	// uploader may send any (V4 signs only x-oss-*, Content-Type and
	// Content-MD5 by default).
	ContentDisposition string
	CacheControl       string
	// Callback and CallbackVar are the x-oss-callback and
	// x-oss-callback-var values (base64 JSON, see Callback), signed like
	// every x-oss-* header, so the uploader must send them unchanged.
	Callback, CallbackVar string
}

// additionalHeaders are the headers a presigned PUT signs beyond V4's
// defaults when it sets them, sorted.
var additionalHeaders = []string{"cache-control", "content-disposition", "content-length"}

func (u *Upload) request(bucket string) *oss.PutObjectRequest {
	req := &oss.PutObjectRequest{
		Bucket:      &bucket,
		Key:         &u.Key,
		ContentType: &u.ContentType,
		Metadata:    u.Metadata,
	}
	if u.ContentMD5 != "" {
		req.ContentMD5 = &u.ContentMD5
	}
	if u.ContentDisposition != "" {
		req.ContentDisposition = &u.ContentDisposition
	}
	if u.CacheControl != "" {
		req.CacheControl = &u.CacheControl
	}
	if u.ContentLength != nil {
		req.ContentLength = u.ContentLength
	}
	if !u.Overwrite {
		req.ForbidOverwrite = oss.Ptr("true")
	}
	if u.Callback != "" {
		req.Callback = &u.Callback
	}
	if u.CallbackVar != "" {
		req.CallbackVar = &u.CallbackVar
	}
	return req
}

// Presigned is a V4 presigned request: the uploader sends Method to URL with
// exactly Headers.
type Presigned struct {
	Method  string
	URL     string
	Headers map[string]string
	Expires time.Time
}

// PresignPut signs a PUT of u valid for ttl (at most the credentials' own
// remaining lifetime, for STS credentials that say when they expire).
func (c *Client) PresignPut(ctx context.Context, u Upload, ttl time.Duration) (Presigned, error) {
	now := c.now()
	expires := now.Add(ttl).Truncate(time.Second)
	cr, err := c.creds.GetCredentials(ctx)
	if err != nil {
		return Presigned{}, fmt.Errorf("presign %q: %w: %w", u.Key, ErrCredentialsUnavailable, err)
	}
	if cr.Expires != nil && cr.Expires.Before(expires) {
		expires = cr.Expires.Truncate(time.Second)
	}
	ps, err := c.presign.presign(cr, &u, now, expires)
	if err != nil {
		if errors.Is(err, ErrCredentialsUnavailable) {
			return Presigned{}, fmt.Errorf("presign %q: %w", u.Key, ErrCredentialsUnavailable)
		}
		return Presigned{}, fmt.Errorf("presign %q: %w: %w", u.Key, ErrUnavailable, err)
	}
	return ps, nil
}

// Object is what was stored.
type Object struct {
	Bucket      string
	Key         string
	Size        int64
	ETag        string // OSS's ETag without quotes
	ContentType string
	RequestID   string // OSS's x-oss-request-id
}

// Put stores body under u.Key. It always sends Content-MD5, so OSS refuses
// (and stores nothing) unless it received exactly body; a Content-MD5 in u
// that does not match body fails before anything is sent.
func (c *Client) Put(ctx context.Context, u Upload, body []byte) (Object, error) {
	sum := md5.Sum(body)
	digest := base64.StdEncoding.EncodeToString(sum[:])
	if u.ContentMD5 != "" && u.ContentMD5 != digest {
		return Object{}, fmt.Errorf("put %q: %w", u.Key, ErrBadDigest)
	}
	u.ContentMD5 = digest
	// Content-MD5 pins the bytes; the length is signed only for a non-empty
	// body, since net/http sends no Content-Length header for an empty one
	// and a signed but absent header fails at OSS.
	u.ContentLength = nil
	if len(body) > 0 {
		u.ContentLength = oss.Ptr(int64(len(body)))
	}
	req := u.request(c.bucket)
	req.Body = bytes.NewReader(body)
	ctx, cancel := c.bound(ctx)
	defer cancel()
	res, err := c.oss.PutObject(ctx, req)
	if err != nil {
		return Object{}, fmt.Errorf("put %q: %w", u.Key, classify(err))
	}
	return Object{
		Bucket:      c.bucket,
		Key:         u.Key,
		Size:        int64(len(body)),
		ETag:        strings.Trim(oss.ToString(res.ETag), `"`),
		ContentType: u.ContentType,
		RequestID:   res.Headers.Get("x-oss-request-id"),
	}, nil
}

// ossCodes are the OSS error codes a caller can act on. (The multipart
// ones come only from multipart calls.)
var ossCodes = map[string]error{
	"FileAlreadyExists": ErrExists,
	"InvalidDigest":     ErrBadDigest,
	"BadDigest":         ErrBadDigest,
	"NoSuchUpload":      ErrNoSuchUpload,
	"InvalidPart":       ErrInvalidPart,
	"InvalidPartOrder":  ErrPartOrder,
	"EntityTooSmall":    ErrPartTooSmall,
}

// classify maps an SDK error to one of the package's errors, keeping OSS's
// code, EC and request id in the message for the logs.
func classify(err error) error {
	var se *oss.ServiceError
	if errors.As(err, &se) {
		detail := fmt.Sprintf("oss %d %s (ec %s, request id %s)", se.StatusCode, se.Code, se.EC, se.RequestID)
		switch known, ok := ossCodes[se.Code]; {
		case ok:
			return fmt.Errorf("%w: %s", known, detail)
		case se.StatusCode == http.StatusGatewayTimeout || se.StatusCode == http.StatusRequestTimeout:
			return fmt.Errorf("%w: %s", ErrTimeout, detail)
		default:
			return fmt.Errorf("%w: %s", ErrUnavailable, detail)
		}
	}
	if errors.Is(err, ErrCredentialsUnavailable) {
		return ErrCredentialsUnavailable
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w: %s", ErrTimeout, opName(err))
	}
	return fmt.Errorf("%w: %s", ErrUnavailable, opName(err))
}

// opName describes a transport failure without the SDK's full message,
// which may quote request URLs.
func opName(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + " " + oe.Err.Error()
	}
	var se interface{ Temporary() bool }
	if errors.As(err, &se) {
		return "temporary network error"
	}
	return "transport error: " + strconv.Quote(truncate(err.Error(), 120))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
