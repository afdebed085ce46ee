package config

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/webhook"
)

func TestWebhooksUnset(t *testing.T) {
	c, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Webhooks.Sources) != 0 || c.Webhooks.Tolerance != 5*time.Minute {
		t.Fatalf("webhooks: %+v", c.Webhooks)
	}
}

func TestWebhooksValues(t *testing.T) {
	std := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a-standard-webhooks-secret-32b!!"))
	c, err := Load(env(map[string]string{
		"JWT_HS256_SECRET":  secret,
		"WEBHOOK_SOURCES":   " github:github:WEBHOOK_SECRET_1 , billing:stripe:WEBHOOK_SECRET_3,svix-1:standard:WEBHOOK_SECRET_4,",
		"WEBHOOK_SECRET_1":  "a-github-secret-of-32-bytes-at-least\n", // trailing newline trimmed
		"WEBHOOK_SECRET_3":  "whsec_stripeSecretForConfigTests0123456",
		"WEBHOOK_SECRET_4":  std,
		"WEBHOOK_TOLERANCE": "2m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range c.Webhooks.Sources {
		got = append(got, s.String())
	}
	if strings.Join(got, ",") != "github:github:WEBHOOK_SECRET_1,billing:stripe:WEBHOOK_SECRET_3,svix-1:standard:WEBHOOK_SECRET_4" {
		t.Fatalf("sources: %v", got)
	}
	if c.Webhooks.Tolerance != 2*time.Minute {
		t.Fatalf("tolerance %v", c.Webhooks.Tolerance)
	}
	if c.Webhooks.Sources[1].Scheme() != webhook.Stripe {
		t.Fatalf("scheme %v", c.Webhooks.Sources[1].Scheme())
	}
}

// TestWebhooksErrors: each bad value is an error naming its variable, and
// no message (nor %+v of the config) carries a secret.
func TestWebhooksErrors(t *testing.T) {
	const short = "short-secret-value"
	const notB64 = "whsec_!!!!not-base64-secret-material!!!!"
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"WEBHOOK_SOURCES": "gh:github"}, "WEBHOOK_SOURCES: \"gh:github\" is not name:scheme:SECRET_ENV_NAME"},
		{map[string]string{"WEBHOOK_SOURCES": "GH:github:S"}, "WEBHOOK_SOURCES: source name \"GH\""},
		{map[string]string{"WEBHOOK_SOURCES": "gh:hmac:WEBHOOK_SECRET_1", "WEBHOOK_SECRET_1": strings.Repeat("x", 40)}, "WEBHOOK_SOURCES: source \"gh\": scheme \"hmac\""},
		{map[string]string{"WEBHOOK_SOURCES": "gh:github:bad-name"}, "WEBHOOK_SOURCES: source \"gh\": \"bad-name\" is not one of the secret slots WEBHOOK_SECRET_1, WEBHOOK_SECRET_2, WEBHOOK_SECRET_3, WEBHOOK_SECRET_4"},
		// A name outside the slots is refused even when the process has it:
		// FC would not pass it, so local mode must not accept it either.
		{map[string]string{"WEBHOOK_SOURCES": "gh:github:GH_SECRET", "GH_SECRET": strings.Repeat("x", 40)}, "WEBHOOK_SOURCES: source \"gh\": \"GH_SECRET\" is not one of the secret slots"},
		{map[string]string{"WEBHOOK_SOURCES": "gh:github:JWT_HS256_SECRET"}, "WEBHOOK_SOURCES: source \"gh\": \"JWT_HS256_SECRET\" is not one of the secret slots"},
		{map[string]string{"WEBHOOK_SOURCES": "gh:github:MULTIPART_HANDLE_SECRET", "MULTIPART_HANDLE_SECRET": strings.Repeat("h", 40)}, "WEBHOOK_SOURCES: source \"gh\": \"MULTIPART_HANDLE_SECRET\" is not one of the secret slots"},
		{map[string]string{"WEBHOOK_SOURCES": "gh:github:WEBHOOK_SECRET_5", "WEBHOOK_SECRET_5": strings.Repeat("x", 40)}, "WEBHOOK_SOURCES: source \"gh\": \"WEBHOOK_SECRET_5\" is not one of the secret slots"},
		{map[string]string{"WEBHOOK_SOURCES": "gh:github:WEBHOOK_SECRET_1,st:stripe:WEBHOOK_SECRET_1", "WEBHOOK_SECRET_1": strings.Repeat("x", 40)}, "WEBHOOK_SOURCES: source \"st\": WEBHOOK_SECRET_1 already holds the secret of source \"gh\""},
		{map[string]string{"WEBHOOK_SOURCES": "gh:github:WEBHOOK_SECRET_1,gh:stripe:WEBHOOK_SECRET_2", "WEBHOOK_SECRET_1": strings.Repeat("x", 40), "WEBHOOK_SECRET_2": strings.Repeat("x", 40)}, "WEBHOOK_SOURCES: source \"gh\" is listed twice"},
		{map[string]string{"WEBHOOK_SOURCES": "gh:github:WEBHOOK_SECRET_2"}, "WEBHOOK_SECRET_2: is unset or empty"},
		{map[string]string{"WEBHOOK_SOURCES": "gh:github:WEBHOOK_SECRET_2", "WEBHOOK_SECRET_2": short}, "WEBHOOK_SECRET_2: source \"gh\": WEBHOOK_SECRET_2 is 18 bytes"},
		{map[string]string{"WEBHOOK_SOURCES": "s:standard:WEBHOOK_SECRET_3", "WEBHOOK_SECRET_3": notB64}, "WEBHOOK_SECRET_3: source \"s\": WEBHOOK_SECRET_3: the part after whsec_ is not valid base64"},
		{map[string]string{"WEBHOOK_SOURCES": "s:standard:WEBHOOK_SECRET_4", "WEBHOOK_SECRET_4": short}, "WEBHOOK_SECRET_4: source \"s\": WEBHOOK_SECRET_4 is not a Standard Webhooks secret"},
		{map[string]string{"WEBHOOK_TOLERANCE": "2h"}, "WEBHOOK_TOLERANCE: \"2h\" is not a duration between 1s and 1h"},
		{map[string]string{"WEBHOOK_TOLERANCE": "soon"}, "WEBHOOK_TOLERANCE:"},
	} {
		c.env["JWT_HS256_SECRET"] = secret
		cfg, err := Load(env(c.env))
		if err == nil {
			t.Errorf("%v: no error", c.env)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v:\n got %v\nwant %s", c.env, err, c.want)
		}
		for _, s := range []string{short, notB64, secret} {
			if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%+v", cfg), s) {
				t.Errorf("secret %q in %v", s, err)
			}
		}
	}
}
