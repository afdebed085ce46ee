package webhook_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// FuzzSignedDelivery: for any body, webhook-id and unsigned header value,
// a genuinely signed delivery verifies to the same Event with or without
// the unsigned headers (Content-Type, X-GitHub-Delivery, ...), its key
// passes the key gate's validation, and every metadata value is printable
// ASCII of at most MaxHeaderMeta bytes that percent-decodes to a prefix of
// what was sent.
func FuzzSignedDelivery(f *testing.F) {
	f.Add([]byte(`{"a":1}`), "msg_1", "text/html")
	f.Add([]byte("<svg/>"), "x.y", "image/svg+xml; charset=\x00")
	f.Add([]byte{}, "", strings.Repeat("%", 300))
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	std := must(webhook.NewSource("std", webhook.Standard, "E", stdSecret))
	gh := must(webhook.NewSource("gh", webhook.GitHub, "E", githubSecret))
	f.Fuzz(func(t *testing.T, body []byte, id, unsigned string) {
		for _, c := range []struct {
			src    webhook.Source
			signed http.Header
			ok     bool
		}{
			{std, header("webhook-id", id, "webhook-timestamp", ts, "webhook-signature", standardSign(t, stdSecret, id, now.Unix(), string(body))),
				id != "" && !strings.Contains(id, ".") && len(id) <= 1024},
			{gh, header("X-Hub-Signature-256", githubSign(githubSecret, string(body))), true},
		} {
			want, err := c.src.Verify(c.signed, body, now, 0)
			if (err == nil) != c.ok {
				t.Fatalf("%s: err %v, want ok=%v", c.src, err, c.ok)
			}
			if err != nil {
				continue
			}
			h := c.signed.Clone()
			for _, name := range []string{"Content-Type", "User-Agent", "X-GitHub-Delivery", "X-GitHub-Event", "X-GitHub-Hook-ID"} {
				h[name] = []string{unsigned}
			}
			got, err := c.src.Verify(h, body, now, 0)
			if err != nil || got != want {
				t.Fatalf("%s: unsigned headers changed the event: %+v %v, want %+v", c.src, got, err, want)
			}
			if err := objectkey.Validate(webhook.Key("exampledir/", c.src.Name(), got)); err != nil {
				t.Fatalf("%s: key %q: %v", c.src, webhook.Key("exampledir/", c.src.Name(), got), err)
			}
			for name, v := range c.src.Metadata(got, h, now) {
				if len(v) > webhook.MaxHeaderMeta && strings.HasPrefix(name, webhook.HeaderMetaPrefix) {
					t.Fatalf("%s: %d bytes", name, len(v))
				}
				for i := 0; i < len(v); i++ {
					if v[i] < 0x20 || v[i] > 0x7e {
						t.Fatalf("%s = %q: byte %#02x", name, v, v[i])
					}
				}
				if strings.HasPrefix(name, webhook.HeaderMetaPrefix) {
					if back, err := url.PathUnescape(v); err != nil || !strings.HasPrefix(unsigned, back) {
						t.Fatalf("%s = %q does not decode to a prefix of %q (%v)", name, v, unsigned, err)
					}
				}
			}
		}
	})
}

func must(s webhook.Source, err error) webhook.Source {
	if err != nil {
		panic(err)
	}
	return s
}
