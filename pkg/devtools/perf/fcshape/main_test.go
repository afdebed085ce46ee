package main

import (
	"os"
	"strings"
	"testing"
)

// TestShortRun runs the tool in a short form at the shape s.yaml asks for. It asserts no timing:
// only that every request produced its figures and that the broker was never OOM-killed.
func TestShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries and runs them in cgroups for about half a minute")
	}
	if _, err := findHierarchies(); err != nil || os.Geteuid() != 0 {
		reason := "not root"
		if err != nil {
			reason = err.Error()
		}
		msg := "!!! SKIPPED: fcshape cannot create cgroups here (" + reason + "); " +
			"the FC-shaped CPU and memory figures were not measured"
		if os.Getenv("OSSBROKER_REQUIRE_CGROUPS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	var out strings.Builder
	rep, err := run(options{n: 30, runs: 1, short: true, syaml: "s.yaml", out: &out})
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.results) != len(requests())+4 {
		t.Fatalf("%d results, want %d", len(rep.results), len(requests())+4)
	}
	for _, r := range rep.results {
		if r.function != "broker" {
			continue
		}
		if r.oomKills != 0 || r.failure != "" {
			t.Errorf("%s: the broker was OOM-killed (%d) or died (%s) at %d MB", r.request, r.oomKills, r.failure, rep.memoryMB)
		}
		if len(r.cpuPerInv) != 1 || r.cpuPerInv[0] <= 0 || len(r.peak) != 1 || r.peak[0] <= 0 {
			t.Errorf("%s: no figures: CPU %v, peak %v", r.request, r.cpuPerInv, r.peak)
		}
	}
}
