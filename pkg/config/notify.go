package config

import (
	"net/url"
	"strings"

	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// Notifications configures the signed notifications of upload verdicts
// (pkg/notify): NOTIFICATION_URL and NOTIFICATION_SECRET, both or neither.
type Notifications struct {
	URL    string
	Signer webhook.Source // a Standard Webhooks source holding the secret
}

// Enabled reports whether verdicts are notified.
func (n Notifications) Enabled() bool { return n.URL != "" }

func (l *loader) notifications() Notifications {
	raw := l.str("NOTIFICATION_URL", "")
	secret := strings.TrimSpace(l.getenv("NOTIFICATION_SECRET"))
	if raw == "" && secret == "" {
		return Notifications{}
	}
	if raw == "" || secret == "" {
		l.fail("NOTIFICATION_URL", "set both NOTIFICATION_URL and NOTIFICATION_SECRET, or neither")
		return Notifications{}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Fragment != "" || strings.ContainsAny(raw, " \t") {
		l.fail("NOTIFICATION_URL", "%s is not an http(s) URL without userinfo or fragment", RedactURL(raw))
		return Notifications{}
	}
	s, err := webhook.NewSource("notifications", webhook.Standard, "NOTIFICATION_SECRET", secret)
	if err != nil {
		l.fail("NOTIFICATION_SECRET", "%v", err)
		return Notifications{}
	}
	return Notifications{URL: u.String(), Signer: s}
}
