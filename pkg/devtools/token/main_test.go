package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/assemble"
	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/devtools/dotenv"
)

const secret = "a-deployment-secret-of-32-bytes-or-more"

// TestTokenIsAccepted: make token with the deployer's .env gives a token
// the broker built from that same .env accepts, for each way a deployment
// may check tokens (issuer and audience, per-user prefix, scopes), and
// prints nothing but the token.
func TestTokenIsAccepted(t *testing.T) {
	for name, c := range map[string]struct {
		env        string
		scope, key string
	}{
		"plain":               {env: "", key: "exampledir/a.txt"},
		"issuer and audience": {env: "JWT_ISSUER=https://backend.example.com/\nJWT_AUDIENCE=ossbroker\n", key: "exampledir/a.txt"},
		"per-user prefix":     {env: "UPLOAD_PREFIX=exampledir/{sub}/\n", key: "exampledir/smoke-test/a.txt"},
		"scopes required":     {env: "REQUIRE_SCOPES=true\n", scope: "upload", key: "exampledir/a.txt"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".env")
			env := "OSS_BUCKET=examplebucket\nJWT_HS256_SECRET=" + secret + "\nOSS_ACCESS_KEY_ID=LTAI5tTokenTest\nOSS_ACCESS_KEY_SECRET=TokenTestSecret\n" + c.env
			if err := os.WriteFile(path, []byte(env), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if code := run(&out, &errOut, func(string) string { return "" }, path, "smoke-test", 15*time.Minute, c.scope); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if strings.Contains(out.String()+errOut.String(), secret) {
				t.Fatal("make token printed the secret")
			}
			tok := strings.TrimSpace(out.String())
			if strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, " \n") {
				t.Fatalf("stdout is not one token: %q", out.String())
			}
			vars, _ := dotenv.Read(path)
			status, body := presign(t, vars, tok, c.key)
			if status != 200 {
				t.Fatalf("the broker refused the token: %d %s", status, body)
			}
		})
	}
}

// TestTokenNeedsTheSecret: without JWT_HS256_SECRET it says what to do (an
// identity provider's token) and prints no token.
func TestTokenNeedsTheSecret(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(&out, &errOut, func(string) string { return "" }, filepath.Join(t.TempDir(), ".env"), "smoke-test", time.Hour, "")
	if code == 0 || out.Len() != 0 || !strings.Contains(errOut.String(), "identity provider") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if code := run(&out, &errOut, func(string) string { return secret }, "", "", time.Hour, ""); code != 2 {
		t.Errorf("without SUB: exit %d", code)
	}
}

func presign(t *testing.T, vars map[string]string, tok, key string) (int, string) {
	t.Helper()
	getenv := func(name string) string { return vars[name] }
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	h, closeFn, err := assemble.Broker(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	req := httptest.NewRequest("POST", "/v1/presign", strings.NewReader(`{"key":"`+key+`"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}
