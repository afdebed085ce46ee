package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestProgress runs the real go test -json on two packages of this module,
// one that passes and this one, failing (TestFailsOnRequest, switched on by
// the environment), and checks what make test shows: each package's closing
// line unchanged, the failing test's output, a progress line per package,
// and the exit status.
func TestProgress(t *testing.T) {
	cmd := exec.Command("go", "test", "-json", "-count=1", "-run", "^TestFailsOnRequest$", ".", "../dotenv")
	cmd.Env = append(cmd.Environ(), "TESTPROGRESS_FAIL=1")
	events, _ := cmd.CombinedOutput()
	var out, progress bytes.Buffer
	code := run(bytes.NewReader(events), &out, &progress, time.Now)
	if code != 1 {
		t.Errorf("exit %d with a failing package, want 1", code)
	}
	for _, want := range []string{"FAIL\tgithub.com/ossbroker/ossbroker/pkg/devtools/testprogress\t",
		"ok  \tgithub.com/ossbroker/ossbroker/pkg/devtools/dotenv\t", "failed on request"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(progress.String(), "packages done; running:"); n != 2 {
		t.Errorf("%d progress lines, want one per package:\n%s", n, progress.String())
	}

	out.Reset()
	passing := exec.Command("go", "test", "-json", "-count=1", "../dotenv")
	events, err := passing.CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if code := run(bytes.NewReader(events), &out, &progress, time.Now); code != 0 || !strings.HasPrefix(out.String(), "ok  \t") {
		t.Errorf("a passing run: exit %d, output %q", code, out.String())
	}
	if code := run(strings.NewReader("go: no packages\n"), &out, &progress, time.Now); code != 1 {
		t.Errorf("nothing ran: exit %d, want 1", code)
	}
}
