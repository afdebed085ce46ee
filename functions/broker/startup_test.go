package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/proctest"
)

// TestStartupWarnsWithoutIssuerAudience: the compiled function, started as
// FC starts it with a public-key JWT source and neither JWT_ISSUER nor
// JWT_AUDIENCE, logs one JSON warning naming both before it serves; with
// both set it logs none.
func TestStartupWarnsWithoutIssuerAudience(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	ossURL := startOSSServer(t)
	for _, c := range []struct {
		name string
		env  []string
		warn bool
	}{
		{"neither", nil, true},
		{"issuer only", []string{"JWT_ISSUER=https://idp.example.com/"}, true},
		{"both", []string{"JWT_ISSUER=https://idp.example.com/", "JWT_AUDIENCE=ossbroker"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := append([]string{"OSS_ENDPOINT=" + ossURL, "OSS_ACCESS_KEY_ID=" + ramID, "OSS_ACCESS_KEY_SECRET=" + ramSecret,
				"JWT_HS256_SECRET=", "JWT_ISSUER=", "JWT_AUDIENCE=", "JWT_PUBLIC_KEY=" + pub}, c.env...)
			f := startFunction(t, env...)
			// The healthz answer proves startup is over: every warning
			// is logged before the first invocation.
			if res := f.invoke(t, event("GET", "/healthz", map[string]string{}, nil, false)); res.StatusCode != 200 {
				t.Fatalf("healthz: %+v", res)
			}
			var warnings []string
			for _, line := range strings.Split(f.stdout.String(), "\n") {
				var rec struct{ Level, Msg, Warning string }
				if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "configuration warning" {
					if rec.Level != "WARN" {
						t.Errorf("level %q", rec.Level)
					}
					warnings = append(warnings, rec.Warning)
				}
			}
			if !c.warn {
				if len(warnings) != 0 {
					t.Fatalf("warnings with both set: %q", warnings)
				}
				return
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "JWT_PUBLIC_KEY") || !strings.Contains(warnings[0], "JWT_AUDIENCE") ||
				strings.Contains(warnings[0], "JWT_ISSUER") == (len(c.env) > 0) {
				t.Fatalf("warnings %q\noutput:\n%s", warnings, f.stdout.String())
			}
		})
	}
}

// TestStartupErrorRedactsEndpoint: the compiled function (and local mode) refuses an
// OSS_ENDPOINT with credentials in it, naming the variable, and neither its
// stderr nor -print-ram-policy's shows them.
func TestStartupErrorRedactsEndpoint(t *testing.T) {
	const endpoint = "https://LTAIsecretid:SecretKeyValue0123@oss-cn-hangzhou.aliyuncs.com/?security-token=StsTokenValue"
	// Local mode (a separate command) reads the same configuration.
	localMode := proctest.Build(t, "../../pkg/devtools/localmode")
	for _, c := range []struct {
		bin  string
		args []string
	}{{proctest.Build(t, "."), nil}, {proctest.Build(t, "."), []string{"-print-ram-policy"}}, {localMode, []string{"-oss-only"}}} {
		args := c.args
		cmd := exec.Command(c.bin, args...)
		cmd.Env = append(os.Environ(), "FC_RUNTIME_API=127.0.0.1:1", "JWT_HS256_SECRET="+testSecret, "OSS_ENDPOINT="+endpoint, "OSS_BUCKET=uploads-prod",
			"OSS_EMULATOR_ADDR=127.0.0.1:0", "BROKER_ADDR=127.0.0.1:0", "DEV_DATA_DIR="+t.TempDir())
		done := make(chan struct{})
		var out []byte
		go func() { out, _ = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%v: still running with a bad OSS_ENDPOINT: %s", args, out)
		}
		if cmd.ProcessState.ExitCode() != 1 || !bytes.Contains(out, []byte("OSS_ENDPOINT")) {
			t.Fatalf("%v: exit %d: %s", args, cmd.ProcessState.ExitCode(), out)
		}
		for _, secret := range []string{"LTAIsecretid", "SecretKeyValue0123", "StsTokenValue"} {
			if bytes.Contains(out, []byte(secret)) {
				t.Fatalf("%v: the output shows %s: %s", args, secret, out)
			}
		}
	}
}
