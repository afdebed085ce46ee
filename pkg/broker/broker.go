package broker

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/osscallback"
	"github.com/ossbroker/ossbroker/pkg/storage"
	"github.com/ossbroker/ossbroker/pkg/uploadhandle"
	"github.com/ossbroker/ossbroker/pkg/uploadticket"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// Config wires the broker to its parts. Everything in it is built once per
// instance.
type Config struct {
	Auth    *auth.Verifier
	Keys    *objectkey.Policy
	Storage *storage.Client

	ContentTypes  mediatype.Allowlist
	PresignTTL    time.Duration
	PresignMaxTTL time.Duration
	// MaxUploadBytes bounds one object on every single-object route:
	// presign (a pinned contentLength, required below [storage.MaxPutSize]),
	// presign-post (maxBytes) and direct uploads (MaxDirectUploadBytes is
	// lowered to it).
	MaxUploadBytes       int64
	MaxDirectUploadBytes int64
	AllowedOrigins       []string // exact origins, or "*"

	// Webhooks are the senders POST /v1/webhooks/{source} accepts (none:
	// every delivery gets 401); WebhookTolerance bounds their signed
	// timestamps ([webhook.DefaultTolerance] when zero).
	Webhooks         []webhook.Source
	WebhookTolerance time.Duration

	// AllowDownloads turns on POST /v1/presign-get; off, it is 404.
	AllowDownloads bool

	// RequireScopes turns on the scope check (scopes.go): upload,
	// upload:overwrite and download, read from the ScopeClaim claim
	// ([DefaultScopeClaim] when empty).
	RequireScopes bool
	ScopeClaim    string

	// Handles seals multipart upload handles; nil disables the multipart
	// routes (501). MultipartTTL is a handle's lifetime
	// ([DefaultMultipartTTL] when zero); MaxMultipartBytes bounds a multipart
	// object ([MaxMultipartObject] when zero).
	Handles           *uploadhandle.Sealer
	MultipartTTL      time.Duration
	MaxMultipartBytes int64

	// Upload callbacks and inspection (callbacks.go). CallbackURL, set,
	// puts an OSS callback to it on presigned PUTs and PostObject forms,
	// with a ticket sealed by Tickets; CallbackVerifier checks OSS's
	// signature on POST /v1/callbacks/oss; Inspector judges uploads there
	// and at multipart complete. Set all four or none.
	CallbackURL      string
	CallbackVerifier *osscallback.Verifier
	Tickets          *uploadticket.Sealer
	Inspector        *inspect.Inspector
	// Notifier, set, POSTs each verdict the broker reaches (callback route,
	// multipart complete) to the application, one attempt bounded by
	// [NotifyTimeout], and pins the uploader's sub on every upload
	// ([notify.SubMeta]) for the OSS-triggered inspector.
	Notifier *notify.Notifier

	// Extra serves GET/HEAD requests no API route claims, without auth
	// (local mode's demo page). Nil means 404.
	Extra http.Handler

	Logger *slog.Logger
	Now    func() time.Time
}

// Broker is the HTTP API.
type Broker struct {
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	hooks webhooks
	// cbParam is the x-oss-callback value ("" without callbacks).
	cbParam string
}

// New checks cfg and returns the handler.
func New(cfg Config) (*Broker, error) {
	if cfg.Auth == nil || cfg.Keys == nil || cfg.Storage == nil {
		return nil, errors.New("broker: Auth, Keys and Storage are required")
	}
	if cfg.PresignTTL <= 0 || cfg.PresignMaxTTL < cfg.PresignTTL || cfg.MaxDirectUploadBytes <= 0 || cfg.MaxUploadBytes <= 0 {
		return nil, errors.New("broker: TTLs and size limits must be positive, PresignTTL <= PresignMaxTTL")
	}
	// MaxUploadBytes bounds every single-object route, direct uploads too.
	cfg.MaxDirectUploadBytes = min(cfg.MaxDirectUploadBytes, cfg.MaxUploadBytes)
	b := &Broker{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	if err := b.initWebhooks(); err != nil {
		return nil, err
	}
	if on := cfg.CallbackURL != ""; on != (cfg.Inspector != nil) || on != (cfg.CallbackVerifier != nil) || on != (cfg.Tickets != nil) {
		return nil, errors.New("broker: CallbackURL, CallbackVerifier, Tickets and Inspector go together")
	}
	if cfg.CallbackURL != "" {
		b.cbParam = callbackParam(cfg.CallbackURL)
	}
	return b, nil
}

// ServeHTTP answers r by the route table (routes.go) and logs it.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := b.now()
	ctx := r.Context()
	id := requestid.From(ctx)
	if id == "" {
		id = requestid.New()
		ctx = requestid.With(ctx, id)
		r = r.WithContext(ctx)
	}
	rec := &statusWriter{ResponseWriter: w}
	rec.Header().Set("X-Request-Id", id)
	b.cors(rec, r)

	route, err := b.dispatch(rec, r, r.URL.EscapedPath())
	if err != nil {
		writeError(rec, id, err)
	}
	// Never the query string or headers: they may carry tokens.
	b.log.LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("requestId", id),
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", rec.status),
		slog.Duration("duration", b.now().Sub(start)),
	)
}

// authenticate returns the caller or the uniform 401.
func (b *Broker) authenticate(r *http.Request) (auth.Principal, *apiError) {
	p, err := b.cfg.Auth.Authenticate(r.Context(), r.Header)
	if err != nil {
		// err names the failed check, never the token.
		b.log.LogAttrs(r.Context(), slog.LevelInfo, "token rejected",
			slog.String("requestId", requestid.From(r.Context())), slog.String("reason", err.Error()))
		return auth.Principal{}, errUnauthorized
	}
	return p, nil
}

// resolveKey runs the one key gate and maps its verdict to the API's errors.
func (b *Broker) resolveKey(r *http.Request, key string, p auth.Principal, contentType string) (string, *apiError) {
	final, err := b.cfg.Keys.Resolve(key, p, contentType)
	switch {
	case err == nil:
		if aerr := b.reservedForWebhooks(final); aerr != nil {
			return "", aerr
		}
		return final, nil
	case errors.Is(err, objectkey.ErrOutsidePrefix):
		return "", errorf(http.StatusForbidden, "key_outside_prefix", err.Error())
	default:
		return "", errorf(http.StatusBadRequest, "invalid_key", err.Error())
	}
}

// checkUpload is what every upload route asks before the key gate: the
// scope the upload needs, and an allowed content type (empty means
// application/octet-stream, which is what it returns then).
func (b *Broker) checkUpload(p auth.Principal, overwrite bool, contentType string) (string, *apiError) {
	if aerr := b.requireUploadScope(p, overwrite); aerr != nil {
		return "", aerr
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	if aerr := b.checkContentType(contentType); aerr != nil {
		return "", aerr
	}
	return contentType, nil
}

var errKeyRequired = errorf(http.StatusBadRequest, "invalid_request", "key is required")

// checkContentType applies ALLOWED_CONTENT_TYPES and names the refused type.
func (b *Broker) checkContentType(ct string) *apiError {
	if _, err := mediatype.Parse(ct); err != nil {
		return errorf(http.StatusBadRequest, "invalid_request", "contentType: "+err.Error())
	}
	if !b.cfg.ContentTypes.Allows(ct) {
		return errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"content type "+quote(ct)+" is not allowed; allowed: "+b.cfg.ContentTypes.String())
	}
	return nil
}

// storageError maps a storage failure to the API and logs OSS's detail.
func (b *Broker) storageError(ctx context.Context, err error) *apiError {
	b.log.LogAttrs(ctx, slog.LevelWarn, "storage failed",
		slog.String("requestId", requestid.From(ctx)), slog.String("error", err.Error()))
	switch {
	case errors.Is(err, storage.ErrExists):
		return errorf(http.StatusConflict, "object_exists", "an object with this key already exists; ask with overwrite to replace it")
	case errors.Is(err, storage.ErrBadDigest):
		return errorf(http.StatusBadRequest, "invalid_request", "Content-MD5 does not match the body")
	case errors.Is(err, storage.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusGatewayTimeout, "storage_unavailable", "storage did not answer in time")
	case errors.Is(err, storage.ErrUnavailable), errors.Is(err, storage.ErrCredentialsUnavailable):
		return errorf(http.StatusBadGateway, "storage_unavailable", "storage is unavailable")
	default:
		return errInternal
	}
}

// quote bounds and escapes caller input echoed in a message.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return `"` + strings.ToValidUTF8(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return '?'
		}
		return r
	}, s), "?") + `"`
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}
