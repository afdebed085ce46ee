package main

import (
	"os"
	"testing"
)

// TestFailsOnRequest fails only when TestProgress asks it to, so that
// TestProgress has a real failing package to read.
func TestFailsOnRequest(t *testing.T) {
	if os.Getenv("TESTPROGRESS_FAIL") == "1" {
		t.Error("failed on request")
	}
}
