package config

import (
	"net/url"
	"strings"
)

// Callbacks configures OSS upload callbacks and content inspection.
type Callbacks struct {
	// PublicBaseURL (PUBLIC_BASE_URL) is the function's public address,
	// the custom domain or the HTTP trigger URL, without a trailing slash.
	// Set, presigned PUTs and PostObject forms carry an OSS callback to
	// PublicBaseURL + broker.CallbackPath, and every upload (multipart
	// completes too) is inspected. Empty, nothing of this runs.
	PublicBaseURL string
	// RejectAction (REJECTED_UPLOADS) is what happens to a rejected
	// upload: "quarantine" (the default: moved to QuarantineFolder, outside
	// the upload prefix, where the lifecycle rule expires it), "delete"
	// (opt-in: destroyed) or "tag" (kept in place and tagged
	// ossbroker-verdict=rejected; presign-get refuses it).
	RejectAction string
}

// QuarantineFolder is where REJECTED_UPLOADS=quarantine moves rejected
// uploads (inspect.QuarantineFolder).
const QuarantineFolder = "ossbroker-quarantine/"

// QuarantineDays is when the lifecycle rule expires a quarantined upload.
const QuarantineDays = 30

// Enabled reports whether callbacks and inspection are on.
func (c Callbacks) Enabled() bool { return c.PublicBaseURL != "" }

func (l *loader) callbacks() Callbacks {
	c := Callbacks{RejectAction: strings.ToLower(l.str("REJECTED_UPLOADS", "quarantine"))}
	if c.RejectAction != "quarantine" && c.RejectAction != "delete" && c.RejectAction != "tag" {
		l.fail("REJECTED_UPLOADS", "%q is not quarantine, delete or tag", c.RejectAction)
		c.RejectAction = "quarantine"
	}
	v := l.str("PUBLIC_BASE_URL", "")
	if v == "" {
		return c
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(v, " \t;") {
		l.fail("PUBLIC_BASE_URL", "%s is not an http(s) URL without userinfo, query or fragment, such as https://upload.example.com or the HTTP trigger URL", RedactURL(v))
		return c
	}
	c.PublicBaseURL = strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
	return c
}
