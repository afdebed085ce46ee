package deploycheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/config"
)

// The credential the throwaway alias holds (never a real key).
const (
	testAlias    = "ci-deploy"
	testKeyID    = "LTAI5tDeployTestKeyID"
	testKeySec   = "DeployTestKeySecret0123456789"
	testAccount  = "1234567890123456"
	testBucket   = "ossbroker-deploy-test"
	testJWKSURL  = "https://login.example.com/.well-known/jwks.json"
	testDescribe = "release-under-test"
)

// makeVar is the value make gives a Makefile variable.
func makeVar(t *testing.T, name string) string {
	t.Helper()
	cmd := exec.Command("make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "print-var")
	cmd.Dir = "../../.."
	cmd.Stdin = strings.NewReader("print-var:\n\t@echo '$(" + name + ")'\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// sDeploy is one offline Serverless Devs setup: the pinned s from
// .ci/node_modules, a throwaway HOME with one alias made by "s config add",
// and s.yaml's component pointed at the fc3 stand-in (.ci/fc3-standin),
// which records what s hands it in dir.
type sDeploy struct {
	t     *testing.T
	s     string // the s binary
	home  string
	dir   string // FC3_STANDIN_DIR
	proxy *netWatch
	goEnv []string // GOPATH, GOMODCACHE, GOCACHE of this test's go, and GOPROXY=off
}

// netWatch is where HTTP(S)_PROXY points: s must not reach the network,
// and a request that honours the proxy variables lands here, named in the
// failure, instead of leaving the machine.
type netWatch struct {
	mu   sync.Mutex
	seen []string
	addr string
}

func newNetWatch(t *testing.T) *netWatch {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &netWatch{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			w.mu.Lock()
			w.seen = append(w.seen, strings.TrimSpace(line))
			w.mu.Unlock()
			c.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.seen) > 0 {
			t.Errorf("s tried to reach the network (through HTTP(S)_PROXY): %q; the deploy test must run offline", w.seen)
		}
	})
	return w
}

func newSDeploy(t *testing.T) *sDeploy {
	t.Helper()
	s, err := filepath.Abs("../../../.ci/node_modules/.bin/s")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s); err != nil {
		if os.Getenv("OSSBROKER_REQUIRE_DEPLOY") == "1" {
			t.Fatalf("OSSBROKER_REQUIRE_DEPLOY=1 but %s is missing: (cd .ci && npm ci)", s)
		}
		t.Skipf("SKIPPED the offline s deploy test: %s is missing ((cd .ci && npm ci); .ci/run does it and sets OSSBROKER_REQUIRE_DEPLOY=1)", s)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH, but .ci/node_modules is there: %v", err)
	}
	d := &sDeploy{t: t, s: s, home: t.TempDir(), dir: t.TempDir(), proxy: newNetWatch(t), goEnv: []string{"GOPROXY=off"}}
	for _, v := range []string{"GOPATH", "GOMODCACHE", "GOCACHE"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", v, err)
		}
		d.goEnv = append(d.goEnv, v+"="+strings.TrimSpace(string(out)))
	}
	// s's own settings: no usage reports (analysis), and the throwaway alias.
	d.run(nil, "set", "analysis", "disable")
	d.run(nil, "config", "add", "-a", testAlias, "--AccessKeyID", testKeyID, "--AccessKeySecret", testKeySec, "--AccountID", testAccount, "-f")
	return d
}

// env is the environment of every s and make call: the test's own, minus
// anything that would leak a developer's deployment settings into the run,
// plus the throwaway HOME, the stand-in and the given values.
func (d *sDeploy) env(extra map[string]string) []string {
	drop := map[string]bool{}
	for _, v := range config.Variables {
		drop[v] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		up := strings.ToUpper(name)
		if drop[name] || strings.HasPrefix(up, "S_") || strings.HasPrefix(up, "FC_") || strings.HasPrefix(up, "ALIBABA_CLOUD") || strings.HasPrefix(up, "INSPECTOR_") ||
			strings.HasSuffix(up, "_PROXY") || up == "NODE_ENV" || strings.HasPrefix(name, "serverless_devs") {
			continue
		}
		env = append(env, kv)
	}
	standin, err := filepath.Abs("../../../.ci/fc3-standin")
	if err != nil {
		d.t.Fatal(err)
	}
	proxy := "http://" + d.proxy.addr
	env = append(env, "HOME="+d.home, "S_FC3_COMPONENT="+standin, "FC3_STANDIN_DIR="+d.dir,
		"HTTP_PROXY="+proxy, "HTTPS_PROXY="+proxy, "http_proxy="+proxy, "https_proxy="+proxy,
		// s 3.1.10 starts detached daemons after each command (update
		// checks, usage reports) that reach the network; its daemon
		// launcher returns at once when NODE_ENV is "test".
		"NODE_ENV=test")
	// The throwaway HOME must not move Go's caches: s.yaml's pre-deploy
	// action runs make build, which is to use the modules already there.
	env = append(env, d.goEnv...)
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// run runs s with args and the given values; it fails the test unless s
// exits 0.
func (d *sDeploy) run(vals map[string]string, args ...string) string {
	d.t.Helper()
	out, err := d.try(vals, d.s, args...)
	if err != nil {
		d.t.Fatalf("s %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (d *sDeploy) try(vals map[string]string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = "../../.."
	cmd.Env = d.env(vals)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		<-done
		return out.String(), &exec.ExitError{}
	}
}

// make runs a Makefile target with the pinned s and the test's alias.
func (d *sDeploy) make(vals map[string]string, args ...string) (string, error) {
	return d.try(vals, "make", append([]string{"-s", "--no-print-directory", "S=" + d.s, "S_ACCESS=" + testAlias, "RELEASE=" + testDescribe}, args...)...)
}

// call is one line of the stand-in's record.
type call struct {
	Command    string   `json:"command"`
	Args       []string `json:"args"`
	Alias      string   `json:"alias"`
	Credential struct {
		AccessKeyID, AccountID string
	} `json:"credential"`
	Props struct {
		Props
		Region       string `json:"region"`
		FunctionName string `json:"functionName"`
		Runtime      string `json:"runtime"`
		Handler      string `json:"handler"`
		Role         string `json:"role"`
	} `json:"props"`
	Code *struct {
		Kind  string `json:"kind"`
		Files []struct {
			Path       string `json:"path"`
			Size       int64  `json:"size"`
			Executable bool   `json:"executable"`
		} `json:"files"`
	} `json:"code"`
	Result map[string]any `json:"result"`
}

func (d *sDeploy) record() []call {
	d.t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dir, "record.jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		d.t.Fatal(err)
	}
	var calls []call
	for line := range strings.Lines(string(b)) {
		var c call
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			d.t.Fatalf("record line %q: %v", line, err)
		}
		calls = append(calls, c)
	}
	return calls
}

// aliasVersion is the version the stand-in's FC state has the alias at.
func (d *sDeploy) aliasVersion(alias string) string {
	d.t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dir, "state.json"))
	if err != nil {
		d.t.Fatal(err)
	}
	var st struct {
		Aliases map[string]string `json:"aliases"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		d.t.Fatal(err)
	}
	return st.Aliases[alias]
}

var deployVals = map[string]string{"OSS_BUCKET": testBucket, "JWT_JWKS_URL": testJWKSURL, "OSS_REGION": "cn-shanghai"}

// TestDeployOffline runs "make deploy" as a first-time deployer would, with
// the real s 3.1.10 and an alias from "s config add", against the fc3
// stand-in, and asserts on what the stand-in received: the credential of
// the alias given with -a, props that pass fc3's schema, every variable
// pkg/config reads, a code package that is the binary alone, a version
// published, the alias moved to it and the trigger on the alias. Then a
// second release and "make rollback" back to the first.
func TestDeployOffline(t *testing.T) {
	t.Parallel()
	d := newSDeploy(t)
	out, err := d.make(deployVals, "deploy")
	if err != nil {
		t.Fatalf("make deploy: %v\n%s", err, out)
	}
	calls := d.record()
	var steps []string
	for _, c := range calls {
		steps = append(steps, c.Command+" "+strings.Join(c.Args, " "))
	}
	want := []string{
		"deploy -y -a " + testAlias + " --function",
		"version publish -a " + testAlias + " --description " + testDescribe,
		"alias publish -a " + testAlias + " --alias-name prod --version-id latest",
		"deploy -y -a " + testAlias + " --trigger --skip-actions",
	}
	if !slices.Equal(steps, want) {
		t.Fatalf("make deploy called the component with\n  %s\nwant\n  %s", strings.Join(steps, "\n  "), strings.Join(want, "\n  "))
	}
	for _, c := range calls {
		if c.Alias != testAlias || c.Credential.AccessKeyID != testKeyID || c.Credential.AccountID != testAccount {
			t.Errorf("%s: alias %q credential %+v, want the alias %s made by s config add", c.Command, c.Alias, c.Credential, testAlias)
		}
	}

	fn := calls[0]
	p := fn.Props
	if p.Region != "cn-shanghai" || p.FunctionName != "ossbroker" || p.Runtime != "go1" || p.Handler != "main" {
		t.Errorf("props: region %q function %q runtime %q handler %q", p.Region, p.FunctionName, p.Runtime, p.Handler)
	}
	if got, want := slices.Sorted(maps.Keys(p.EnvironmentVariables)), slices.Sorted(slices.Values(config.Variables)); !slices.Equal(got, want) {
		t.Errorf("rendered environmentVariables\n  %v\nwant pkg/config's\n  %v", got, want)
	}
	for k, want := range map[string]string{
		"OSS_BUCKET": testBucket, "JWT_JWKS_URL": testJWKSURL, "OSS_REGION": "cn-shanghai",
		"OSS_INTERNAL_ENDPOINT": "https://oss-cn-shanghai-internal.aliyuncs.com", "OSS_ENDPOINT": "",
		"JWT_HS256_SECRET": "", "WEBHOOK_SECRET_1": "",
	} {
		if got := p.EnvironmentVariables[k]; got != want {
			t.Errorf("rendered %s = %q, want %q", k, got, want)
		}
	}
	if n := EnvBytes(p.EnvironmentVariables); n > MaxEnvBytes {
		t.Errorf("rendered environment variables are %d bytes, over FC's %d", n, MaxEnvBytes)
	} else {
		t.Logf("rendered environment variables: %d of FC's %d bytes", n, MaxEnvBytes)
	}
	if fn.Code == nil || fn.Code.Kind != "directory" || len(fn.Code.Files) != 1 || fn.Code.Files[0].Path != "main" || !fn.Code.Files[0].Executable {
		t.Errorf("code package: %+v, want the directory holding only the executable main", fn.Code)
	} else {
		t.Logf("code package: main, %d bytes", fn.Code.Files[0].Size)
	}
	if v := calls[1].Result["versionId"]; v != "1" {
		t.Errorf("version publish: %v", calls[1].Result)
	}
	if r := calls[2].Result; r["aliasName"] != "prod" || r["versionId"] != "1" {
		t.Errorf("alias publish: %v", r)
	}
	if tr := calls[3].Props.Triggers; len(tr) != 1 || tr[0].TriggerType != "http" || tr[0].Qualifier != "prod" {
		t.Errorf("trigger: %+v, want the http trigger on the alias prod", tr)
	}

	// A second release moves the alias; rollback moves it back in one call.
	if out, err := d.make(deployVals, "deploy"); err != nil {
		t.Fatalf("second make deploy: %v\n%s", err, out)
	}
	if v := d.aliasVersion("prod"); v != "2" {
		t.Fatalf("after the second deploy prod is at version %q, want 2", v)
	}
	n := len(d.record())
	if out, err := d.make(deployVals, "rollback"); err == nil || !strings.Contains(out, "usage: make rollback VERSION=<id>") {
		t.Errorf("make rollback without VERSION: %v\n%s", err, out)
	}
	if out, err := d.make(deployVals, "rollback", "VERSION=1"); err != nil {
		t.Fatalf("make rollback VERSION=1: %v\n%s", err, out)
	}
	if v := d.aliasVersion("prod"); v != "1" {
		t.Fatalf("after make rollback VERSION=1 prod is at version %q", v)
	}
	if calls := d.record()[n:]; len(calls) != 1 || calls[0].Command != "alias" || calls[0].Args[0] != "publish" {
		t.Errorf("rollback made these calls: %+v", calls)
	}
	if out, err := d.make(deployVals, "rollback", "VERSION=7"); err == nil {
		t.Errorf("rollback to a version that does not exist succeeded:\n%s", out)
	}
}

// TestDeployRefusesMissingRequiredValues: without OSS_BUCKET, or without
// any JWT key source, the real s stops before calling the component, with
// a message naming the variable.
func TestDeployRefusesMissingRequiredValues(t *testing.T) {
	t.Parallel()
	d := newSDeploy(t)
	for _, c := range []struct {
		name string
		vals map[string]string
		want string
	}{
		{"no bucket", map[string]string{"JWT_JWKS_URL": testJWKSURL}, "env('OSS_BUCKET') not found"},
		{"no JWT key source", map[string]string{"OSS_BUCKET": testBucket}, "env('JWT_JWKS_URL') not found"},
	} {
		out, err := d.try(c.vals, d.s, "deploy", "-y", "-a", testAlias, "--function")
		if err == nil {
			t.Errorf("%s: s deploy succeeded:\n%s", c.name, out)
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("%s: s did not say %q:\n%s", c.name, c.want, out)
		}
	}
	for _, alt := range []string{"JWT_HS256_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS"} {
		if _, err := d.try(map[string]string{"OSS_BUCKET": testBucket, alt: "x"}, d.s, "preview", "-o", "json", "--silent"); err != nil {
			t.Errorf("with %s as the key source s preview failed: %v", alt, err)
		}
	}
	if calls := d.record(); len(calls) != 0 {
		t.Errorf("the component was called: %+v", calls)
	}
}
