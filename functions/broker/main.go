// Command broker is the ossbroker FC3 function (see doc.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossbroker/ossbroker/pkg/assemble"
	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/cpulimit"
	"github.com/ossbroker/ossbroker/pkg/fchttp"
)

func main() {
	printRAM := flag.Bool("print-ram-policy", false, "print the least-privilege RAM policy (JSON) for this configuration and exit")
	printCORS := flag.Bool("print-bucket-cors", false, "print the bucket CORS rules (ossutil put-bucket-cors JSON) browser uploads need and exit")
	printLC := flag.Bool("print-bucket-lifecycle", false, "print the bucket lifecycle rule (ossutil put-bucket-lifecycle JSON) that aborts incomplete multipart uploads under the prefix, and exit")
	flag.Parse()
	if *printLC {
		os.Exit(printLifecycle(os.Stdout, os.Stderr, os.Getenv))
	}
	if *printRAM || *printCORS {
		os.Exit(printOSSConfig(os.Stdout, os.Stderr, os.Getenv, *printRAM, *printCORS))
	}
	tuneGC()
	cpulimit.Fit(os.Getenv)
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
	log := assemble.Logger(os.Stdout, cfg)
	h, closeFn, err := assemble.Broker(context.Background(), cfg, log, os.Getenv)
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		return 1
	}
	defer closeFn()
	fc.Start(fchttp.Handler(h, fchttp.WithLogger(log)))
	return 0
}
