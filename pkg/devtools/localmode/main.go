// Command localmode is "make run": ossbroker on one machine with no cloud
// account (see doc.go).
package main

import (
	"flag"
	"os"
)

func main() {
	ossOnly := flag.Bool("oss-only", false, "start only the local OSS server")
	runtimeAPI := flag.Bool("runtime-api", false, "deliver each event through a local FC runtime API to a real fc.Start loop")
	flag.Parse()
	os.Exit(runDev(*ossOnly, *runtimeAPI))
}
