package fchttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// base64Event is the JSON of a POST event whose body is the base64 string b64.
func base64Event(b64 string) []byte {
	return []byte(`{"version":"v1","rawPath":"/x","body":"` + b64 + `","isBase64Encoded":true,` +
		`"headers":{"Content-Type":"application/octet-stream"},"queryParameters":{},` +
		`"requestContext":{"http":{"method":"POST","path":"/x","protocol":"HTTP/1.1","sourceIp":"203.0.113.7"},"requestId":"r"}}`)
}

// TestBase64BodyLength sweeps every length from 0 to 3*64+2 bytes (every
// padding) over random-looking bytes: Content-Length is known before a
// byte is decoded, and the body reads back exactly.
func TestBase64BodyLength(t *testing.T) {
	for n := 0; n <= 3*64+2; n++ {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*131 + n*7)
		}
		for _, enc := range []string{
			base64.StdEncoding.EncodeToString(data),
			// Line breaks (JSON-escaped), which Go's decoder skips:
			// sized by decoding.
			strings.Join(chunk(base64.StdEncoding.EncodeToString(data), 76), `\r\n`),
		} {
			ev := event(t, string(base64Event(enc)))
			r, err := NewRequest(context.Background(), ev)
			if n == 0 {
				if err != nil || r.ContentLength != 0 || r.Body != http.NoBody {
					t.Fatalf("n=0: %v %d", err, r.ContentLength)
				}
				continue
			}
			if err != nil {
				t.Fatalf("n=%d %q: %v", n, enc, err)
			}
			if r.ContentLength != int64(n) {
				t.Fatalf("n=%d %q: ContentLength %d", n, enc, r.ContentLength)
			}
			got, err := io.ReadAll(r.Body)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("n=%d %q: read %x, %v", n, enc, got, err)
			}
		}
	}
}

func chunk(s string, n int) []string {
	var out []string
	for len(s) > n {
		out, s = append(out, s[:n]), s[n:]
	}
	return append(out, s)
}

// TestBase64BodyBadCharacter: a base64 body of the right shape with a
// character outside the alphabet, at every position, is a read error for
// the handler (which answers 400 for it), never other bytes.
func TestBase64BodyBadCharacter(t *testing.T) {
	good := base64.StdEncoding.EncodeToString([]byte("exactly 24 bytes of body"))
	for i := range len(good) {
		for _, c := range []byte{'!', '-', '_', '.', ' ', 0xff, '='} {
			if c == '=' && i >= len(good)-2 {
				continue
			}
			bad := []byte(good)
			bad[i] = c
			ev := event(t, string(base64Event(strings.ToValidUTF8(string(bad), "?"))))
			r, err := NewRequest(context.Background(), ev)
			if err != nil {
				continue // refused before the handler: fine too
			}
			if got, err := io.ReadAll(r.Body); err == nil {
				t.Fatalf("%q: read %q without an error", bad, got)
			}
		}
	}
}

// TestUnreadBodyCostsNothing: a handler that refuses a request on its
// headers (here after looking at Content-Length only, as the broker does
// for a missing token or a body over a route's limit) makes the adapter
// allocate nothing near the body's size, for an 8 MiB body in base64 (an
// 11 MiB event) and as a plain string. Before the fix, the event was copied
// (11 MiB) and the body decoded (8 MiB) before the handler ran.
func TestUnreadBodyCostsNothing(t *testing.T) {
	const size = 8 << 20
	var seen int64
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.ContentLength
		w.WriteHeader(http.StatusUnauthorized)
	}))
	body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	for _, tc := range []struct {
		name  string
		event []byte
	}{
		{"base64", base64Event(base64.StdEncoding.EncodeToString(body))},
		{"string", bytes.Replace(base64Event(string(body)), []byte(`"isBase64Encoded":true`), []byte(`"isBase64Encoded":false`), 1)},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		resp, err := h(context.Background(), tc.event)
		runtime.ReadMemStats(&after)
		if err != nil || resp.StatusCode != http.StatusUnauthorized || seen != size {
			t.Fatalf("%s: %+v %v, Content-Length %d", tc.name, resp, err, seen)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d bytes allocated for a %d-byte event", tc.name, alloc, len(tc.event))
		if alloc > 1<<20 {
			t.Errorf("%s: %d bytes allocated for a body the handler never read (event %d bytes)", tc.name, alloc, len(tc.event))
		}
	}
}

// TestBase64BodyOverLimitUnread: over the adapter's own limit the answer
// is 413 from the encoded length alone.
func TestBase64BodyOverLimitUnread(t *testing.T) {
	h := Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler ran") }), WithMaxBodyBytes(1000), WithLogger(slog.New(slog.DiscardHandler)))
	for _, n := range []int{1001, 1002, 1003, 4000} {
		resp, _ := h(context.Background(), base64Event(base64.StdEncoding.EncodeToString(make([]byte, n))))
		var body struct{ Error struct{ Code string } }
		if resp.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal([]byte(resp.Body), &body) != nil || body.Error.Code != "payload_too_large" {
			t.Errorf("%d bytes: %d %s", n, resp.StatusCode, resp.Body)
		}
	}
	for _, n := range []int{998, 999, 1000} {
		ok := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if b, err := io.ReadAll(r.Body); err != nil || len(b) != n {
				t.Errorf("%d: read %d, %v", n, len(b), err)
			}
		}), WithMaxBodyBytes(1000))
		if resp, _ := ok(context.Background(), base64Event(base64.StdEncoding.EncodeToString(make([]byte, n)))); resp.StatusCode != 200 {
			t.Errorf("%d bytes: status %d", n, resp.StatusCode)
		}
	}
}
