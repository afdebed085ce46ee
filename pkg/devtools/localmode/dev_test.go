package main

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ossbroker/ossbroker/pkg/config"
)

// banner runs local mode's environment, configuration and banner for vars
// (everything else unset), with and without the trigger (-oss-only).
func banner(t *testing.T, vars map[string]string) (string, *devEnv) {
	t.Helper()
	env := newDevEnv(func(name string) string { return vars[name] }, nil)
	cfg, err := config.Load(env.get)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printBanner(&out, cfg, env, "")
	printBanner(&out, cfg, env, "127.0.0.1:9000")
	return out.String(), env
}

// TestBannerPrintsOnlyGeneratedSecrets sweeps every credential variable
// the configuration knows (config.SecretEnvs) plus a webhook secret, one at
// a time and all at once: a value taken from the environment never appears
// in the banner, nor does a token signed with an environment HS256 secret,
// while every value local mode generated still does.
func TestBannerPrintsOnlyGeneratedSecrets(t *testing.T) {
	const hook = "WEBHOOK_SECRET_1"
	names := append(slices.Clone(config.SecretEnvs), hook)
	value := func(name string) string {
		v := "env-" + strings.ToLower(name) + "-0123456789abcdefghijklmnopqrstuv"
		if name == "NOTIFICATION_SECRET" { // a Standard Webhooks secret, or config refuses it
			return "whsec_" + base64.StdEncoding.EncodeToString([]byte(v))
		}
		return v
	}
	cases := map[string][]string{"all at once": names}
	for _, n := range names {
		cases[n] = []string{n}
	}
	for name, set := range cases {
		t.Run(name, func(t *testing.T) {
			vars := map[string]string{"WEBHOOK_SOURCES": "gh:github:" + hook}
			for _, n := range set {
				vars[n] = value(n)
			}
			if vars[hook] == "" {
				vars[hook] = "generated-elsewhere-but-still-not-for-printing-0123"
			}
			out, env := banner(t, vars)
			for n, v := range vars {
				if n != "WEBHOOK_SOURCES" && strings.Contains(out, v) {
					t.Errorf("the banner prints %s from the environment:\n%s", n, out)
				}
			}
			for _, n := range env.generated {
				if n == "JWT_HS256_SECRET" {
					continue // printed as a token it signed, checked below
				}
				if !strings.Contains(out, env.get(n)) {
					t.Errorf("the banner does not print generated %s:\n%s", n, out)
				}
			}
			if slices.Contains(set, "OSS_ACCESS_KEY_SECRET") && !strings.Contains(out, "OSS_ACCESS_KEY_SECRET from your environment") {
				t.Errorf("the banner does not say where the secret came from:\n%s", out)
			}
			// A dev token is printed exactly when the HS256 secret was
			// generated, and then it verifies with that secret.
			generated := slices.Contains(env.generated, "JWT_HS256_SECRET")
			if generated == slices.Contains(set, "JWT_HS256_SECRET") {
				t.Fatalf("JWT_HS256_SECRET generated = %v with %v set", generated, set)
			}
			tokens := 0
			for _, f := range strings.Fields(out) {
				f = strings.Trim(f, "'")
				if !strings.HasPrefix(f, "eyJ") {
					continue
				}
				tokens++
				if !generated {
					t.Fatalf("a token is printed though JWT_HS256_SECRET is the developer's: %s", f)
				}
				if _, err := jwt.Parse(f, func(*jwt.Token) (any, error) { return []byte(env.get("JWT_HS256_SECRET")), nil },
					jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return time.Now() })); err != nil {
					t.Fatalf("printed token %s: %v", f, err)
				}
			}
			if generated && tokens == 0 {
				t.Fatalf("no dev token printed for a generated secret:\n%s", out)
			}
		})
	}
}
