package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/broker"
	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/fchttp"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/osscallback"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

func main() {
	dev := flag.Bool("dev", false, "run locally: OSS server, FC runtime API and HTTP trigger on this machine")
	ossOnly := flag.Bool("oss-only", false, "with -dev: start only the local OSS server")
	runtimeAPI := flag.Bool("runtime-api", false, "with -dev: deliver each event through a local FC runtime API to a real fc.Start loop")
	printRAM := flag.Bool("print-ram-policy", false, "print the least-privilege RAM policy (JSON) for this configuration and exit")
	printCORS := flag.Bool("print-bucket-cors", false, "print the bucket CORS rules (ossutil put-bucket-cors JSON) browser uploads need and exit")
	printLC := flag.Bool("print-bucket-lifecycle", false, "print the bucket lifecycle rule (ossutil put-bucket-lifecycle JSON) that aborts incomplete multipart uploads under the prefix, and exit")
	flag.Parse()
	if *printLC {
		os.Exit(printLifecycle(os.Stdout, os.Stderr, config.FromEnv))
	}
	if *printRAM || *printCORS {
		os.Exit(printOSSConfig(os.Stdout, os.Stderr, config.FromEnv, *printRAM, *printCORS))
	}
	tuneGC()
	if *dev {
		os.Exit(runDev(*ossOnly, *runtimeAPI))
	}
	os.Exit(runFC())
}

// runFC is the deployed function: everything is built before the first
// invocation and reused by every later one.
func runFC() int {
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log := newLogger(cfg.LogLevel)
	logWarnings(log, cfg)
	h, closeFn, err := build(context.Background(), cfg, log, os.Getenv, nil)
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		return 1
	}
	defer closeFn()
	fc.Start(fchttp.Handler(h, fchttp.WithLogger(log)))
	return 0
}

func newLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}

// logWarnings logs, once per instance, the valid but risky settings the
// configuration found (config.Config.Warnings).
func logWarnings(log *slog.Logger, cfg *config.Config) {
	for _, w := range cfg.Warnings {
		log.Warn("configuration warning", slog.String("warning", w))
	}
}

// build turns a validated configuration into the HTTP API. A JWKS URL is
// the only source that needs the network, and its first fetch is bounded.
// trustedKeyURLs are callback public key URLs trusted besides OSS's own:
// only local mode passes one (its OSS server's); no setting can.
func build(ctx context.Context, cfg *config.Config, log *slog.Logger, getenv func(string) string, extra http.Handler, trustedKeyURLs ...string) (*broker.Broker, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	verifier, err := auth.NewVerifier(ctx, auth.Config{
		HS256Secret:  cfg.JWT.HS256Secret,
		PublicKeyPEM: cfg.JWT.PublicKeyPEM,
		JWKSURL:      cfg.JWT.JWKSURL,
		JWKSJSON:     cfg.JWT.JWKSJSON,
		Issuer:       cfg.JWT.Issuer,
		Audience:     cfg.JWT.Audience,
		Leeway:       cfg.JWT.Leeway,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("token verifier: %w", err)
	}
	sc, err := cfg.Storage(getenv)
	if err != nil {
		verifier.Close()
		return nil, nil, err
	}
	store, err := storage.New(sc)
	if err != nil {
		verifier.Close()
		return nil, nil, err
	}
	handles, err := handleSealer(cfg, log)
	if err != nil {
		verifier.Close()
		return nil, nil, err
	}
	var cbVerifier *osscallback.Verifier
	var inspector *inspect.Inspector
	if cfg.Callbacks.Enabled() {
		cbVerifier = &osscallback.Verifier{Trusted: trustedKeyURLs}
		inspector, err = inspect.New(inspect.Config{Store: store, Allowed: cfg.ContentTypes, MaxSize: cfg.MaxUploadBytes,
			Action: inspect.Action(cfg.Callbacks.RejectAction)})
		if err != nil {
			verifier.Close()
			return nil, nil, err
		}
	}
	var notifier *notify.Notifier
	if cfg.Notifications.Enabled() {
		notifier, err = notify.New(notify.Config{URL: cfg.Notifications.URL, Signer: cfg.Notifications.Signer, Timeout: broker.NotifyTimeout})
		if err != nil {
			verifier.Close()
			return nil, nil, err
		}
	}
	cbURL := ""
	if cfg.Callbacks.Enabled() {
		cbURL = cfg.Callbacks.URL()
	}
	b, err := broker.New(broker.Config{
		CallbackURL:          cbURL,
		CallbackVerifier:     cbVerifier,
		Inspector:            inspector,
		Notifier:             notifier,
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
		Extra:                extra,
		Logger:               log,
	})
	if err != nil {
		verifier.Close()
		return nil, nil, err
	}
	return b, verifier.Close, nil
}
