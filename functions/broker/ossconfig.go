package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ossbroker/ossbroker/pkg/assemble"
	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
)

// printOSSConfig is -print-ram-policy and -print-bucket-cors: the OSS-side
// setup for the configuration in the environment, as JSON on stdout. A bad
// configuration is reported on stderr with exit status 1, as at startup;
// no JWT key source is needed (config.LoadForPrint), and the RAM policy is
// printed only for a bucket named in OSS_BUCKET.
func printOSSConfig(stdout, stderr io.Writer, getenv func(string) string, ram, cors bool) int {
	if ram && cors {
		fmt.Fprintln(stderr, "-print-ram-policy and -print-bucket-cors print different documents: use one")
		return 2
	}
	if ram {
		if err := config.RequireBucket(getenv); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	cfg, err := config.LoadForPrint(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var doc any
	if ram {
		doc = assemble.BrokerPolicy(cfg)
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

// printLifecycle is -print-bucket-lifecycle: the bucket lifecycle rule
// that aborts the broker's incomplete multipart uploads (their parts are
// billed until then) under the upload prefix, MULTIPART_TTL plus a margin
// after their last part ([ossconfig.MultipartAbortDays]), and with
// REJECTED_UPLOADS=quarantine (the default) the rule that expires
// quarantined uploads [config.QuarantineDays] after they were moved. A prefix that
// starts with a placeholder has no literal part: the rule then covers the
// whole bucket, which stderr says.
func printLifecycle(stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := config.LoadForPrint(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	prefix, _, _ := strings.Cut(cfg.Prefix.Pattern(), "*")
	if prefix == "" {
		fmt.Fprintf(stderr, "UPLOAD_PREFIX %q starts with a placeholder: this rule covers the whole bucket\n", cfg.Prefix.Template())
	}
	lc := ossconfig.BucketLifecycle(prefix, cfg.Multipart.TTL)
	if cfg.Callbacks.RejectAction == "quarantine" {
		lc = lc.ExpireQuarantine(config.QuarantineFolder, config.QuarantineDays)
	}
	b, err := ossconfig.JSON(lc)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := stdout.Write(b); err != nil {
		return 1
	}
	return 0
}
