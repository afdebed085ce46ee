package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/assemble"
	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/fchttp"
)

// TestRefusedBodiesCostNothing sweeps every route of the deployed wiring
// (assemble.Broker + fchttp.Handler, fed event bytes as the SDK feeds them) with a
// 6 MiB body (over every route's limit), in base64 and as a plain string, without and with a valid
// token. Whatever the route refuses (no token, unknown route or source,
// wrong method, a body over the route's limit) must be refused without
// anything near the body's size being allocated, and without a token the
// answer must be the one the same request gets with a tiny body. Before
// the fix, the event was copied and the body decoded (over 14 MB allocated
// for a 6 MiB base64 body) before any route saw the request.
func TestRefusedBodiesCostNothing(t *testing.T) {
	env := map[string]string{
		"JWT_HS256_SECRET": testSecret, "OSS_ACCESS_KEY_ID": ramID, "OSS_ACCESS_KEY_SECRET": ramSecret,
		"OSS_BUCKET": testBucket, "OSS_REGION": testRegion, "OSS_ENDPOINT": startOSSServer(t),
		"ALLOW_DOWNLOADS": "true", "LOG_LEVEL": "error",
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	h, closeFn, err := assemble.Broker(context.Background(), cfg, log, getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	fn := fchttp.Handler(h, fchttp.WithLogger(log))
	token := mint(t, "alice", time.Hour)

	const size = 6 << 20 // over every route's limit (MAX_DIRECT_UPLOAD_BYTES is 5 MiB)
	big := strings.Repeat("0123456789abcdef", size/16)
	bigB64 := base64.StdEncoding.EncodeToString([]byte(big))
	routes := []struct{ method, path string }{
		{"POST", "/v1/presign"}, {"POST", "/v1/presign-post"}, {"POST", "/v1/presign-get"},
		{"POST", "/v1/multipart"}, {"POST", "/v1/multipart/parts"}, {"POST", "/v1/multipart/complete"}, {"POST", "/v1/multipart/abort"},
		{"PUT", "/v1/objects/exampledir/alice/a.bin"}, {"POST", "/v1/objects/exampledir/alice/"},
		{"PUT", "/v1/objects/outside/a.bin"}, {"POST", "/v1/webhooks/github"}, {"POST", "/v1/webhooks/"},
		{"POST", "/healthz"}, {"DELETE", "/v1/presign"}, {"GET", "/v1/objects/exampledir/a.bin"}, {"POST", "/v1/nope"}, {"POST", "/"},
	}
	for _, rt := range routes {
		for _, auth := range []string{"", "Bearer " + token} {
			for _, b64 := range []bool{true, false} {
				name := rt.method + " " + rt.path + map[bool]string{true: " base64", false: " string"}[b64] + map[bool]string{true: " token", false: ""}[auth != ""]
				body := big
				if b64 {
					body = bigB64
				}
				ev := triggerEvent(rt.method, rt.path, auth, body, b64)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				resp, _ := fn(context.Background(), ev)
				runtime.ReadMemStats(&after)
				alloc := after.TotalAlloc - before.TotalAlloc
				if resp.StatusCode < 400 {
					t.Errorf("%s: status %d for a 6 MiB body", name, resp.StatusCode)
				}
				if alloc > 1<<20 {
					t.Errorf("%s: %d: %d bytes allocated for a refused %d-byte event", name, resp.StatusCode, alloc, len(ev))
				}
				var e struct {
					Error struct{ Code, RequestID string }
				}
				if json.Unmarshal([]byte(resp.Body), &e) != nil || e.Error.Code == "" {
					t.Errorf("%s: %d %.200s: not the JSON error", name, resp.StatusCode, resp.Body)
				}
				small, _ := fn(context.Background(), triggerEvent(rt.method, rt.path, auth, "e30=", true))
				switch {
				case auth == "" && small.StatusCode != resp.StatusCode:
					t.Errorf("%s: %d, but %d with a 2-byte body", name, resp.StatusCode, small.StatusCode)
				case auth != "" && small.StatusCode != resp.StatusCode && resp.StatusCode != 413:
					t.Errorf("%s: %d, and %d with a 2-byte body: only the size may change the answer", name, resp.StatusCode, small.StatusCode)
				}
			}
		}
	}
}

// triggerEvent is the event JSON FC3 sends for one request; body must need
// no JSON escaping (it is spliced in, which keeps a 32 MiB event cheap to
// build).
func triggerEvent(method, path, authorization, body string, b64 bool) []byte {
	headers := map[string]string{"Content-Type": "application/octet-stream"}
	if !b64 {
		headers["Content-Type"] = "application/json"
	}
	if authorization != "" {
		headers["Authorization"] = authorization
	}
	ev := event(method, path, headers, nil, b64)
	ev["body"] = "\x00BODY\x00"
	out, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return bytes.Replace(out, []byte(`\u0000BODY\u0000`), []byte(body), 1)
}
