package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/proctest"
)

// localStack starts the real local mode ("make run": the broker behind
// the local FC3 trigger, next to the local OSS server that checks every
// signature and applies the bucket CORS rule) and returns its base URL,
// the dev token and the allowed origin, read from its banner.
func localStack(t *testing.T) (base, token, origin string) {
	t.Helper()
	bin := proctest.Build(t, "../localmode")
	brokerAddr, ossAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin)
	env := []string{"BROKER_ADDR=" + brokerAddr, "OSS_EMULATOR_ADDR=" + ossAddr, "DEV_DATA_DIR=" + t.TempDir()}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "OSS_") || strings.HasPrefix(name, "JWT_") || name == "ALLOWED_ORIGINS" ||
			name == "UPLOAD_PREFIX" || name == "FC_RUNTIME_API" || strings.HasPrefix(name, "WEBHOOK_") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := proctest.Lines(stderr)
	baseRE := regexp.MustCompile(`broker \(FC3 HTTP trigger\)\s+(\S+)`)
	deadline := time.After(60 * time.Second)
	wantToken := false
	for base == "" || token == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("local mode exited before printing its banner")
			}
			if m := baseRE.FindStringSubmatch(l); m != nil {
				base = m[1]
			}
			if wantToken {
				token, wantToken = strings.TrimSpace(l), false
			}
			if strings.Contains(l, "dev token (sub=") {
				wantToken = true
			}
		case <-deadline:
			t.Fatal("no banner within 60 s")
		}
	}
	go func() {
		for range lines {
		}
	}()
	return base, token, "http://" + brokerAddr
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestSmokeAgainstLocalMode runs make smoke's program against the real
// local stack: every check passes with a request id, then each failure it
// is there to catch is reported as FAIL with exit status 1.
func TestSmokeAgainstLocalMode(t *testing.T) {
	base, token, origin := localStack(t)
	ctx := context.Background()

	var out, errOut bytes.Buffer
	code := run(ctx, []string{"-url", base, "-token", token, "-origin", origin}, &out, &errOut)
	t.Logf("make smoke against local mode:\n%s", out.String())
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	table := out.String()
	for _, check := range []string{"presign", "upload via presigned URL", "multipart upload, 2 parts", "CORS preflight, broker",
		"CORS preflight, bucket", "key outside prefix refused"} {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(check) + `\s+pass\s+(\d{3})\s+(\S+)`)
		m := re.FindStringSubmatch(table)
		if m == nil {
			t.Errorf("no passing row %q", check)
			continue
		}
		if m[2] == "-" {
			t.Errorf("%s: no request id", check)
		}
	}
	if !strings.Contains(table, "all 6 checks passed") {
		t.Errorf("summary missing")
	}

	for _, c := range []struct {
		name string
		args []string
		want []string // regexps that must match the table
	}{
		{"bad token", []string{"-url", base, "-token", token + "x", "-origin", origin},
			[]string{`(?m)^presign\s+FAIL\s+401\s+\S+\s+unauthorized`, `(?m)^upload via presigned URL\s+FAIL`,
				`(?m)^multipart upload, 2 parts\s+FAIL\s+401\s+\S+\s+/v1/multipart: unauthorized`, `(?m)^key outside prefix refused\s+FAIL\s+401`}},
		{"origin not allowed", []string{"-url", base, "-token", token, "-origin", "https://evil.example"},
			[]string{`(?m)^CORS preflight, broker\s+FAIL\s+403`, `(?m)^CORS preflight, bucket\s+FAIL\s+403`, `(?m)^presign\s+pass`}},
		{"prefix the broker does not grant", []string{"-url", base, "-token", token, "-prefix", "elsewhere/"},
			[]string{`(?m)^presign\s+FAIL\s+403\s+\S+\s+key_outside_prefix`, `(?m)^CORS preflight, broker\s+skip`}},
		{"nothing listening", []string{"-url", "http://" + freeAddr(t), "-token", token},
			[]string{`(?m)^presign\s+FAIL\s+-\s+-\s+.*connection refused`}},
	} {
		out.Reset()
		if code := run(ctx, c.args, &out, &errOut); code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s", c.name, code, out.String())
		}
		for _, w := range c.want {
			if !regexp.MustCompile(w).MatchString(out.String()) {
				t.Errorf("%s: no match for %s in\n%s", c.name, w, out.String())
			}
		}
	}
	if code := run(ctx, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage: make smoke URL=") {
		t.Errorf("no arguments: exit %d, %s", code, errOut.String())
	}
}
