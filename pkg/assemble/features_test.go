package assemble

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/config"
)

// TestStartupSaysWhatIsOff: the recommended production set-up (the function
// role's STS credentials and an identity provider's public key) has no
// secret to derive the multipart key from. Without MULTIPART_HANDLE_SECRET
// startup logs a WARN line naming multipart, why and the fix, and the
// features line lists it as off; with it, multipart is on and nothing warns.
func TestStartupSaysWhatIsOff(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	for _, secret := range []string{"", "a-multipart-handle-secret-of-32-bytes!!"} {
		env := map[string]string{
			"OSS_BUCKET": "uploads-prod", "JWT_PUBLIC_KEY": pub, "JWT_ISSUER": "https://login.example.com/",
			"JWT_AUDIENCE": "ossbroker", "MULTIPART_HANDLE_SECRET": secret,
			"ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.role", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "role-secret",
			"ALIBABA_CLOUD_SECURITY_TOKEN": "role-token",
		}
		getenv := func(k string) string { return env[k] }
		cfg, err := config.Load(getenv)
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		_, closeFn, err := Broker(context.Background(), cfg, slog.New(slog.NewJSONHandler(&logs, nil)), getenv)
		if err != nil {
			t.Fatal(err)
		}
		closeFn()
		var warned bool
		var features struct{ On, Off []string }
		for line := range strings.Lines(logs.String()) {
			var l struct {
				Level, Msg, Feature, Why string
				On, Off                  []string
			}
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if l.Level == "WARN" && l.Msg == "FEATURE DISABLED: multipart" && l.Feature == "multipart" &&
				strings.Contains(l.Why, "set MULTIPART_HANDLE_SECRET") {
				warned = true
			}
			if l.Msg == "features" {
				features.On, features.Off = l.On, l.Off
			}
		}
		off := secret == ""
		if warned != off || slices.Contains(features.Off, "multipart") != off || slices.Contains(features.On, "multipart") == off {
			t.Errorf("MULTIPART_HANDLE_SECRET %q: warned %v, features %+v; logs:\n%s", secret, warned, features, logs.String())
		}
	}
}
