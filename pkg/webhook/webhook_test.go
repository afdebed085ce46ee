package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// The signers below follow the published algorithms and share no code with
// the package under test.

// standardSign: base64(HMAC-SHA256(base64decode(secret minus "whsec_"),
// "<id>.<ts>.<body>")), as in the Standard Webhooks spec.
func standardSign(t *testing.T, secret, id string, ts int64, body string) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.%s", id, ts, body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// githubSign: "sha256=" + hex(HMAC-SHA256(secret, body)).
func githubSign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// stripeV1: hex(HMAC-SHA256(secret string, "<t>.<body>")).
func stripeV1(secret string, ts int64, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "." + body))
	return hex.EncodeToString(m.Sum(nil))
}

const (
	stdSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // the spec libraries' test secret (24 bytes)
	githubSecret = "github-webhook-secret-0123456789abcdef"
	stripeSecret = "whsec_stripeEndpointSecretForTests0123456"
)

func source(t *testing.T, scheme webhook.Scheme, secret string) webhook.Source {
	t.Helper()
	s, err := webhook.NewSource("src", scheme, "SECRET_ENV", secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// TestPublishedVectors checks the two vectors the senders publish: the
// Standard Webhooks libraries' test message and GitHub's documentation
// example ("It's a Secret to Everybody" / "Hello, World!"). The Standard
// Webhooks vector is the "sign function works" case of
// github.com/standard-webhooks/standard-webhooks,
// libraries/javascript/src/webhook.test.ts (commit 10d3e46d720c): key,
// msgId, timestamp, payload and expected signature, verified here and
// produced by Sign, the notifications' signer.
func TestPublishedVectors(t *testing.T) {
	ts := time.Unix(1614265330, 0)
	std := source(t, webhook.Standard, stdSecret)
	ev, err := std.Verify(header(
		"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		"webhook-timestamp", "1614265330",
		"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
		[]byte(`{"test": 2432232314}`), ts, 0)
	if err != nil {
		t.Fatalf("standard vector: %v", err)
	}
	if ev.ID != "msg_p5jXN8AQM9LWM0D4loKWxJek" || ev.IDFromBody || !ev.Timestamp.Equal(ts) {
		t.Fatalf("standard vector event: %+v", ev)
	}
	if sig, err := std.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`)); err != nil ||
		sig != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("Sign of the standard vector: %q, %v", sig, err)
	}

	// GitHub's example secret is shorter than MinSecret, so it cannot be
	// configured; check the signature against our signer instead.
	if got := githubSign("It's a Secret to Everybody", "Hello, World!"); got != "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" {
		t.Fatalf("test signer disagrees with GitHub's documented vector: %s", got)
	}
}

func TestStandard(t *testing.T) {
	s := source(t, webhook.Standard, stdSecret)
	now := time.Unix(1_800_000_000, 0)
	body := `{"type":"invoice.paid","n":1}`
	id := "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	sign := func(id string, ts int64, body string) http.Header {
		return header("webhook-id", id, "webhook-timestamp", strconv.FormatInt(ts, 10),
			"webhook-signature", standardSign(t, stdSecret, id, ts, body))
	}
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-32-bytes-long!"))

	t.Run("valid", func(t *testing.T) {
		ev, err := s.Verify(sign(id, now.Unix(), body), []byte(body), now, 0)
		if err != nil || ev.ID != id || !ev.Timestamp.Equal(now) {
			t.Fatalf("ev %+v err %v", ev, err)
		}
	})
	t.Run("edges of the tolerance", func(t *testing.T) {
		for _, d := range []time.Duration{-5 * time.Minute, 5 * time.Minute} {
			ts := now.Add(d).Unix()
			if _, err := s.Verify(sign(id, ts, body), []byte(body), now, 5*time.Minute); err != nil {
				t.Fatalf("%v: %v", d, err)
			}
		}
	})
	t.Run("rotation: several signatures, other versions ignored", func(t *testing.T) {
		h := sign(id, now.Unix(), body)
		good := h.Get("webhook-signature")
		h.Set("webhook-signature", "v1a,AAAA "+standardSign(t, other, id, now.Unix(), body)+" v2,"+strings.TrimPrefix(good, "v1,")+" "+good)
		if _, err := s.Verify(h, []byte(body), now, 0); err != nil {
			t.Fatal(err)
		}
	})
	cases := []struct {
		name string
		h    http.Header
		body string
		want error
	}{
		{"tampered body", sign(id, now.Unix(), body), body + " ", webhook.ErrBadSignature},
		{"wrong secret", header("webhook-id", id, "webhook-timestamp", strconv.FormatInt(now.Unix(), 10),
			"webhook-signature", standardSign(t, other, id, now.Unix(), body)), body, webhook.ErrBadSignature},
		{"stale", sign(id, now.Add(-5*time.Minute-time.Second).Unix(), body), body, webhook.ErrStale},
		{"future", sign(id, now.Add(5*time.Minute+time.Second).Unix(), body), body, webhook.ErrStale},
		{"other id", func() http.Header { h := sign(id, now.Unix(), body); h.Set("webhook-id", "msg_other"); return h }(), body, webhook.ErrBadSignature},
		{"other timestamp", func() http.Header {
			h := sign(id, now.Unix(), body)
			h.Set("webhook-timestamp", strconv.FormatInt(now.Unix()+1, 10))
			return h
		}(), body, webhook.ErrBadSignature},
		{"only v1a", func() http.Header {
			h := sign(id, now.Unix(), body)
			h.Set("webhook-signature", "v1a,"+strings.TrimPrefix(h.Get("webhook-signature"), "v1,"))
			return h
		}(), body, webhook.ErrBadSignature},
		{"dot in id", sign("a.b", now.Unix(), body), body, webhook.ErrMalformed},
		{"fractional timestamp", header("webhook-id", id, "webhook-timestamp", "1800000000.5", "webhook-signature", "v1,AAAA"), body, webhook.ErrMalformed},
		{"signed timestamp", header("webhook-id", id, "webhook-timestamp", "+1800000000", "webhook-signature", "v1,AAAA"), body, webhook.ErrMalformed},
		{"no signature", header("webhook-id", id, "webhook-timestamp", "1800000000"), body, webhook.ErrNoSignature},
		{"no headers", header(), body, webhook.ErrNoSignature},
		{"hex instead of base64", func() http.Header {
			h := sign(id, now.Unix(), body)
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(h.Get("webhook-signature"), "v1,"))
			h.Set("webhook-signature", "v1,"+hex.EncodeToString(raw))
			return h
		}(), body, webhook.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Verify(c.h, []byte(c.body), now, 0)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
	t.Run("svix headers", func(t *testing.T) {
		h := sign(id, now.Unix(), body)
		sv := header("svix-id", h.Get("webhook-id"), "svix-timestamp", h.Get("webhook-timestamp"), "svix-signature", h.Get("webhook-signature"))
		if _, err := s.Verify(sv, []byte(body), now, 0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unsafe id falls back to the body hash", func(t *testing.T) {
		weird := "msg/x y%2F"
		ev, err := s.Verify(sign(weird, now.Unix(), body), []byte(body), now, 0)
		sum := sha256.Sum256([]byte(body))
		if err != nil || !ev.IDFromBody || ev.ID != hex.EncodeToString(sum[:]) {
			t.Fatalf("ev %+v err %v", ev, err)
		}
	})
}

func TestGitHub(t *testing.T) {
	s := source(t, webhook.GitHub, githubSecret)
	body := `{"zen":"Keep it logically awesome.","hook_id":1}`
	delivery := "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	now := time.Unix(1_800_000_000, 0)
	h := header("X-Hub-Signature-256", githubSign(githubSecret, body), "X-GitHub-Delivery", delivery)

	// X-GitHub-Delivery is not signed: the id is the body's SHA-256.
	ev, err := s.Verify(h, []byte(body), now, 0)
	if err != nil || ev.ID != webhook.BodyID([]byte(body)) || !ev.IDFromBody || !ev.Timestamp.IsZero() || ev.ContentType != webhook.TypeJSON {
		t.Fatalf("ev %+v err %v", ev, err)
	}
	// GitHub signs no timestamp: an old delivery still verifies.
	if _, err := s.Verify(h, []byte(body), now.Add(30*24*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	upper := header("X-Hub-Signature-256", "sha256="+strings.ToUpper(strings.TrimPrefix(githubSign(githubSecret, body), "sha256=")))
	if _, err := s.Verify(upper, []byte(body), now, 0); err != nil {
		t.Fatalf("upper-case hex: %v", err)
	}
	noID, err := s.Verify(header("X-Hub-Signature-256", githubSign(githubSecret, body), "X-GitHub-Delivery", "../../x"), []byte(body), now, 0)
	if err != nil || !noID.IDFromBody || len(noID.ID) != 64 {
		t.Fatalf("unsafe delivery id: %+v %v", noID, err)
	}

	m := hmac.New(sha256.New, []byte(githubSecret)) // legacy SHA-1 header never counts
	m.Write([]byte(body))
	for name, c := range map[string]struct {
		h    http.Header
		body string
		want error
	}{
		"tampered body": {h, body + "x", webhook.ErrBadSignature},
		"wrong secret":  {header("X-Hub-Signature-256", githubSign("a-different-secret-of-enough-length!", body)), body, webhook.ErrBadSignature},
		"no prefix":     {header("X-Hub-Signature-256", strings.TrimPrefix(githubSign(githubSecret, body), "sha256=")), body, webhook.ErrBadSignature},
		"sha1 only":     {header("X-Hub-Signature", "sha1=0000000000000000000000000000000000000000"), body, webhook.ErrNoSignature},
		"truncated":     {header("X-Hub-Signature-256", githubSign(githubSecret, body)[:40]), body, webhook.ErrBadSignature},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Verify(c.h, []byte(c.body), now, 0); !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

func TestStripe(t *testing.T) {
	s := source(t, webhook.Stripe, stripeSecret)
	body := `{"id":"evt_1","object":"event","type":"charge.succeeded"}`
	now := time.Unix(1_800_000_000, 0)
	sig := func(ts int64, secret string, body string) http.Header {
		return header("Stripe-Signature", fmt.Sprintf("t=%d,v1=%s,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39", ts, stripeV1(secret, ts, body)))
	}

	ev, err := s.Verify(sig(now.Unix(), stripeSecret, body), []byte(body), now, 0)
	sum := sha256.Sum256([]byte(body))
	if err != nil || ev.ID != hex.EncodeToString(sum[:]) || !ev.IDFromBody || !ev.Timestamp.Equal(now) {
		t.Fatalf("ev %+v err %v", ev, err)
	}
	// Rotation: two v1 entries, the second is ours.
	rot := header("Stripe-Signature", fmt.Sprintf("t=%d,v1=%s,v1=%s", now.Unix(), stripeV1("old-secret-old-secret-old-secret!!", now.Unix(), body), stripeV1(stripeSecret, now.Unix(), body)))
	if _, err := s.Verify(rot, []byte(body), now, 0); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	// The secret is used as the string Stripe shows, not base64-decoded.
	if _, err := s.Verify(sig(now.Unix(), strings.TrimPrefix(stripeSecret, "whsec_"), body), []byte(body), now, 0); !errors.Is(err, webhook.ErrBadSignature) {
		t.Fatalf("secret without whsec_: %v", err)
	}
	for name, c := range map[string]struct {
		h    http.Header
		body string
		want error
	}{
		"tampered body": {sig(now.Unix(), stripeSecret, body), body + " ", webhook.ErrBadSignature},
		"wrong secret":  {sig(now.Unix(), "whsec_someoneElsesSecret0123456789abcdef", body), body, webhook.ErrBadSignature},
		"stale":         {sig(now.Add(-6*time.Minute).Unix(), stripeSecret, body), body, webhook.ErrStale},
		"t changed":     {header("Stripe-Signature", fmt.Sprintf("t=%d,v1=%s", now.Unix()+1, stripeV1(stripeSecret, now.Unix(), body))), body, webhook.ErrBadSignature},
		"two t":         {header("Stripe-Signature", fmt.Sprintf("t=%d,t=%d,v1=%s", now.Unix(), now.Unix()+1, stripeV1(stripeSecret, now.Unix(), body))), body, webhook.ErrMalformed},
		"no t":          {header("Stripe-Signature", "v1="+stripeV1(stripeSecret, now.Unix(), body)), body, webhook.ErrNoSignature},
		"only v0":       {header("Stripe-Signature", fmt.Sprintf("t=%d,v0=%s", now.Unix(), stripeV1(stripeSecret, now.Unix(), body))), body, webhook.ErrNoSignature},
		"missing":       {header(), body, webhook.ErrNoSignature},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Verify(c.h, []byte(c.body), now, 0); !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

func TestNewSource(t *testing.T) {
	b64 := func(n int) string { return "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, n)) }
	for _, c := range []struct {
		name   string
		scheme webhook.Scheme
		secret string
		ok     bool
	}{
		{"a", webhook.Standard, b64(24), true},
		{"a", webhook.Standard, b64(64), true},
		{"a", webhook.Standard, b64(23), false},
		{"a", webhook.Standard, b64(65), false},
		{"a", webhook.Standard, strings.TrimPrefix(b64(32), "whsec_"), false},
		{"a", webhook.Standard, "whsec_not base64!", false},
		{"a", webhook.GitHub, strings.Repeat("x", 32), true},
		{"a", webhook.GitHub, strings.Repeat("x", 31), false},
		{"a", webhook.Stripe, strings.Repeat("x", 31), false},
		{"a", "hmac", strings.Repeat("x", 32), false},
		{"A", webhook.GitHub, strings.Repeat("x", 32), false},
		{"a/b", webhook.GitHub, strings.Repeat("x", 32), false},
		{strings.Repeat("a", 65), webhook.GitHub, strings.Repeat("x", 32), false},
	} {
		_, err := webhook.NewSource(c.name, c.scheme, "MY_SECRET", c.secret)
		if (err == nil) != c.ok {
			t.Errorf("%q %s %q: err %v", c.name, c.scheme, c.secret, err)
		}
		if err != nil && c.secret != "" && strings.Contains(err.Error(), c.secret) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}

// TestSourceNeverPrintsSecret formats a source every way a log or error
// might, and looks for the secret and its decoded bytes.
func TestSourceNeverPrintsSecret(t *testing.T) {
	raw := "0123456789abcdef0123456789ABCDEF" // 32 bytes
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte(raw))
	s := source(t, webhook.Standard, secret)
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "source", s, "ptr", &s)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "source", s)
	out := fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s) + fmt.Sprint([]webhook.Source{s}) + logged.String()
	for _, bad := range []string{secret, raw, strings.TrimPrefix(secret, "whsec_"), hex.EncodeToString([]byte(raw)), "0123456789"} {
		if strings.Contains(out, bad) {
			t.Fatalf("secret material %q printed: %s", bad, out)
		}
	}
	if !strings.Contains(out, "src:standard:SECRET_ENV") {
		t.Fatalf("source description missing: %s", out)
	}
}

func TestKey(t *testing.T) {
	for _, c := range []struct {
		ev   webhook.Event
		want string
	}{
		{webhook.Event{ID: "msg_1", ContentType: webhook.TypeJSON}, "exampledir/webhooks/gh/msg_1.json"},
		{webhook.Event{ID: "msg_1", ContentType: webhook.TypeJSON, Timestamp: time.Unix(1, 0)}, "exampledir/webhooks/gh/msg_1.json"},
		{webhook.Event{ID: "d-1", ContentType: webhook.TypeBinary}, "exampledir/webhooks/gh/d-1.bin"},
		{webhook.Event{ID: "d-1"}, "exampledir/webhooks/gh/d-1.bin"},
	} {
		got := webhook.Key("exampledir/", "gh", c.ev)
		if got != c.want {
			t.Errorf("Key(%+v) = %q, want %q", c.ev, got, c.want)
		}
		if err := objectkey.Validate(got); err != nil {
			t.Errorf("%q: %v", got, err)
		}
	}
}

// TestEventFromSignedBytesOnly: for every scheme, what Verify returns
// (and so the key and the stored type) is the same whatever unsigned
// header a delivery carries or lacks.
func TestEventFromSignedBytesOnly(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := `{"a":1}`
	signed := map[webhook.Scheme]http.Header{
		webhook.Standard: header("webhook-id", "msg_1", "webhook-timestamp", strconv.FormatInt(now.Unix(), 10),
			"webhook-signature", standardSign(t, stdSecret, "msg_1", now.Unix(), body)),
		webhook.GitHub: header("X-Hub-Signature-256", githubSign(githubSecret, body)),
		webhook.Stripe: header("Stripe-Signature", "t="+strconv.FormatInt(now.Unix(), 10)+",v1="+stripeV1(stripeSecret, now.Unix(), body)),
	}
	secrets := map[webhook.Scheme]string{webhook.Standard: stdSecret, webhook.GitHub: githubSecret, webhook.Stripe: stripeSecret}
	for scheme, h := range signed {
		s := source(t, scheme, secrets[scheme])
		want, err := s.Verify(h, []byte(body), now, 0)
		if err != nil || want.ContentType != webhook.TypeJSON {
			t.Fatalf("%s: %+v %v", scheme, want, err)
		}
		for _, name := range []string{"Content-Type", "X-GitHub-Delivery", "X-GitHub-Event", "User-Agent", "Svix-Id", "Idempotency-Key"} {
			for _, v := range []string{"text/html", "image/svg+xml", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "evt_1"} {
				h2 := h.Clone()
				h2.Set(name, v)
				got, err := s.Verify(h2, []byte(body), now, 0)
				if err != nil || got != want {
					t.Errorf("%s with %s: %+v %v, want %+v", scheme, name, got, err, want)
				}
			}
		}
	}
}

func TestStoredType(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":1}`: webhook.TypeJSON, `[1,2]`: webhook.TypeJSON, ` "s" `: webhook.TypeJSON, `null`: webhook.TypeJSON,
		`payload=%7B%7D`: webhook.TypeBinary, `<html><script>alert(1)</script>`: webhook.TypeBinary,
		`<svg onload=alert(1)>`: webhook.TypeBinary, ``: webhook.TypeBinary, "{\"a\":1}\x00": webhook.TypeBinary,
	} {
		if got := webhook.StoredType([]byte(body)); got != want {
			t.Errorf("StoredType(%q) = %q, want %q", body, got, want)
		}
	}
}

// TestHeaderMeta sweeps every byte value at the start, middle and end of a
// value: the result is printable ASCII, percent-decodes back to the input,
// and stays within MaxHeaderMeta without cutting an escape.
func TestHeaderMeta(t *testing.T) {
	for c := range 256 {
		for _, v := range []string{string([]byte{byte(c)}) + "ab", "a" + string([]byte{byte(c)}) + "b", "ab" + string([]byte{byte(c)})} {
			got := webhook.HeaderMeta(v)
			if got == "" || got[0] == ' ' || got[len(got)-1] == ' ' {
				t.Fatalf("%q -> %q: empty or space at an end", v, got)
			}
			for i := 0; i < len(got); i++ {
				if got[i] < 0x20 || got[i] > 0x7e {
					t.Fatalf("%q -> %q: byte %#02x", v, got, got[i])
				}
			}
			back, err := url.PathUnescape(got)
			if err != nil || back != v {
				t.Fatalf("%q -> %q -> %q %v", v, got, back, err)
			}
		}
	}
	for _, n := range []int{webhook.MaxHeaderMeta - 2, webhook.MaxHeaderMeta - 1, webhook.MaxHeaderMeta, webhook.MaxHeaderMeta + 1, 10000} {
		for _, fill := range []string{"a", "\x00", "a\x00"} {
			v := strings.Repeat(fill, n)
			got := webhook.HeaderMeta(v)
			if len(got) > webhook.MaxHeaderMeta {
				t.Fatalf("%d x %q: %d bytes", n, fill, len(got))
			}
			back, err := url.PathUnescape(got)
			if err != nil || !strings.HasPrefix(v, back) {
				t.Fatalf("%d x %q: %q is not a cut of the input (%v)", n, fill, got, err)
			}
		}
	}
}

func TestMetadata(t *testing.T) {
	received := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	h := header("Content-Type", "text/html", "User-Agent", "GitHub-Hookshot/1", "X-GitHub-Delivery", "d-1",
		"X-GitHub-Event", "push", "X-Other", "x", "X-Hub-Signature-256", "sha256=00")
	gh := source(t, webhook.GitHub, githubSecret).Metadata(webhook.Event{ID: "abc"}, h, received)
	want := map[string]string{"webhook-source": "src", "webhook-id": "abc", "webhook-timestamp": strconv.FormatInt(received.Unix(), 10),
		"webhook-header-content-type": "text/html", "webhook-header-user-agent": "GitHub-Hookshot/1",
		"webhook-header-x-github-delivery": "d-1", "webhook-header-x-github-event": "push"}
	if !maps.Equal(gh, want) {
		t.Errorf("github metadata %v, want %v", gh, want)
	}
	signedAt := time.Unix(1_800_000_000, 0)
	std := source(t, webhook.Standard, stdSecret).Metadata(webhook.Event{ID: "m", Timestamp: signedAt}, h, received)
	if std["webhook-timestamp"] != "1800000000" || std["webhook-header-x-github-delivery"] != "" || std["webhook-header-content-type"] != "text/html" || len(std) != 5 {
		t.Errorf("standard metadata %v", std)
	}
}

func TestFolderFor(t *testing.T) {
	for tmpl, want := range map[string]string{
		"exampledir/":            "exampledir/webhooks/",
		"exampledir/{sub}/":      "exampledir/webhooks/webhooks/",
		"a/{tenant}/b/{sub}/c/":  "a/webhooks/b/webhooks/c/webhooks/",
		"exampledir/{sub}/logs/": "exampledir/webhooks/logs/webhooks/",
	} {
		p, err := objectkey.NewPolicy(tmpl)
		if err != nil {
			t.Fatal(err)
		}
		got, err := webhook.FolderFor(p)
		if err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", tmpl, got, err, want)
		}
		// The gate admits a key in that folder for webhook.Claims.
		if _, err := p.Resolve(got+"s/x.json", webhook.Claims{}, "application/json"); err != nil {
			t.Errorf("%q: gate refused: %v", tmpl, err)
		}
	}
}

// TestSignVerifies: Sign is Verify's inverse for every id shape Verify
// accepts, and any change of id, timestamp, body or key breaks it.
func TestSignVerifies(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	src, err := webhook.NewSource("n", webhook.Standard, "S", secret)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := webhook.NewSource("n", webhook.Standard, "S", "whsec_"+base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210")))
	now := time.Now()
	for _, id := range []string{"upl_0123", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "a", strings.Repeat("x", 1024)} {
		body := []byte(`{"type":"upload.completed","data":{}}`)
		sig, err := src.Sign(id, now.Unix(), body)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set("Webhook-Id", id)
		h.Set("Webhook-Timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set("Webhook-Signature", sig)
		if _, err := src.Verify(h, body, now, 0); err != nil {
			t.Fatalf("id %q: %v", id[:min(len(id), 20)], err)
		}
		if _, err := other.Verify(h, body, now, 0); err == nil {
			t.Fatal("verifies under another key")
		}
		if _, err := src.Verify(h, append(body, ' '), now, 0); err == nil {
			t.Fatal("verifies another body")
		}
		h.Set("Webhook-Timestamp", strconv.FormatInt(now.Unix()+1, 10))
		if _, err := src.Verify(h, body, now, 0); err == nil {
			t.Fatal("verifies another timestamp")
		}
	}
	for _, id := range []string{"", "a.b", strings.Repeat("x", 1025)} {
		if _, err := src.Sign(id, now.Unix(), nil); err == nil {
			t.Errorf("signed id %q", id)
		}
	}
	gh, _ := webhook.NewSource("g", webhook.GitHub, "S", strings.Repeat("k", 32))
	if _, err := gh.Sign("id", now.Unix(), nil); err == nil {
		t.Error("a GitHub source signs")
	}
}
