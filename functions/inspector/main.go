// Command inspector is ossbroker's second FC3 function: an OSS trigger
// invokes it, asynchronously, for every upload under UPLOAD_PREFIX. It
// inspects the object (pkg/inspect, the verdict the broker's callback
// route reaches) and POSTs the signed notification (pkg/notify) to
// NOTIFICATION_URL. A failed notification fails the invocation, so FC
// retries it (s.yaml's asyncInvokeConfig): the application hears of every
// upload at least once, always under the same webhook-id. See
// pkg/uploadevent for what is skipped and why a retry is harmless.
//
// -print-ram-policy prints the function's own least-privilege RAM policy
// (read, and delete or tag, on the prefix), separate from the broker's.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossbroker/ossbroker/pkg/assemble"
	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/cpulimit"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
	"github.com/ossbroker/ossbroker/pkg/uploadevent"
)

func main() {
	printRAM := flag.Bool("print-ram-policy", false, "print the inspector's least-privilege RAM policy (JSON) for this configuration and exit")
	flag.Parse()
	if *printRAM {
		os.Exit(printPolicy(os.Stdout, os.Stderr, os.Getenv))
	}
	cfg, err := config.LoadInspector(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cpulimit.Fit(os.Getenv)
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	h, err := assemble.Inspector(cfg, log, os.Getenv)
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		os.Exit(1)
	}
	fc.Start(func(ctx context.Context, ev events.OssEvent) ([]uploadevent.Outcome, error) {
		return h.Handle(ctx, ev)
	})
}

// printPolicy is -print-ram-policy: the inspector's RAM policy, printed only
// for a bucket named in OSS_BUCKET (config.RequireBucket).
func printPolicy(stdout, stderr io.Writer, getenv func(string) string) int {
	if err := config.RequireBucket(getenv); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg, err := config.LoadInspector(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	b, err := ossconfig.JSON(assemble.InspectorPolicy(cfg))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := stdout.Write(b); err != nil {
		return 1
	}
	return 0
}
