package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/proctest"
)

const (
	testSecret  = "an-hs256-secret-of-at-least-32-bytes!"
	ramID       = "LTAI5tRamFunctionTest"
	ramSecret   = "RamSecretForFunctionTest0"
	testRegion  = "cn-hangzhou"
	testBucket  = "examplebucket"
	waitTimeout = 30 * time.Second
)

func startOSSServer(t *testing.T) string {
	t.Helper()
	srv, err := ossemu.New(ossemu.Config{
		Region:  testRegion,
		Buckets: []string{testBucket},
		Users: []ossemu.User{
			{AccessKeyID: ramID, AccessKeySecret: ramSecret, Policy: ossemu.PutPolicy(testBucket, "exampledir/")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return "http://" + addr.String()
}

// function runs the compiled function against a local runtime API, as FC
// runs it: the real SDK invoke loop polls FC_RUNTIME_API.
type function struct {
	rt     *fcemu.RuntimeAPI
	stdout *proctest.Output
}

func startFunction(t *testing.T, env ...string) *function {
	t.Helper()
	rt := fcemu.NewRuntimeAPI()
	addr, err := rt.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	cmd := exec.Command(proctest.Build(t, "."))
	cmd.Env = append(os.Environ(), "FC_RUNTIME_API="+addr.String())
	cmd.Env = append(cmd.Env, env...)
	out := &proctest.Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The SDK busy-loops when its runtime API goes away: kill it first.
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &function{rt: rt, stdout: out}
}

func (f *function) invoke(t *testing.T, ev map[string]any) events.HTTPTriggerResponse {
	t.Helper()
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	res, err := f.rt.Invoke(ctx, raw, fcemu.Invocation{RequestID: "1-6746c8a0-0123456789abcdef01234567"})
	if err != nil {
		t.Fatalf("invoke: %v (function output: %s)", err, f.stdout)
	}
	if res.Err != nil {
		t.Fatalf("function error: %+v", res.Err)
	}
	var out events.HTTPTriggerResponse
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatalf("response %s: %v", res.Body, err)
	}
	if out.Headers == nil {
		t.Fatalf("response without headers: %s", res.Body)
	}
	return out
}

// event builds an HTTPTriggerEvent as FC3 sends it.
func event(method, rawPath string, headers map[string]string, body []byte, binary bool) map[string]any {
	path := rawPath
	if p, err := url.PathUnescape(rawPath); err == nil {
		path = p
	}
	ev := map[string]any{
		"version": "v1", "rawPath": rawPath, "headers": headers, "queryParameters": map[string]string{},
		"isBase64Encoded": binary, "body": string(body),
		"requestContext": map[string]any{
			"accountId": "1234567890123456", "domainName": "abc.cn-hangzhou.fcapp.run", "domainPrefix": "abc",
			"http":      map[string]string{"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "test"},
			"requestId": "1-6746c8a0-0123456789abcdef01234567", "time": "2026-11-27T06:41:11Z", "timeEpoch": "1795761671000",
		},
	}
	if binary {
		ev["body"] = base64.StdEncoding.EncodeToString(body)
	}
	return ev
}

func mint(t *testing.T, sub string, exp time.Duration) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": sub, "exp": time.Now().Add(exp).Unix(), "iat": time.Now().Unix(),
	}).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCompiledFunctionUnderFCRuntime(t *testing.T) {
	ossURL := startOSSServer(t)
	f := startFunction(t,
		"OSS_ENDPOINT="+ossURL, "OSS_ACCESS_KEY_ID="+ramID, "OSS_ACCESS_KEY_SECRET="+ramSecret,
		"JWT_HS256_SECRET="+testSecret, "LOG_LEVEL=debug",
	)
	tok := mint(t, "alice", time.Hour)
	authz := map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}

	res := f.invoke(t, event("GET", "/healthz", map[string]string{}, nil, false))
	if res.StatusCode != 200 || res.Body != `{"status":"ok"}` {
		t.Fatalf("healthz: %+v", res)
	}
	if res.Headers["X-Request-Id"] != "1-6746c8a0-0123456789abcdef01234567" {
		t.Errorf("X-Request-Id = %q, want FC's request id", res.Headers["X-Request-Id"])
	}

	// Presign, with the JSON body base64-encoded as FC may deliver it.
	res = f.invoke(t, event("POST", "/v1/presign", authz, []byte(`{"key":"exampledir/fc/a.txt","contentType":"text/plain"}`), true))
	if res.StatusCode != 200 {
		t.Fatalf("presign: %+v", res)
	}
	var p struct {
		Method, URL string
		Headers     map[string]string
	}
	if err := json.Unmarshal([]byte(res.Body), &p); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(p.Method, p.URL, strings.NewReader("via FC"))
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	up, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	up.Body.Close()
	if up.StatusCode != 200 {
		t.Fatalf("upload to the presigned URL: %d", up.StatusCode)
	}

	// Direct upload of binary bytes, base64 in the event.
	payload := []byte{0, 1, 2, 0xff, 0xfe, 'x'}
	res = f.invoke(t, event("PUT", "/v1/objects/exampledir/fc/bin%20file.bin",
		map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/octet-stream"}, payload, true))
	if res.StatusCode != 201 || !strings.Contains(res.Body, `"key":"exampledir/fc/bin file.bin"`) || !strings.Contains(res.Body, `"size":6`) {
		t.Fatalf("direct upload: %+v", res)
	}

	for _, tt := range []struct {
		name    string
		ev      map[string]any
		status  int
		errCode string
	}{
		{"no token", event("POST", "/v1/presign", map[string]string{"Content-Type": "application/json"}, []byte(`{"key":"exampledir/a"}`), false), 401, "unauthorized"},
		{"expired token", event("POST", "/v1/presign", map[string]string{"Authorization": "Bearer " + mint(t, "alice", -time.Hour)}, []byte(`{"key":"exampledir/a"}`), false), 401, "unauthorized"},
		{"outside prefix", event("POST", "/v1/presign", authz, []byte(`{"key":"exampledir2/a"}`), false), 403, "key_outside_prefix"},
		{"encoded traversal", event("PUT", "/v1/objects/exampledir/%2e%2e/x", authz, []byte("x"), false), 400, "invalid_key"},
		{"existing object", event("PUT", "/v1/objects/exampledir/fc/bin%20file.bin", authz, []byte("x"), false), 409, "object_exists"},
	} {
		res := f.invoke(t, tt.ev)
		if res.StatusCode != tt.status || !strings.Contains(res.Body, `"code":"`+tt.errCode+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tt.name, res.StatusCode, res.Body, tt.status, tt.errCode)
		}
		if res.Headers["Content-Type"] != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tt.name, res.Headers["Content-Type"])
		}
	}
	if out := f.stdout.String(); strings.Contains(out, tok) || strings.Contains(out, ramSecret) || strings.Contains(out, "x-oss-signature=") {
		t.Errorf("a secret reached the function's output:\n%s", out)
	}
}

func TestStartupFailsOnBadConfig(t *testing.T) {
	cmd := exec.Command(proctest.Build(t, "."))
	cmd.Env = append(os.Environ(), "FC_RUNTIME_API=127.0.0.1:1", "JWT_HS256_SECRET=short")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, output %s", err, out)
	}
	if !bytes.Contains(out, []byte("JWT_HS256_SECRET")) || !bytes.Contains(out, []byte("32 bytes")) {
		t.Fatalf("the error does not name the variable and the rule: %s", out)
	}
}

// TestStartupFailsWithoutCredentials: no AccessKey pair and no role
// credentials in the environment (FC sets ALIBABA_CLOUD_* for a function
// with a role) is a startup error that names both fixes, before the
// runtime loop starts, instead of a 502 on every request.
func TestStartupFailsWithoutCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, proctest.Build(t, "."))
	cmd.Env = append(os.Environ(), "FC_RUNTIME_API=127.0.0.1:1", "JWT_HS256_SECRET="+testSecret,
		"OSS_ACCESS_KEY_ID=", "OSS_ACCESS_KEY_SECRET=", "ALIBABA_CLOUD_ACCESS_KEY_ID=",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=", "ALIBABA_CLOUD_SECURITY_TOKEN=")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, output %s", err, out)
	}
	for _, want := range []string{"startup failed", "no OSS credentials", "role", "OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the startup error does not say %q: %s", want, out)
		}
	}
}
