package broker_test

import (
	"bufio"
	"bytes"
	"io"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// unsignedHeaders are headers a sender (or anyone replaying a captured
// delivery) may set or vary without touching any scheme's signature: the
// schemes sign the body, and Standard Webhooks also webhook-id and
// webhook-timestamp, nothing else.
var unsignedHeaders = []string{
	"Content-Type", "User-Agent", "X-GitHub-Delivery", "X-GitHub-Event", "X-GitHub-Hook-ID",
	"X-GitHub-Hook-Installation-Target-ID", "X-GitHub-Hook-Installation-Target-Type",
	"Content-Disposition", "Cache-Control", "Content-Language", "Accept", "X-Request-Id",
	"X-Forwarded-For", "x-oss-meta-webhook-id", "x-oss-meta-webhook-source", "svix-id", "Idempotency-Key",
}

// attackerValues are what a replay may put in them, a dangerous type first.
var attackerValues = []string{
	"", "text/html", "image/svg+xml", "text/html; charset=utf-8", "application/xhtml+xml", "text/plain",
	"application/octet-stream", "application/json; charset=latin1", "not a type", "11111111-2222-3333-4444-555555555555",
	"../../../x", "attacker", strings.Repeat("a", 300),
}

// storedTypes are the only types a webhook object may be served with.
var storedTypes = map[string]bool{"application/json": true, "application/octet-stream": true}

// TestWebhookReplayWithUnsignedHeaders: a captured delivery, replayed with
// any value (or none) of any unsigned header, for every scheme, is a
// redelivery: the first delivery's answer, no second object, the stored
// type and bytes untouched. Then every combination at once.
func TestWebhookReplayWithUnsignedHeaders(t *testing.T) {
	for _, s := range schemes {
		t.Run(s.source, func(t *testing.T) {
			e := newWhEnv(t, whOptions{})
			folder := "exampledir/webhooks/" + s.source + "/"
			body := []byte(`{"event":"created","n":1}`)
			captured := s.sign("evt-0001", whClock, body, false)
			captured["Content-Type"] = "application/json"
			first := e.deliver(s.source, captured, body)
			if first.status != 200 {
				t.Fatalf("first: %d %s", first.status, first.body)
			}
			var got whResult
			first.json(t, &got)
			check := func(name string, r response) {
				t.Helper()
				if r.status != 200 || !bytes.Equal(r.body, first.body) || r.header.Get("X-Webhook-Duplicate") != "true" {
					t.Fatalf("%s: %d %s (duplicate %q), first was %s", name, r.status, r.body, r.header.Get("X-Webhook-Duplicate"), first.body)
				}
				if keys := e.list(folder); len(keys) != 1 || keys[0] != got.Key {
					t.Fatalf("%s: objects %v, want only %s", name, keys, got.Key)
				}
			}
			for _, h := range unsignedHeaders {
				for _, v := range attackerValues {
					replay := maps.Clone(captured)
					for k := range replay {
						if strings.EqualFold(k, h) {
							delete(replay, k)
						}
					}
					if v != "" {
						replay[h] = v
					}
					check(h+"="+v, e.deliver(s.source, replay, body))
				}
			}
			all := maps.Clone(captured)
			delete(all, "Content-Type")
			for i, h := range unsignedHeaders {
				all[h] = attackerValues[1+i%(len(attackerValues)-1)]
			}
			if s.source == "std" {
				delete(all, "svix-id") // only read when no webhook-* header is there; keep it simple
			}
			check("all at once", e.deliver(s.source, all, body))
			// Another day: the same signed bytes are still the same event
			// (GitHub signs no time; a signed timestamp is stale by then).
			if !s.timestamp {
				e.now = whClock.Add(49 * time.Hour)
				check("two days later", e.deliver(s.source, captured, body))
			}
			stored, obj := e.object(got.Key)
			if !bytes.Equal(stored, body) || oss.ToString(obj.ContentType) != "application/json" || got.ContentType != "application/json" {
				t.Fatalf("stored %q as %q, answered %q", stored, oss.ToString(obj.ContentType), got.ContentType)
			}
		})
	}
}

// TestWebhookStoredTypeNotSenderChosen: whatever Content-Type a delivery
// carries, the object is stored as application/json (a JSON body) or
// application/octet-stream (anything else), its key ends in .json or
// .bin, and the sender's header is kept as metadata only.
func TestWebhookStoredTypeNotSenderChosen(t *testing.T) {
	for _, s := range schemes {
		t.Run(s.source, func(t *testing.T) {
			e := newWhEnv(t, whOptions{})
			for i, v := range attackerValues {
				for _, body := range [][]byte{[]byte(`{"n":` + string(rune('0'+i%10)) + `,"i":"` + v + `"}`), []byte("<svg onload=alert(1)>" + v)} {
					h := s.sign("evt-t"+string(rune('a'+i)), e.now, body, false)
					if v != "" {
						h["Content-Type"] = v
					}
					r := e.deliver(s.source, h, body)
					if r.status != 200 {
						t.Fatalf("Content-Type %q: %d %s", v, r.status, r.body)
					}
					var got whResult
					r.json(t, &got)
					_, obj := e.object(got.Key)
					ct := oss.ToString(obj.ContentType)
					want, ext := "application/octet-stream", ".bin"
					if body[0] == '{' {
						want, ext = "application/json", ".json"
					}
					if ct != want || got.ContentType != want || !strings.HasSuffix(got.Key, ext) || !storedTypes[ct] {
						t.Fatalf("Content-Type %q, body %q: stored as %q (answer %q), key %s; want %s, %s", v, body, ct, got.ContentType, got.Key, want, ext)
					}
					if v != "" && obj.Metadata["webhook-header-content-type"] == "" {
						t.Fatalf("the sender's Content-Type is not kept: %v", obj.Metadata)
					}
				}
			}
		})
	}
}

// TestWebhookPlantedBodyCannotBlock: a captured body sent under the
// delivery id (or any unsigned header) of a delivery still to come does
// not occupy that delivery's key: the genuine delivery is stored (200),
// never 409. For Standard Webhooks the id is signed, so a captured
// signature under another id is refused (401).
func TestWebhookPlantedBodyCannotBlock(t *testing.T) {
	e := newWhEnv(t, whOptions{})
	captured := []byte(`{"action":"opened","number":1}`)
	genuine := []byte(`{"action":"opened","number":2}`)
	const nextID = "9b7a0e00-1111-2222-3333-444444444444"

	plant := signGitHub(whGitHubSecret, "8a6f0000-1111-2222-3333-444444444444", captured)
	plant["X-GitHub-Delivery"] = nextID
	plant["Content-Type"] = "application/json"
	if r := e.deliver("gh", plant, captured); r.status != 200 {
		t.Fatalf("planting (a genuine body): %d %s", r.status, r.body)
	}
	real := signGitHub(whGitHubSecret, nextID, genuine)
	real["Content-Type"] = "application/json"
	for attempt := range 3 {
		r := e.deliver("gh", real, genuine)
		if r.status != 200 {
			t.Fatalf("genuine delivery, attempt %d: %d %s", attempt, r.status, r.body)
		}
		var got whResult
		r.json(t, &got)
		if stored, _ := e.object(got.Key); !bytes.Equal(stored, genuine) {
			t.Fatalf("attempt %d: %s holds %q", attempt, got.Key, stored)
		}
	}
	if keys := e.list("exampledir/webhooks/gh/"); len(keys) != 2 {
		t.Fatalf("objects %v, want the captured and the genuine one", keys)
	}

	// Standard Webhooks: the id is in the signed content.
	std := signStandard(whStdKey, "msg-captured", whClock.Unix(), captured)
	std["webhook-id"] = "msg-next"
	if r := e.deliver("std", std, captured); r.status != 401 {
		t.Fatalf("standard, captured signature under another id: %d %s", r.status, r.body)
	}
	if r := e.deliver("std", signStandard(whStdKey, "msg-next", whClock.Unix(), genuine), genuine); r.status != 200 {
		t.Fatalf("standard, genuine: %d %s", r.status, r.body)
	}
}

// TestWebhookHeaderBytesKeptSafely: every byte value 0x00-0xFF inside the
// unsigned headers the broker keeps (Content-Type, X-GitHub-Delivery, ...)
// gives a stored delivery whose metadata is printable ASCII, percent-
// encoded where needed, and never changes the key or the stored type.
func TestWebhookHeaderBytesKeptSafely(t *testing.T) {
	e := newWhEnv(t, whOptions{})
	body := []byte(`{"n":1}`)
	var key string
	for c := range 256 {
		v := "a" + string([]byte{byte(c)}) + "b"
		h := signGitHub(whGitHubSecret, "d", body)
		for _, name := range []string{"Content-Type", "User-Agent", "X-GitHub-Delivery", "X-GitHub-Event"} {
			h[name] = v
		}
		r := e.deliver("gh", h, body)
		if r.status != 200 {
			t.Fatalf("byte %#02x: %d %s", c, r.status, r.body)
		}
		var got whResult
		r.json(t, &got)
		if key == "" {
			key = got.Key
			_, obj := e.object(key)
			for name, val := range obj.Metadata {
				for i := 0; i < len(val); i++ {
					if val[i] < 0x20 || val[i] > 0x7e {
						t.Fatalf("x-oss-meta-%s = %q: not printable ASCII", name, val)
					}
				}
			}
			if obj.Metadata["webhook-header-content-type"] != "a%00b" || obj.Metadata["webhook-header-x-github-delivery"] != "a%00b" {
				t.Fatalf("metadata %v", obj.Metadata)
			}
		}
		if got.Key != key || got.ContentType != "application/json" {
			t.Fatalf("byte %#02x: key %s type %s, first %s", c, got.Key, got.ContentType, key)
		}
	}
	// Each byte value in a first delivery's headers is stored as sent.
	for c := range 256 {
		b := []byte(`{"c":` + strconv.Itoa(c) + `}`)
		v := "x" + string([]byte{byte(c)}) + "y"
		h := signGitHub(whGitHubSecret, v, b)
		h["Content-Type"] = v
		r := e.deliver("gh", h, b)
		if r.status != 200 {
			t.Fatalf("first delivery, byte %#02x: %d %s", c, r.status, r.body)
		}
		var got whResult
		r.json(t, &got)
		_, obj := e.object(got.Key)
		// FC's event is JSON: a byte that is not UTF-8 arrives as U+FFFD.
		want := webhook.HeaderMeta(strings.ToValidUTF8(v, "\uFFFD"))
		if obj.Metadata["webhook-header-content-type"] != want || obj.Metadata["webhook-header-x-github-delivery"] != want {
			t.Fatalf("byte %#02x: metadata %v, want %q", c, obj.Metadata, want)
		}
	}
}

// TestWebhookShortBody: a plain HTTP body cut short of its Content-Length
// is 400 invalid_request and stores nothing (FC always hands over the whole
// body; this is the broker served directly).
func TestWebhookShortBody(t *testing.T) {
	e := newWhEnv(t, whOptions{})
	body := []byte(`{"a":1}`)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req strings.Builder
	req.WriteString("POST /v1/webhooks/gh HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")
	for k, v := range signGitHub(whGitHubSecret, "d-short", body) {
		req.WriteString(k + ": " + v + "\r\n")
	}
	req.WriteString("\r\n")
	req.Write(body)
	if _, err := io.WriteString(conn, req.String()); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	r := response{res.StatusCode, res.Header, b}
	if r.status != 400 || r.errorCode(t) != "invalid_request" {
		t.Fatalf("%d %s", r.status, b)
	}
	if keys := e.list(""); len(keys) != 0 {
		t.Fatalf("stored %v", keys)
	}
}
