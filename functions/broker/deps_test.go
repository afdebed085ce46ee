package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestPackagedBinariesLinkNoDevTools: the packages "make build" and
// "make build-inspector" compile (read from the Makefile's recipes, for
// linux/amd64 as they build) link nothing of the developer tooling: no local
// OSS server, no FC emulator, no local mode and its demo page.
func TestPackagedBinariesLinkNoDevTools(t *testing.T) {
	const module = "github.com/ossbroker/ossbroker/"
	build := regexp.MustCompile(`go build .* -o (\S+) (\./functions/\S+)`)
	for _, target := range []string{"build", "build-inspector"} {
		cmd := exec.Command("make", "-n", target)
		cmd.Dir = "../.."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("make -n %s: %v", target, err)
		}
		m := build.FindSubmatch(out)
		if m == nil {
			t.Fatalf("make -n %s builds no ./functions/ package:\n%s", target, out)
		}
		pkg := string(m[2])
		list := exec.Command("go", "list", "-deps", pkg)
		list.Dir = "../.."
		list.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
		deps, err := list.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		var own []string
		for _, p := range strings.Fields(string(deps)) {
			if !strings.HasPrefix(p, module) {
				continue
			}
			own = append(own, p)
			rel := strings.TrimPrefix(p, module)
			if strings.HasPrefix(rel, "pkg/devtools/") || strings.Contains(rel, "ossemu") || strings.Contains(rel, "fcemu") || strings.Contains(rel, "localmode") {
				t.Errorf("%s (make %s) links %s", pkg, target, p)
			}
		}
		if len(own) < 3 || own[len(own)-1] != module+strings.TrimPrefix(pkg, "./") {
			t.Fatalf("go list -deps %s listed %q: not the package's own dependencies", pkg, own)
		}
	}
}
