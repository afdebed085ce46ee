package deploycheck

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// deployBlocks is README.md's Deploy section's shell blocks, in order.
func deployBlocks(t *testing.T, readme string) []string {
	t.Helper()
	start := strings.Index(readme, "\n## Deploy\n")
	if start < 0 {
		t.Fatal("README.md has no Deploy section")
	}
	section := readme[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```(?:sh|bash)\n(.*?)^```\n").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// readmePlaceholders are the README's placeholders and what the test puts
// in their place, as a deployer does.
var readmePlaceholders = strings.NewReplacer(
	"<account id>", testAccount, "<deployer key id>", testKeyID, "<deployer key secret>", testKeySec)

// shim records each call of a cloud command-line tool: its arguments, and
// the content of every file:// argument, which must exist, as the real
// tools read it.
const shim = `#!/bin/bash
set -eu
{
  echo "CALL $(basename "$0")"
  for a in "$@"; do
    echo "ARG $(printf '%s' "$a" | base64 -w0)"
    case "$a" in file://*) f="${a#file://}"; test -f "$f" || { echo "no such file: $f" >&2; exit 2; }
      echo "FILE $(base64 -w0 < "$f")";; esac
  done
} >> "$SHIM_RECORD"
`

// toolCall is one recorded call of aliyun or ossutil.
type toolCall struct {
	tool  string
	args  []string
	files []string
}

func (c toolCall) String() string { return c.tool + " " + strings.Join(c.args, " ") }

// arg is the value after flag.
func (c toolCall) arg(flag string) string {
	if i := slices.Index(c.args, flag); i >= 0 && i+1 < len(c.args) {
		return c.args[i+1]
	}
	return ""
}

// TestDeployReadme follows README.md's Deploy section as a first-time
// deployer does: every shell block, read from README.md now, in the order
// written, in a copy of the repository, with the README's placeholders
// filled in and no variable the README does not set. What needs the cloud
// is stubbed: aliyun and ossutil are shims that record their arguments (and
// the files they are handed), s is the real s 3.1.10 against the fc3
// stand-in; only make smoke (a deployed URL) cannot run. Then the record is
// checked: a bucket made and given the printed CORS and lifecycle rules, the
// three roles made with their trust policies and the printed policies for
// the real bucket attached, and both functions deployed with the .env
// values, multipart on.
func TestDeployReadme(t *testing.T) {
	t.Parallel()
	d := newSDeploy(t)
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := deployBlocks(t, string(readme))

	work := copyRepo(t)
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "tools.record")
	for _, tool := range []string{"aliyun", "ossutil"} {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(shim), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(d.s, filepath.Join(bin, "s")); err != nil {
		t.Fatal(err)
	}
	env := append(d.env(nil), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "SHIM_RECORD="+record)

	ran, skipped := 0, 0
	for i, b := range blocks {
		if strings.Contains(b, "make smoke") {
			skipped++ // needs a deployed function
			continue
		}
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", readmePlaceholders.Replace(b))
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("README Deploy block %d failed: %v\n%s\n--- the block:\n%s", i+1, err, out, b)
		}
		ran++
	}
	if skipped != 1 || ran < 4 {
		t.Fatalf("ran %d README Deploy blocks and skipped %d: want every one but make smoke's", ran, skipped)
	}

	// .env as written: multipart's secret among it.
	dotenv, err := os.ReadFile(filepath.Join(work, ".env"))
	if err != nil {
		t.Fatalf("the Deploy steps wrote no .env: %v", err)
	}
	if !regexp.MustCompile(`(?m)^MULTIPART_HANDLE_SECRET=[0-9a-f]{64}$`).Match(dotenv) {
		t.Errorf(".env has no MULTIPART_HANDLE_SECRET:\n%s", dotenv)
	}

	calls := readToolRecord(t, record)
	var steps []string
	for _, c := range calls {
		steps = append(steps, c.tool+" "+strings.Join(c.args[:min(2, len(c.args))], " "))
	}
	want := []string{
		"ossutil mb oss://examplebucket", "ossutil api put-bucket-cors", "ossutil api put-bucket-lifecycle",
		"aliyun ram CreateRole", "aliyun ram CreatePolicy", "aliyun ram AttachPolicyToRole",
		"aliyun ram CreateRole", "aliyun ram CreatePolicy", "aliyun ram AttachPolicyToRole",
		"aliyun ram CreateRole", "aliyun ram AttachPolicyToRole",
	}
	if !slices.Equal(steps, want) {
		t.Fatalf("the cloud tools were called as\n  %s\nwant\n  %s", strings.Join(steps, "\n  "), strings.Join(want, "\n  "))
	}
	var cors struct {
		CORSRule []struct{ AllowedOrigin []string }
	}
	if err := json.Unmarshal([]byte(calls[1].files[0]), &cors); err != nil || len(cors.CORSRule) != 1 ||
		!slices.Equal(cors.CORSRule[0].AllowedOrigin, []string{"https://app.example.com"}) || calls[1].arg("--bucket") != "examplebucket" {
		t.Errorf("put-bucket-cors: %v %s", err, calls[1])
	}
	if !strings.Contains(calls[2].files[0], `"AbortMultipartUpload"`) || calls[2].arg("--bucket") != "examplebucket" {
		t.Errorf("put-bucket-lifecycle: %s %s", calls[2], calls[2].files)
	}
	roles := map[string]string{}
	policies := map[string]string{}
	for _, c := range calls[3:] {
		switch c.args[1] {
		case "CreateRole":
			var trust struct {
				Statement []struct{ Principal struct{ Service []string } }
			}
			if err := json.Unmarshal([]byte(c.arg("--AssumeRolePolicyDocument")), &trust); err != nil || len(trust.Statement) != 1 {
				t.Errorf("%s: the trust policy is not a RAM policy: %v", c.args[2:4], err)
				continue
			}
			roles[c.arg("--RoleName")] = strings.Join(trust.Statement[0].Principal.Service, ",")
		case "CreatePolicy":
			policies[c.arg("--PolicyName")] = c.arg("--PolicyDocument")
		case "AttachPolicyToRole":
			name, role := c.arg("--PolicyName"), c.arg("--RoleName")
			if _, ok := roles[role]; !ok {
				t.Errorf("%s attaches to a role not made before", c)
			}
			if _, ok := policies[name]; !ok && c.arg("--PolicyType") == "Custom" {
				t.Errorf("%s attaches a policy not made before", c)
			}
		}
	}
	for role, svc := range map[string]string{"ossbroker-fn": "fc.aliyuncs.com", "ossbroker-inspector": "fc.aliyuncs.com",
		"ossbroker-oss-trigger": "oss.aliyuncs.com"} {
		if roles[role] != svc {
			t.Errorf("role %s trusts %q, want %s", role, roles[role], svc)
		}
	}
	for name, want := range map[string][]string{
		"ossbroker-upload":  {`"acs:oss:*:*:examplebucket/exampledir/*"`, `"oss:PutObject"`, `"oss:ListParts"`, `"oss:AbortMultipartUpload"`},
		"ossbroker-inspect": {`"acs:oss:*:*:examplebucket/exampledir/*"`, `"oss:GetObject"`},
	} {
		for _, w := range want {
			if !strings.Contains(policies[name], w) {
				t.Errorf("policy %s lacks %s:\n%s", name, w, policies[name])
			}
		}
	}

	// Both functions deployed with .env's values.
	var broker, inspector *call
	for _, c := range d.record() {
		switch {
		case c.Props.FunctionName == "ossbroker" && c.Command == "deploy" && slices.Contains(c.Args, "--function"):
			broker = &c
		case c.Props.FunctionName == "ossbroker-inspector" && c.Command == "deploy":
			inspector = &c
		}
	}
	if broker == nil || inspector == nil {
		t.Fatalf("the stand-in saw no deploy of both functions: %+v", d.record())
	}
	ev := broker.Props.EnvironmentVariables
	if ev["OSS_BUCKET"] != "examplebucket" || ev["JWT_JWKS_URL"] == "" || ev["JWT_ISSUER"] == "" || ev["JWT_AUDIENCE"] != "ossbroker" ||
		len(ev["MULTIPART_HANDLE_SECRET"]) != 64 || ev["ALLOWED_ORIGINS"] != "https://app.example.com" {
		t.Errorf("the broker was deployed with %v", ev)
	}
	if want := "acs:ram::" + testAccount + ":role/ossbroker-fn"; broker.Props.Role != want {
		t.Errorf("the broker's role is %q, want %s", broker.Props.Role, want)
	}
	if want := "acs:ram::" + testAccount + ":role/ossbroker-inspector"; inspector.Props.Role != want {
		t.Errorf("the inspector's role is %q, want %s", inspector.Props.Role, want)
	}
}

// copyRepo copies the repository's tracked files (what a clone holds) to a
// temporary folder, where the Deploy steps write .env and the documents.
func copyRepo(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", "../../..", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("SKIPPED: not a git checkout (git ls-files: %v)", err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if strings.Contains(f, "node_modules/") {
			continue
		}
		src, err := os.Open(filepath.Join("../../..", f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := src.Stat()
		os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755)
		w, err := os.OpenFile(filepath.Join(dst, f), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(w, src)
		src.Close()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func readToolRecord(t *testing.T, path string) []toolCall {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no cloud tool was called: %v", err)
	}
	var calls []toolCall
	for line := range strings.Lines(string(b)) {
		kind, val, _ := strings.Cut(strings.TrimSpace(line), " ")
		dec, _ := base64.StdEncoding.DecodeString(val)
		switch kind {
		case "CALL":
			calls = append(calls, toolCall{tool: val})
		case "ARG":
			calls[len(calls)-1].args = append(calls[len(calls)-1].args, string(dec))
		case "FILE":
			calls[len(calls)-1].files = append(calls[len(calls)-1].files, string(dec))
		}
	}
	return calls
}
