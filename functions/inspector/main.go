// Command inspector is ossbroker's second FC3 function: an OSS trigger
// invokes it, asynchronously, for every upload under UPLOAD_PREFIX. It
// inspects the object (pkg/inspect, the verdict the broker's callback
// route reaches) and POSTs the signed notification (pkg/notify) to
// NOTIFICATION_URL. A failed notification fails the invocation, so FC
// retries it (s.yaml's asyncInvokeConfig): the application hears of every
// upload at least once, always under the same webhook-id. See
// pkg/uploadevent for what is skipped and why a retry is harmless.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/storage"
	"github.com/ossbroker/ossbroker/pkg/uploadevent"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// NotifyTimeout bounds one notification attempt: a receiver that hangs
// fails the invocation (FC retries) long before the function's timeout.
const NotifyTimeout = 10 * time.Second

func main() {
	cfg, err := config.LoadInspector(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	h, err := Build(cfg, log, os.Getenv)
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		os.Exit(1)
	}
	fc.Start(func(ctx context.Context, ev events.OssEvent) ([]uploadevent.Outcome, error) {
		return h.Handle(ctx, ev)
	})
}

// Build makes the handler from a validated configuration, once per
// instance.
func Build(cfg *config.Config, log *slog.Logger, getenv func(string) string) (*uploadevent.Handler, error) {
	store, err := storage.New(storage.Config{
		Bucket:         cfg.Bucket,
		Region:         cfg.Region,
		Endpoint:       cfg.Endpoint,
		PathStyle:      cfg.PathStyle,
		Credentials:    storage.Credentials(cfg.AccessKeyID, cfg.AccessKeySecret, getenv),
		ConnectTimeout: cfg.OSSConnectTimeout,
		RequestTimeout: cfg.OSSRequestTimeout,
	})
	if err != nil {
		return nil, err
	}
	in, err := inspect.New(inspect.Config{Store: store, Allowed: cfg.ContentTypes, MaxSize: cfg.MaxUploadBytes,
		Action: inspect.Action(cfg.Callbacks.RejectAction)})
	if err != nil {
		return nil, err
	}
	var n *notify.Notifier
	if cfg.Notifications.Enabled() {
		n, err = notify.New(notify.Config{URL: cfg.Notifications.URL, Signer: cfg.Notifications.Signer, Timeout: NotifyTimeout})
		if err != nil {
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
