package main

import (
	"os"
	"runtime/debug"
	"strconv"
)

// gcPercent is the GOGC the broker runs with unless GOGC is set. Its live
// heap is a few MiB, so at Go's default of 100 a busy instance collects
// every few hundred requests; 400 cuts the collector's share of a presign
// by about a fifth (README, Performance).
const gcPercent = 400

// gcMemoryShare is the part of FC's instance memory given to the Go heap
// as a soft limit (GOMEMLIMIT), so that the higher GOGC gives way to
// collecting more often when uploads in flight fill the instance.
const gcMemoryShare = 0.7

// gcSettings returns the GOGC and soft memory limit (bytes, 0 for none) to
// apply, from the environment: GOGC or GOMEMLIMIT set by the operator win
// (nothing is changed), and the limit comes from FC_FUNCTION_MEMORY_SIZE
// (MB), which FC sets and local mode does not.
func gcSettings(getenv func(string) string) (percent int, limit int64, ok bool) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return 0, 0, false
	}
	if mb, err := strconv.ParseInt(getenv("FC_FUNCTION_MEMORY_SIZE"), 10, 64); err == nil && mb > 0 {
		limit = int64(float64(mb<<20) * gcMemoryShare)
	}
	return gcPercent, limit, true
}

func tuneGC() {
	percent, limit, ok := gcSettings(os.Getenv)
	if !ok {
		return
	}
	debug.SetGCPercent(percent)
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
}
