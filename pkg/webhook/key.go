package webhook

import (
	"strconv"
	"time"

	"github.com/ossbroker/ossbroker/pkg/objectkey"
)

// Folder is the folder under the upload prefix that holds every webhook.
const Folder = "webhooks/"

// Key names the object a verified delivery is stored under:
//
//	<prefix>webhooks/<source>/<yyyy>/<mm>/<dd>/<event id><ext>
//
// The date is the event's signed timestamp in UTC, or received (UTC) when
// the scheme signs none (GitHub). ext is the extension objectkey gives the
// content type (".json" for application/json), ".bin" when it knows none.
// The result still has to pass the key gate (objectkey.Policy.Resolve).
//
// Because the date is part of the key, a redelivery is recognised when it
// falls on the same UTC day as the first delivery: Standard Webhooks and
// Stripe sign each attempt with a fresh timestamp, and GitHub gives none, so
// a retry that crosses midnight UTC is stored again in the next day's
// folder (with the same event id in its name and metadata).
func Key(prefix, source string, ev Event, received time.Time, contentType string) string {
	t := ev.Timestamp
	if t.IsZero() {
		t = received
	}
	t = t.UTC()
	ext := objectkey.ExtensionFor(contentType)
	if ext == "" {
		ext = ".bin"
	}
	y, m, d := t.Date()
	b := make([]byte, 0, len(prefix)+len(Folder)+len(source)+len(ev.ID)+len(ext)+13)
	b = append(b, prefix...)
	b = append(b, Folder...)
	b = append(b, source...)
	b = append(b, '/')
	b = appendPad(b, y, 4)
	b = append(b, '/')
	b = appendPad(b, int(m), 2)
	b = append(b, '/')
	b = appendPad(b, d, 2)
	b = append(b, '/')
	b = append(b, ev.ID...)
	b = append(b, ext...)
	return string(b)
}

func appendPad(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Metadata is what a stored delivery carries as x-oss-meta-* (names without
// the prefix): the source, the event id, and the Unix seconds of the signed
// timestamp (of receipt for GitHub). All values are printable ASCII.
func Metadata(source string, ev Event, received time.Time) map[string]string {
	t := ev.Timestamp
	if t.IsZero() {
		t = received
	}
	return map[string]string{
		"webhook-source":    source,
		"webhook-id":        ev.ID,
		"webhook-timestamp": strconv.FormatInt(t.Unix(), 10),
	}
}

// Claims is the caller a webhook key is judged as by the key gate
// (objectkey.Policy.Resolve): every placeholder of the prefix template is
// "webhooks". With "exampledir/" webhooks are stored under
// "exampledir/webhooks/"; with "exampledir/{sub}/" under
// "exampledir/webhooks/webhooks/".
type Claims struct{}

// Claim returns "webhooks" for every name.
func (Claims) Claim(string) (string, bool) { return "webhooks", true }

// FolderFor returns the folder every webhook of p is stored under:
// p's prefix for Claims plus Folder. It is what the broker reserves for
// verified webhooks and what the RAM policy grants oss:GetObject on.
func FolderFor(p *objectkey.Policy) (string, error) {
	prefix, err := p.Prefix(Claims{})
	if err != nil {
		return "", err
	}
	return prefix + Folder, nil
}
