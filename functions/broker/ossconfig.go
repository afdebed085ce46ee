package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// printOSSConfig is -print-ram-policy and -print-bucket-cors: the OSS-side
// setup for the configuration in the environment, as JSON on stdout. A bad
// configuration is reported on stderr with exit status 1, as at startup.
func printOSSConfig(stdout, stderr io.Writer, load func() (*config.Config, error), ram, cors bool) int {
	if ram && cors {
		fmt.Fprintln(stderr, "-print-ram-policy and -print-bucket-cors print different documents: use one")
		return 2
	}
	cfg, err := load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var doc any
	if ram {
		doc = ramPolicy(cfg)
	} else {
		c, err := ossconfig.BucketCORS(cfg.AllowedOrigins)
		if err != nil {
			fmt.Fprintln(stderr, "ALLOWED_ORIGINS:", err)
			return 1
		}
		doc = c
	}
	b, err := ossconfig.JSON(doc)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := stdout.Write(b); err != nil {
		return 1
	}
	return 0
}

// ramPolicy is the least privilege for the routes cfg enables: uploads
// (PutObject, plus ListParts and AbortMultipartUpload when multipart is on,
// i.e. a handle secret is configured) and, in a statement of its own,
// presigned downloads (GetObject), both under the prefix; with
// PUBLIC_BASE_URL, inspection's GetObject and the verdict's DeleteObject or
// PutObjectTagging, under the prefix too. A route that
// needs more adds its statement here when it is enabled (Policy.Allow).
func ramPolicy(cfg *config.Config) ossconfig.Policy {
	actions := ossconfig.BrokerActions
	if cfg.Multipart.HandleSecret != nil {
		actions = slices.Concat(actions, ossconfig.MultipartActions)
	}
	p := ossconfig.RAMPolicy(cfg.Bucket, cfg.Prefix.Pattern(), actions)
	if cfg.AllowDownloads {
		p = p.Allow(cfg.Bucket, cfg.Prefix.Pattern(), ossconfig.DownloadActions...)
	}
	if cfg.Callbacks.Enabled() {
		// Upload inspection reads each upload's first bytes and deletes or
		// tags a rejected one (pkg/inspect), on the prefix.
		p = p.Allow(cfg.Bucket, cfg.Prefix.Pattern(), slices.Concat(ossconfig.InspectActions, ossconfig.VerdictActions[cfg.Callbacks.RejectAction])...)
	}
	if len(cfg.Webhooks.Sources) > 0 {
		// POST /v1/webhooks/{source} HEADs an event already stored, to tell
		// a redelivery from a conflict: GetObject on the webhooks folder
		// only (pkg/broker/webhooks.go).
		if folder, err := webhook.FolderFor(cfg.Prefix); err == nil {
			p = p.Allow(cfg.Bucket, folder, "oss:GetObject")
		}
	}
	return p
}

// printLifecycle is -print-bucket-lifecycle: the bucket lifecycle rule
// that aborts the broker's incomplete multipart uploads (their parts are
// billed until then) under the upload prefix, MULTIPART_TTL plus a margin
// after their last part (ossconfig.MultipartAbortDays). A prefix that
// starts with a placeholder has no literal part: the rule then covers the
// whole bucket, which stderr says.
func printLifecycle(stdout, stderr io.Writer, load func() (*config.Config, error)) int {
	cfg, err := load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	prefix, _, _ := strings.Cut(cfg.Prefix.Pattern(), "*")
	if prefix == "" {
		fmt.Fprintf(stderr, "UPLOAD_PREFIX %q starts with a placeholder: this rule covers the whole bucket\n", cfg.Prefix.Template())
	}
	b, err := ossconfig.JSON(ossconfig.BucketLifecycle(prefix, cfg.Multipart.TTL))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := stdout.Write(b); err != nil {
		return 1
	}
	return 0
}
