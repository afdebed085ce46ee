package config

import (
	"slices"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// Webhooks configures POST /v1/webhooks/{source}. No sources means the
// route answers every source with the uniform 401.
type Webhooks struct {
	Sources   []webhook.Source
	Tolerance time.Duration
}

// MaxWebhookTolerance bounds WEBHOOK_TOLERANCE: a signed timestamp is the
// only thing that limits replays of a captured Standard or Stripe delivery.
const MaxWebhookTolerance = time.Hour

// SecretEnvs are the variables the broker (and local mode) reads
// credentials from: AccessKey pairs, STS tokens, HMAC keys. Webhook
// secrets live in the slots [WebhookSecretSlots]. Nothing may print their
// values (local mode's banner prints only values it generated).
var SecretEnvs = []string{
	"OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "JWT_HS256_SECRET", "MULTIPART_HANDLE_SECRET",
	"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
	"OSS_EMULATOR_OWNER_KEY_ID", "OSS_EMULATOR_OWNER_KEY_SECRET",
	"NOTIFICATION_SECRET",
}

// WebhookSecretSlots are the variables that can hold a webhook secret.
// The slots are fixed because FC passes a function only the variables
// s.yaml lists: a free choice of name would need an edit of s.yaml for
// every sender (and a forgotten edit is a webhook that is always 401).
// None of them is one of [SecretEnvs], so no sender is ever handed the OSS or
// JWT secret. Four senders is what the slots allow; a fifth needs a slot
// here and in s.yaml.
var WebhookSecretSlots = []string{"WEBHOOK_SECRET_1", "WEBHOOK_SECRET_2", "WEBHOOK_SECRET_3", "WEBHOOK_SECRET_4"}

// webhooks reads WEBHOOK_SOURCES and WEBHOOK_TOLERANCE.
//
// WEBHOOK_SOURCES is a comma-separated list of name:scheme:SECRET_ENV, e.g.
// "github:github:WEBHOOK_SECRET_1,billing:stripe:WEBHOOK_SECRET_2".
// name is 1-64 of [a-z0-9-] (the {source} in the URL and a key segment),
// scheme is standard, github or stripe, and SECRET_ENV names the slot
// ([WebhookSecretSlots]) that holds the secret, which is read here, once.
// Two sources cannot share a slot: each sender has its own secret. The secret itself never
// appears in WEBHOOK_SOURCES, so listing the sources (in s.yaml, in logs of
// the environment) shows no secret, and no error message quotes it.
func (l *loader) webhooks() Webhooks {
	w := Webhooks{Tolerance: webhook.DefaultTolerance}
	if v := strings.TrimSpace(l.getenv("WEBHOOK_TOLERANCE")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > MaxWebhookTolerance {
			l.fail("WEBHOOK_TOLERANCE", "%q is not a duration between 1s and 1h", v)
		} else {
			w.Tolerance = d
		}
	}
	seen, slotUsed := map[string]bool{}, map[string]string{}
	for entry := range strings.SplitSeq(l.getenv("WEBHOOK_SOURCES"), ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		if len(parts) != 3 {
			l.fail("WEBHOOK_SOURCES", "%q is not name:scheme:SECRET_ENV_NAME", entry)
			continue
		}
		name, scheme, env := parts[0], webhook.Scheme(parts[1]), parts[2]
		switch {
		case !webhook.ValidName(name):
			l.fail("WEBHOOK_SOURCES", "source name %q is not 1-64 of [a-z0-9-]", name)
			continue
		case seen[name]:
			l.fail("WEBHOOK_SOURCES", "source %q is listed twice", name)
			continue
		case scheme != webhook.Standard && scheme != webhook.GitHub && scheme != webhook.Stripe:
			l.fail("WEBHOOK_SOURCES", "source %q: scheme %q is not one of standard, github, stripe", name, scheme)
			continue
		case !slices.Contains(WebhookSecretSlots, env):
			l.fail("WEBHOOK_SOURCES", "source %q: %q is not one of the secret slots %s (FC passes the function only the variables s.yaml lists)", name, env, strings.Join(WebhookSecretSlots, ", "))
			continue
		case slotUsed[env] != "":
			l.fail("WEBHOOK_SOURCES", "source %q: %s already holds the secret of source %q; give each sender its own slot", name, env, slotUsed[env])
			continue
		}
		slotUsed[env] = name
		seen[name] = true
		secret := l.getenv(env)
		if secret == "" {
			l.fail(env, "is unset or empty; WEBHOOK_SOURCES names it as the secret of source %q", name)
			continue
		}
		src, err := webhook.NewSource(name, scheme, env, strings.TrimSpace(secret))
		if err != nil {
			// NewSource names the variable and never quotes the secret.
			l.fail(env, "%v", err)
			continue
		}
		w.Sources = append(w.Sources, src)
	}
	return w
}
