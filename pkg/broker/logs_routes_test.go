package broker_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestNoSecretsInLogsNewRoutes drives multipart (with STS credentials),
// presign-post and presign-get, successes and refusals, with debug logging
// in the broker and the OSS server, and checks that no line holds a token,
// a secret, the security token, a handle, a part URL's signature, or a POST
// policy or its signature.
func TestNoSecretsInLogsNewRoutes(t *testing.T) {
	ossLogs := &syncBuffer{}
	e := newRoutesEnv(t, options{sts: true, ossLogs: ossLogs})
	tok := token(t, "alice", nil)
	secrets := []string{tok, ramSecret, ownerSecret, stsToken, string(hsSecret), string(handleSecret)}

	data := randomData(120 << 10)
	in := e.initiate(tok, map[string]any{"key": "exampledir/logs/mp.bin", "size": len(data), "partSize": 100 << 10})
	secrets = append(secrets, in.Handle, strings.SplitN(in.Handle, ".", 2)[1])
	urls := e.partURLs(tok, in.Handle, 1, 2)
	for _, p := range urls.Parts {
		u, _ := url.Parse(p.URL)
		if u.Query().Get("x-oss-security-token") != stsToken {
			t.Fatalf("part URL without the security token: %s", p.URL)
		}
		secrets = append(secrets, u.Query().Get("x-oss-signature"))
	}
	parts := e.uploadParts(tok, in, data)
	e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle + "x", "parts": parts})
	if r := e.call(tok, "/v1/multipart/complete", map[string]any{"handle": in.Handle, "parts": parts}); r.status != 201 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	e.call(tok, "/v1/multipart/abort", map[string]any{"handle": in.Handle})

	f := e.presignPost(tok, map[string]any{"key": "exampledir/logs/form.txt", "contentType": "text/plain", "maxBytes": 4096})
	secrets = append(secrets, f.Fields["policy"], f.Fields["x-oss-signature"])
	if r := submit(t, f, "form.txt", "text/plain", []byte("form")); r.status != 204 {
		t.Fatalf("form: %d %s", r.status, r.body)
	}
	submit(t, f, "big.bin", "text/plain", randomData(8000))

	r := e.call(tok, "/v1/presign-get", map[string]any{"key": "exampledir/logs/form.txt"})
	var p presigned
	r.json(t, &p)
	u, _ := url.Parse(p.URL)
	secrets = append(secrets, u.Query().Get("x-oss-signature"))
	do(t, "GET", p.URL, nil, nil)
	e.call(tok, "/v1/presign-get", map[string]any{"key": "other/x"})

	logs := e.logs.String() + ossLogs.String()
	if !strings.Contains(e.logs.String(), `"route":"/v1/multipart/complete"`) {
		t.Fatalf("the broker logged no requests:\n%s", e.logs.String())
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("an empty secret in the list")
		}
		if strings.Contains(logs, s) {
			t.Errorf("a log line holds %.12s…", s)
		}
	}
}
