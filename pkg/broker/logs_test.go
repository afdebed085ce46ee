package broker_test

import (
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/fchttp"
)

// TestNoSecretsInLogs runs the whole API, successes and failures, signing
// with STS credentials, and checks that no log line of the broker, the FC
// adapter or the OSS server holds a token, a secret, the security token or
// a signature.
func TestNoSecretsInLogs(t *testing.T) {
	ossLogs := &syncBuffer{}
	e := newEnv(t, options{sts: true, ossLogs: ossLogs})
	adapterLogs := &syncBuffer{}
	fc := fchttp.Handler(e.handler, fchttp.WithLogger(slog.New(slog.NewJSONHandler(adapterLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))))

	tok := token(t, "alice", nil)
	secrets := []string{tok, ramSecret, ownerSecret, stsToken, string(hsSecret)}

	// Presign, then upload, then the failures around it.
	res := e.presign(tok, map[string]any{"key": "exampledir/logs/a.txt", "contentType": "text/plain"})
	if res.status != 200 {
		t.Fatalf("presign: %d %s", res.status, res.body)
	}
	var p presigned
	res.json(t, &p)
	u, _ := url.Parse(p.URL)
	sig := u.Query().Get("x-oss-signature")
	if sig == "" || u.Query().Get("x-oss-security-token") != stsToken {
		t.Fatalf("the URL lacks a signature or the security token: %s", p.URL)
	}
	secrets = append(secrets, sig)
	if r := do(t, "PUT", p.URL, p.Headers, []byte("hello")); r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if r := do(t, "PUT", p.URL, p.Headers, []byte("again")); r.status != 409 {
		t.Fatalf("second upload: %d", r.status)
	}
	tampered := strings.Replace(p.URL, "x-oss-expires=", "x-oss-expires=1", 1)
	if r := do(t, "PUT", tampered, p.Headers, []byte("x")); r.status != 403 {
		t.Fatalf("tampered URL: %d", r.status)
	}
	authz := map[string]string{"Authorization": "Bearer " + tok}
	for _, r := range []struct {
		method, path string
		body         string
		want         int
	}{
		{"PUT", "/v1/objects/exampledir/logs/b.bin", "bytes", 201},
		{"PUT", "/v1/objects/exampledir/logs/b.bin", "bytes", 409},
		{"PUT", "/v1/objects/other/b.bin", "bytes", 403},
		{"PUT", "/v1/objects/exampledir/%2e%2e/b.bin", "bytes", 400},
		{"POST", "/v1/presign", `{"key":"exampledir/x","bogus":1}`, 400},
		{"POST", "/v1/presign?access_token=" + tok, `{"key":"exampledir/x"}`, 200},
	} {
		if got := do(t, r.method, e.url+r.path, authz, []byte(r.body)); got.status != r.want {
			t.Fatalf("%s %s: %d %s", r.method, r.path, got.status, got.body)
		}
	}
	for _, bad := range []string{tok + "x", "Basic " + tok, strings.ToUpper(tok)} {
		if got := do(t, "POST", e.url+"/v1/presign", map[string]string{"Authorization": "Bearer " + bad}, []byte(`{}`)); got.status != 401 {
			t.Fatalf("bad token: %d", got.status)
		}
		secrets = append(secrets, bad)
	}
	// Through the FC adapter too, which logs each event at debug level.
	if r := invokeEvent(t, fc, "POST", "/v1/presign", map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}, `{"key":"exampledir/fc.txt"}`); r.StatusCode != 200 {
		t.Fatalf("through the adapter: %d", r.StatusCode)
	} else {
		var fp presigned
		json.Unmarshal([]byte(r.Body), &fp)
		fu, _ := url.Parse(fp.URL)
		secrets = append(secrets, fu.Query().Get("x-oss-signature"))
	}

	all := e.logs.String() + adapterLogs.String() + ossLogs.String()
	if !strings.Contains(e.logs.String(), `"status":401`) || !strings.Contains(e.logs.String(), `"status":201`) {
		t.Fatalf("the broker's access log is missing lines:\n%s", e.logs.String())
	}
	for _, line := range strings.Split(all, "\n") {
		for _, s := range secrets {
			if s != "" && strings.Contains(line, s) {
				t.Errorf("a secret (%d bytes, starting %.6q) reached a log line: %s", len(s), s, line)
			}
		}
		if strings.Contains(line, "x-oss-signature=") || strings.Contains(line, "Bearer ") {
			t.Errorf("a signature or bearer credential reached a log line: %s", line)
		}
	}
	if ossLogs.String() == "" || adapterLogs.String() == "" {
		t.Error("the OSS server or the adapter logged nothing; the check above proved little")
	}
}
