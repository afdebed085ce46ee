// Package assemble wires ossbroker's two functions from a loaded
// configuration: [Broker] for the HTTP-triggered broker, [Inspector] for the
// OSS-triggered inspector. It is the one place that turns a
// [config.Config] into the token verifier, the OSS client and the handlers,
// so the deployed functions, local mode and the benchmarks run the same
// assembly.
//
// What only local mode and tests need (a demo page, a local OSS server's
// callback key) comes in as an [Option]; no environment variable reaches
// those.
package assemble

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/broker"
	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/osscallback"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
	"github.com/ossbroker/ossbroker/pkg/storage"
	"github.com/ossbroker/ossbroker/pkg/uploadevent"
	"github.com/ossbroker/ossbroker/pkg/uploadhandle"
	"github.com/ossbroker/ossbroker/pkg/uploadticket"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// An Option adds what only local mode or a test sets.
type Option func(*options)

type options struct {
	extra          http.Handler
	trustedKeyURLs []string
	jwksClient     *http.Client
}

// WithExtra serves h for unauthenticated GET and HEAD requests outside
// /v1/ (local mode's demo page; see broker.Config.Extra).
func WithExtra(h http.Handler) Option { return func(o *options) { o.extra = h } }

// WithTrustedCallbackKeys trusts callback public key URLs besides OSS's own
// (local mode's OSS server).
func WithTrustedCallbackKeys(urls ...string) Option {
	return func(o *options) { o.trustedKeyURLs = append(o.trustedKeyURLs, urls...) }
}

// WithJWKSClient fetches JWT_JWKS_URL with c instead of the verifier's own
// client (tests that bound a hanging identity provider).
func WithJWKSClient(c *http.Client) Option { return func(o *options) { o.jwksClient = c } }

// startupTimeout bounds what Broker may wait for: a JWKS URL's first fetch.
const startupTimeout = 5 * time.Second

// Broker builds the HTTP API from cfg, once per instance. The returned func
// releases the token verifier (a JWKS URL's refresh).
func Broker(ctx context.Context, cfg *config.Config, log *slog.Logger, getenv func(string) string, opts ...Option) (*broker.Broker, func(), error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	verifier, err := auth.NewVerifier(ctx, auth.Config{
		HS256Secret:  cfg.JWT.HS256Secret,
		PublicKeyPEM: cfg.JWT.PublicKeyPEM,
		JWKSURL:      cfg.JWT.JWKSURL,
		JWKSJSON:     cfg.JWT.JWKSJSON,
		Issuer:       cfg.JWT.Issuer,
		Audience:     cfg.JWT.Audience,
		Leeway:       cfg.JWT.Leeway,
		HTTPClient:   o.jwksClient,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("token verifier: %w", err)
	}
	b, err := newBroker(cfg, log, getenv, verifier, o)
	if err != nil {
		verifier.Close()
		return nil, nil, err
	}
	logFeatures(log, cfg)
	return b, verifier.Close, nil
}

// Feature is one thing the broker can do, and whether this configuration
// turns it on.
type Feature struct {
	Name string
	On   bool
	// Why says what turned it off and how to turn it on; empty when on.
	Why string
	// Advertised features are on in the recommended set-up; one that is off
	// is a WARN line at startup, not only an entry in the list.
	Advertised bool
}

// Features lists what cfg turns on and off, in the order startup logs it.
func Features(cfg *config.Config) []Feature {
	return []Feature{
		{Name: "multipart", On: cfg.Multipart.HandleSecret != nil, Advertised: true,
			Why: "POST /v1/multipart/* and Uppy's multipart answer 501: no MULTIPART_HANDLE_SECRET, and the function " +
				"role's STS credentials with a public-key JWT source leave no secret to derive its key from; set " +
				"MULTIPART_HANDLE_SECRET (openssl rand -hex 32)"},
		{Name: "upload callbacks", On: cfg.Callbacks.Enabled(),
			Why: "PUBLIC_BASE_URL is not set: uploads are not inspected in their own response"},
		{Name: "notifications", On: cfg.Notifications.Enabled(),
			Why: "NOTIFICATION_URL is not set: verdicts are not POSTed to your application"},
		{Name: "downloads", On: cfg.AllowDownloads, Why: "ALLOW_DOWNLOADS is not true: POST /v1/presign-get answers 404"},
		{Name: "webhooks", On: len(cfg.Webhooks.Sources) > 0, Why: "WEBHOOK_SOURCES is not set: every delivery gets 401"},
	}
}

// logFeatures is the startup line that says what is on and off: one INFO
// line listing both, and one WARN line per advertised feature that is off,
// with the reason and the fix.
func logFeatures(log *slog.Logger, cfg *config.Config) {
	var on, off []string
	for _, f := range Features(cfg) {
		if f.On {
			on = append(on, f.Name)
			continue
		}
		off = append(off, f.Name)
		if f.Advertised {
			log.Warn("FEATURE DISABLED: "+f.Name, slog.String("feature", f.Name), slog.String("why", f.Why))
		}
	}
	log.Info("features", slog.Any("on", on), slog.Any("off", off))
}

func newBroker(cfg *config.Config, log *slog.Logger, getenv func(string) string, verifier *auth.Verifier, o options) (*broker.Broker, error) {
	store, err := newStore(cfg, getenv)
	if err != nil {
		return nil, err
	}
	handles, err := handleSealer(cfg, log)
	if err != nil {
		return nil, err
	}
	bc := broker.Config{
		Auth:                 verifier,
		Keys:                 cfg.Prefix,
		Storage:              store,
		ContentTypes:         cfg.ContentTypes,
		PresignTTL:           cfg.PresignTTL,
		PresignMaxTTL:        cfg.PresignMaxTTL,
		MaxUploadBytes:       cfg.MaxUploadBytes,
		MaxDirectUploadBytes: cfg.MaxDirectUploadBytes,
		AllowedOrigins:       cfg.AllowedOrigins,
		AllowDownloads:       cfg.AllowDownloads,
		RequireScopes:        cfg.Scopes.Require,
		ScopeClaim:           cfg.Scopes.Claim,
		Handles:              handles,
		MultipartTTL:         cfg.Multipart.TTL,
		MaxMultipartBytes:    cfg.Multipart.MaxBytes,
		Webhooks:             cfg.Webhooks.Sources,
		WebhookTolerance:     cfg.Webhooks.Tolerance,
		Extra:                o.extra,
		Logger:               log,
	}
	if cfg.Callbacks.Enabled() {
		bc.CallbackURL = cfg.Callbacks.PublicBaseURL + broker.CallbackPath
		bc.CallbackVerifier = &osscallback.Verifier{Trusted: o.trustedKeyURLs}
		if bc.Tickets, err = ticketSealer(cfg); err != nil {
			return nil, err
		}
		if bc.Inspector, err = newInspector(cfg, store); err != nil {
			return nil, err
		}
	}
	if cfg.Notifications.Enabled() {
		if bc.Notifier, err = newNotifier(cfg, broker.NotifyTimeout); err != nil {
			return nil, err
		}
	}
	return broker.New(bc)
}

// Inspector builds the OSS-triggered inspector's handler from cfg (loaded
// with [config.LoadInspector]), once per instance.
func Inspector(cfg *config.Config, log *slog.Logger, getenv func(string) string) (*uploadevent.Handler, error) {
	store, err := newStore(cfg, getenv)
	if err != nil {
		return nil, err
	}
	in, err := newInspector(cfg, store)
	if err != nil {
		return nil, err
	}
	var n *notify.Notifier
	if cfg.Notifications.Enabled() {
		if n, err = newNotifier(cfg, uploadevent.NotifyTimeout); err != nil {
			return nil, err
		}
	} else {
		log.Warn("NOTIFICATION_URL is not set: verdicts are logged, not notified")
	}
	skip, err := webhook.FolderFor(cfg.Prefix)
	if err != nil {
		skip = "" // a prefix with a {claim}: the broker has no webhooks folder
	}
	return uploadevent.New(uploadevent.Config{
		Store: store, Inspector: in, Keys: cfg.Prefix, Skip: skip,
		MaxSize: cfg.MaxUploadBytes, MaxMultipartSize: cfg.Multipart.MaxBytes,
		Notifier: n, Logger: log,
	})
}

func newStore(cfg *config.Config, getenv func(string) string) (*storage.Client, error) {
	sc, err := cfg.Storage(getenv)
	if err != nil {
		return nil, err
	}
	return storage.New(sc)
}

func newInspector(cfg *config.Config, store *storage.Client) (*inspect.Inspector, error) {
	return inspect.New(inspect.Config{Store: store, Allowed: cfg.ContentTypes, MaxSize: cfg.MaxUploadBytes,
		Action: inspect.Action(cfg.Callbacks.RejectAction)})
}

func newNotifier(cfg *config.Config, timeout time.Duration) (*notify.Notifier, error) {
	return notify.New(notify.Config{URL: cfg.Notifications.URL, Signer: cfg.Notifications.Signer, Timeout: timeout})
}

// handleSealer builds the multipart handle sealer from the configured
// secret (config.Multipart.HandleSecret: MULTIPART_HANDLE_SECRET, else the
// OSS AccessKey secret, else JWT_HS256_SECRET). The key is derived, not
// random, so that every FC instance opens the handles every other one
// sealed. With no secret to derive from, multipart is off (the routes
// answer 501) and startup says so.
func handleSealer(cfg *config.Config, log *slog.Logger) (*uploadhandle.Sealer, error) {
	if cfg.Multipart.HandleSecret == nil {
		return nil, nil // logFeatures says so, loudly
	}
	key, err := uploadhandle.DeriveKey(cfg.Multipart.HandleSecret)
	if err != nil {
		return nil, fmt.Errorf("multipart handle key (from %s): %w", cfg.Multipart.HandleSecretFrom, err)
	}
	log.Debug("multipart handle key derived", "from", cfg.Multipart.HandleSecretFrom)
	return uploadhandle.New(key)
}

// ticketSealer builds the sealer of upload callback tickets from the same
// configured secret as handleSealer, under its own label: every FC instance
// opens the tickets any other one sealed. The configuration refuses
// PUBLIC_BASE_URL without a secret.
func ticketSealer(cfg *config.Config) (*uploadticket.Sealer, error) {
	key, err := uploadticket.DeriveKey(cfg.Multipart.HandleSecret)
	if err != nil {
		return nil, fmt.Errorf("callback ticket key (from %s): %w", cfg.Multipart.HandleSecretFrom, err)
	}
	return uploadticket.New(key)
}

// BrokerPolicy is the broker's least-privilege RAM policy for the routes cfg
// enables: uploads (PutObject, plus ListParts and AbortMultipartUpload when
// multipart is on) and, in a statement of its own, presigned downloads
// (GetObject), both under the prefix; with PUBLIC_BASE_URL, inspection's
// GetObject and the verdict's action, under the prefix too. A route that
// needs more adds its statement here when it is enabled.
func BrokerPolicy(cfg *config.Config) ossconfig.Policy {
	actions := ossconfig.BrokerActions
	if cfg.Multipart.HandleSecret != nil {
		actions = slices.Concat(actions, ossconfig.MultipartActions)
	}
	p := ossconfig.RAMPolicy(cfg.Bucket, cfg.Prefix.Pattern(), actions)
	if cfg.AllowDownloads {
		downloads := ossconfig.DownloadActions
		if cfg.Callbacks.Enabled() && cfg.Callbacks.RejectAction == "tag" {
			// presign-get reads the tags, to refuse a rejected upload.
			downloads = slices.Concat(downloads, []string{"oss:GetObjectTagging"})
		}
		p = p.Allow(cfg.Bucket, cfg.Prefix.Pattern(), downloads...)
	}
	if cfg.Callbacks.Enabled() {
		// Upload inspection reads each upload's first bytes and acts on a
		// rejected one (pkg/inspect), on the prefix; quarantine writes the
		// copy to the quarantine folder.
		p = p.Allow(cfg.Bucket, cfg.Prefix.Pattern(), slices.Concat(ossconfig.InspectActions, ossconfig.VerdictActions[cfg.Callbacks.RejectAction])...).
			Quarantine(cfg.Bucket, config.QuarantineFolder, cfg.Callbacks.RejectAction, ossconfig.QuarantineActions...)
	}
	if len(cfg.Webhooks.Sources) > 0 {
		// POST /v1/webhooks/{source} HEADs an event already stored, to tell
		// a redelivery from a conflict: GetObject on the webhooks folder
		// only.
		if folder, err := webhook.FolderFor(cfg.Prefix); err == nil {
			p = p.Allow(cfg.Bucket, folder, "oss:GetObject")
		}
	}
	return p
}

// InspectorPolicy is the inspector function's own least-privilege RAM
// policy (read, and the verdict's action, on the prefix; the quarantine
// folder's write and read in quarantine mode).
func InspectorPolicy(cfg *config.Config) ossconfig.Policy {
	return ossconfig.InspectorPolicy(cfg.Bucket, cfg.Prefix.Pattern(), config.QuarantineFolder, cfg.Callbacks.RejectAction)
}

// Logger is the functions' JSON logger at cfg's level, on w (stdout, which
// FC ships to SLS). It logs, once, the valid but risky settings the
// configuration found (config.Config.Warnings).
func Logger(w io.Writer, cfg *config.Config) *slog.Logger {
	log := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel}))
	for _, warning := range cfg.Warnings {
		log.Warn("configuration warning", slog.String("warning", warning))
	}
	return log
}
