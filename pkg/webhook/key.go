package webhook

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/objectkey"
)

// Folder is the folder under the upload prefix that holds every webhook.
const Folder = "webhooks/"

// Key names the object a verified delivery is stored under:
//
//	<prefix>webhooks/<source>/<event id><ext>
//
// Every part is the configuration's or the signed bytes': the event id
// (Event.ID: the signed webhook-id, or the body's SHA-256) and ext, the
// extension of Event.ContentType (".json" or ".bin"). No unsigned header
// and no clock goes in, so a redelivery or a replay of the same signed
// bytes lands on the same key on any day, with any Content-Type or
// delivery id, and a captured body cannot occupy another delivery's key.
// The result still has to pass the key gate ([objectkey.Policy.Resolve]).
func Key(prefix, source string, ev Event) string {
	ext := objectkey.ExtensionFor(ev.ContentType)
	if ext == "" {
		ext = ".bin"
	}
	return prefix + Folder + source + "/" + ev.ID + ext
}

// Metadata is what a stored delivery carries as x-oss-meta-* (names without
// the prefix): the source, the event id, the Unix seconds of the signed
// timestamp (of receipt for GitHub), and the sender's unsigned headers that
// say something about the delivery, each as "webhook-header-<lower-case
// name>" ([HeaderMeta]). The first delivery's values are the ones kept: a
// redelivery writes nothing. All values are printable ASCII.
func (s Source) Metadata(ev Event, h http.Header, received time.Time) map[string]string {
	t := ev.Timestamp
	if t.IsZero() {
		t = received
	}
	m := map[string]string{
		"webhook-source":    s.name,
		"webhook-id":        ev.ID,
		"webhook-timestamp": strconv.FormatInt(t.Unix(), 10),
	}
	names := senderHeaders
	if s.scheme == GitHub {
		names = githubHeaders
	}
	for _, name := range names {
		if vs := h.Values(name); len(vs) > 0 {
			m[HeaderMetaPrefix+strings.ToLower(name)] = HeaderMeta(strings.Join(vs, ", "))
		}
	}
	return m
}

// HeaderMetaPrefix starts the metadata name of a kept sender header.
const HeaderMetaPrefix = "webhook-header-"

// The sender headers kept as metadata: what every sender sends, plus
// GitHub's delivery headers (its delivery id and event name, which its
// signature does not cover). Standard Webhooks' and Stripe's signed values
// are already in webhook-id and webhook-timestamp.
var (
	senderHeaders = []string{"Content-Type", "User-Agent"}
	githubHeaders = append(append([]string{}, senderHeaders...),
		"X-GitHub-Delivery", "X-GitHub-Event", "X-GitHub-Hook-ID",
		"X-GitHub-Hook-Installation-Target-ID", "X-GitHub-Hook-Installation-Target-Type")
)

// MaxHeaderMeta bounds a kept header's metadata value, so that all of them
// together stay far below OSS's 8 KiB of user metadata.
const MaxHeaderMeta = 256

// HeaderMeta makes an unsigned header value safe to store as metadata:
// every byte outside printable ASCII, every "%", and a space at either end
// (HTTP would trim it) is percent-encoded (%XX, upper-case hex), so the
// value reads as sent and decodes back to it; the result is cut at
// [MaxHeaderMeta] bytes, never inside an escape.
func HeaderMeta(v string) string {
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, min(len(v), MaxHeaderMeta))
	for i := 0; i < len(v); i++ {
		c := v[i]
		plain := c > ' ' && c < 0x7f && c != '%' || c == ' ' && i > 0 && i < len(v)-1
		n := 1
		if !plain {
			n = 3
		}
		if len(b)+n > MaxHeaderMeta {
			break
		}
		if plain {
			b = append(b, c)
		} else {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return string(b)
}

// Claims is the caller a webhook key is judged as by the key gate
// ([objectkey.Policy.Resolve]): every placeholder of the prefix template is
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
