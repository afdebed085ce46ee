package broker_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ossbroker/ossbroker/pkg/fchttp"
)

var b64 = base64.RawURLEncoding

// handToken signs header.payload with HS256 by hand, so that any header or
// payload JSON can be crafted.
func handToken(header, payload string, key []byte) string {
	in := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + b64.EncodeToString(m.Sum(nil))
}

func claimsJSON(mutate func(map[string]any)) string {
	c := map[string]any{"sub": "alice", "iss": issuer, "aud": audience, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	if mutate != nil {
		mutate(c)
	}
	b, _ := json.Marshal(c)
	return string(b)
}

type eventFunc = func(context.Context, []byte) (*events.HTTPTriggerResponse, error)

// callFC runs ev through fn inside the SDK's own handler wrapper, as
// fc.Start does, and decodes the response JSON.
func callFC(t *testing.T, fn eventFunc, ev *events.HTTPTriggerEvent) *events.HTTPTriggerResponse {
	t.Helper()
	in, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fc.NewHandler(fn).Invoke(context.Background(), in)
	var res *events.HTTPTriggerResponse
	if err != nil || json.Unmarshal(out, &res) != nil || res == nil {
		t.Fatalf("adapter: %v: %s", err, out)
	}
	return res
}

// invokeFC runs one request through the FC adapter, as FC3 delivers it.
func invokeFC(t *testing.T, h http.Handler, method, rawPath string, headers map[string]string, body string) *events.HTTPTriggerResponse {
	t.Helper()
	return invokeEvent(t, fchttp.Handler(h), method, rawPath, headers, body)
}

func invokeEvent(t *testing.T, fn eventFunc, method, rawPath string, headers map[string]string, body string) *events.HTTPTriggerResponse {
	t.Helper()
	rawPath, rawQuery, _ := strings.Cut(rawPath, "?")
	query := map[string]string{}
	if q, err := url.ParseQuery(rawQuery); err == nil {
		for k := range q {
			query[k] = q.Get(k)
		}
	}
	path := rawPath
	binary := !utf8.ValidString(body) // FC sends such a body base64-encoded; JSON could not carry it
	if binary {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	ev := events.HTTPTriggerEvent{RawPath: &rawPath, Headers: &headers, Body: &body, IsBase64Encoded: &binary, QueryParameters: &query}
	ev.TriggerContext.Http.Method = &method
	ev.TriggerContext.Http.Path = &path
	return callFC(t, fn, &ev)
}

// TestTokenAttacksEndToEnd sends each known JWT attack (the table below: alg none,
// algorithm confusion, crit, jku, missing or bad claims, oversize) through
// the FC adapter and the broker: every one gets the same 401, and no log
// line holds the token.
func TestTokenAttacksEndToEnd(t *testing.T) {
	var jkuHits atomic.Int32
	jku := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { jkuHits.Add(1) }))
	defer jku.Close()

	valid := handToken(`{"alg":"HS256","typ":"JWT"}`, claimsJSON(nil), hsSecret)
	parts := strings.Split(valid, ".")
	otherPayload := b64.EncodeToString([]byte(claimsJSON(func(c map[string]any) { c["sub"] = "mallory" })))
	sigBytes, _ := b64.DecodeString(parts[2])
	sigBytes[0] ^= 1
	none := func(alg string) string {
		return b64.EncodeToString([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + parts[1] + "."
	}
	attacks := map[string]string{
		"alg none":                  none("none"),
		"alg None":                  none("None"),
		"alg NONE":                  none("NONE"),
		"alg nOnE with signature":   none("nOnE") + parts[2],
		"signature stripped":        parts[0] + "." + parts[1] + ".",
		"signature truncated":       parts[0] + "." + parts[1] + "." + parts[2][:20],
		"signature bit flipped":     parts[0] + "." + parts[1] + "." + b64.EncodeToString(sigBytes),
		"payload swapped":           parts[0] + "." + otherPayload + "." + parts[2],
		"two segments":              parts[0] + "." + parts[1],
		"crit header":               handToken(`{"alg":"HS256","crit":["exp"],"exp":1}`, claimsJSON(nil), hsSecret),
		"typ not JWT":               handToken(`{"alg":"HS256","typ":"refresh"}`, claimsJSON(nil), hsSecret),
		"jku header":                handToken(`{"alg":"HS256","jku":"`+jku.URL+`","kid":"x"}`, claimsJSON(func(c map[string]any) { c["exp"] = 1 }), hsSecret),
		"unknown kid":               handToken(`{"alg":"HS256","kid":"../../dev/null"}`, claimsJSON(func(c map[string]any) { c["sub"] = "" }), hsSecret),
		"exp missing":               handToken(`{"alg":"HS256"}`, claimsJSON(func(c map[string]any) { delete(c, "exp") }), hsSecret),
		"exp zero":                  handToken(`{"alg":"HS256"}`, claimsJSON(func(c map[string]any) { c["exp"] = 0 }), hsSecret),
		"expired beyond leeway":     handToken(`{"alg":"HS256"}`, claimsJSON(func(c map[string]any) { c["exp"] = time.Now().Add(-35 * time.Second).Unix() }), hsSecret),
		"nbf in the future":         handToken(`{"alg":"HS256"}`, claimsJSON(func(c map[string]any) { c["nbf"] = time.Now().Add(5 * time.Minute).Unix() }), hsSecret),
		"iat in the future":         handToken(`{"alg":"HS256"}`, claimsJSON(func(c map[string]any) { c["iat"] = time.Now().Add(5 * time.Minute).Unix() }), hsSecret),
		"wrong issuer":              handToken(`{"alg":"HS256"}`, claimsJSON(func(c map[string]any) { c["iss"] = strings.TrimSuffix(issuer, "/") }), hsSecret),
		"wrong audience":            handToken(`{"alg":"HS256"}`, claimsJSON(func(c map[string]any) { c["aud"] = []string{"other"} }), hsSecret),
		"sub missing":               handToken(`{"alg":"HS256"}`, claimsJSON(func(c map[string]any) { delete(c, "sub") }), hsSecret),
		"sub empty":                 handToken(`{"alg":"HS256"}`, claimsJSON(func(c map[string]any) { c["sub"] = "" }), hsSecret),
		"alg hs256 lower case":      handToken(`{"alg":"hs256"}`, claimsJSON(nil), hsSecret),
		"alg HS512":                 handToken(`{"alg":"HS512"}`, claimsJSON(nil), hsSecret),
		"padding":                   valid + "=",
		"CRLF inside the signature": parts[0] + "." + parts[1] + "." + parts[2][:10] + "\r\n" + parts[2][10:],
		"space inside":              parts[0] + ". " + parts[1] + "." + parts[2],
		"over 8 KiB":                handToken(`{"alg":"HS256","pad":"`+strings.Repeat("A", 8<<10)+`"}`, claimsJSON(nil), hsSecret),
		"many dots":                 strings.Repeat(".", 4096),
	}
	schemes := map[string]string{
		"scheme Basic":            "Basic " + valid,
		"scheme Token":            "Token " + valid,
		"bearer without token":    "Bearer ",
		"bearer with two tokens":  "Bearer " + valid + " " + valid,
		"two values comma-joined": "Bearer " + valid + ",Bearer " + valid,
		"no scheme":               valid,
	}

	e := newEnv(t, options{})
	body := `{"key":"exampledir/a.txt"}`
	var want string
	check := func(name string, res *events.HTTPTriggerResponse, tok string) {
		t.Helper()
		if res.StatusCode != 401 || res.Headers["Www-Authenticate"] != `Bearer error="invalid_token"` && res.Headers["WWW-Authenticate"] != `Bearer error="invalid_token"` {
			t.Errorf("%s: %d %v %s", name, res.StatusCode, res.Headers, res.Body)
			return
		}
		var eb map[string]map[string]string
		json.Unmarshal([]byte(res.Body), &eb)
		eb["error"]["requestId"] = ""
		b, _ := json.Marshal(eb)
		if want == "" {
			want = string(b)
		} else if string(b) != want {
			t.Errorf("%s: body %s, want the uniform %s", name, b, want)
		}
		if tok != "" && len(tok) > 16 && strings.Contains(e.logs.String(), tok) {
			t.Errorf("%s: the token reached the log", name)
		}
	}
	for name, tok := range attacks {
		res := invokeFC(t, e.handler, "POST", "/v1/presign", map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}, body)
		check(name, res, tok)
	}
	for name, authz := range schemes {
		res := invokeFC(t, e.handler, "POST", "/v1/presign", map[string]string{"Authorization": authz, "Content-Type": "application/json"}, body)
		check(name, res, valid)
	}
	// Two Authorization headers over real HTTP.
	req, _ := http.NewRequest("POST", e.url+"/v1/presign", strings.NewReader(body))
	req.Header.Add("Authorization", "Bearer "+valid)
	req.Header.Add("Authorization", "Bearer "+valid)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("two Authorization headers: %d", res.StatusCode)
	}
	// A token in the query string is never read.
	if r := invokeFC(t, e.handler, "POST", "/v1/presign?access_token="+valid, map[string]string{"Content-Type": "application/json"}, body); r.StatusCode != 401 {
		t.Errorf("query token: %d", r.StatusCode)
	}
	if jkuHits.Load() != 0 {
		t.Errorf("the jku URL was fetched %d times", jkuHits.Load())
	}
	// The control: the untouched token works.
	if r := invokeFC(t, e.handler, "POST", "/v1/presign", map[string]string{"Authorization": "Bearer " + valid, "Content-Type": "application/json"}, body); r.StatusCode != 200 {
		t.Fatalf("valid token: %d %s", r.StatusCode, r.Body)
	}
}

// TestAlgorithmConfusion: with an RSA public key configured, an HS256 token
// MACed with that key's PEM (or DER) bytes must not pass.
func TestAlgorithmConfusion(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	e := newEnv(t, options{publicKeyPEM: pemBytes})
	for name, key := range map[string][]byte{"PEM": pemBytes, "DER": der} {
		tok := handToken(`{"alg":"HS256","typ":"JWT"}`, claimsJSON(nil), key)
		if r := e.presign(tok, map[string]any{"key": "exampledir/a"}); r.status != 401 {
			t.Errorf("HS256 MACed with the RSA key's %s: %d", name, r.status)
		}
	}
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	es, _ := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "alice", "iss": issuer, "aud": audience, "exp": time.Now().Add(time.Hour).Unix()}).SignedString(ek)
	if r := e.presign(es, map[string]any{"key": "exampledir/a"}); r.status != 401 {
		t.Errorf("ES256 token against an RSA key: %d", r.status)
	}
	rs, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "alice", "iss": issuer, "aud": audience, "exp": time.Now().Add(time.Hour).Unix()}).SignedString(rk)
	if r := e.presign(rs, map[string]any{"key": "exampledir/a"}); r.status != 200 {
		t.Fatalf("control RS256 token: %d %s", r.status, r.body)
	}
}

// TestKeyAttacksEndToEnd sends hostile keys both ways a key arrives: in
// the presign JSON and percent-encoded in the /v1/objects/ path (decoded
// once, by the broker, then judged).
func TestKeyAttacksEndToEnd(t *testing.T) {
	e := newEnv(t, options{})
	tok := token(t, "alice", nil)
	long := "exampledir/" + strings.Repeat("k", 1023-len("exampledir/"))
	tests := []struct {
		name, key string
		status    int
	}{
		{"dot-dot segment", "exampledir/../etc/passwd", 400},
		{"dot segment", "exampledir/./a", 400},
		{"trailing dot-dot", "exampledir/a/..", 400},
		{"backslash", `exampledir\..\a`, 400},
		{"leading backslash", `\exampledir/a`, 400},
		{"double slash", "exampledir//a", 400},
		{"leading slash", "/exampledir/a", 400},
		{"NUL", "exampledir/a\x00b", 400},
		{"CR LF", "exampledir/a\r\nx-oss-meta-evil: 1", 400},
		{"tab", "exampledir/a\tb", 400},
		{"DEL", "exampledir/a\x7fb", 400},
		{"C1 control", "exampledir/a\u0085b", 400},
		{"bidi override", "exampledir/a\u202egnp.exe", 400},
		{"full-width dots", "exampledir/\uff0e\uff0e/a", 400},
		{"full-width slash", "exampledir\uff0fa", 400},
		{"division slash", "exampledir/a\u2215..\u2215b", 400},
		{"one-dot leader", "exampledir/\u2024\u2024/a", 400},
		{"1024 bytes", long + "k", 400},
		{"no boundary", "exampledir2/a", 403},
		{"prefix without slash", "exampledir", 403},
		{"case variant", "EXAMPLEDIR/a", 403},
		{"outside", "other/a", 403},
		{"1023 bytes", long, 200},
		{"prefix alone is a folder", "exampledir/", 200},
		{"unicode name", "exampledir/写真/ü 1+2.png", 200},
	}
	for _, tt := range tests {
		if r := e.presign(tok, map[string]any{"key": tt.key}); r.status != tt.status {
			t.Errorf("presign %s (%q): %d %s, want %d", tt.name, tt.key, r.status, r.body, tt.status)
		}
	}
	// Raw bytes in the JSON body: never repaired into U+FFFD.
	for name, key := range map[string]string{"invalid UTF-8": "exampledir/a\xffb", "overlong slash": "exampledir/a\xc0\xafb", "surrogate": "exampledir/a\xed\xa0\x80b"} {
		r := do(t, "POST", e.url+"/v1/presign", map[string]string{"Authorization": "Bearer " + tok}, []byte(`{"key":"`+key+`"}`))
		if r.status != 400 {
			t.Errorf("presign %s: %d %s, want 400", name, r.status, r.body)
		}
	}
	paths := []struct {
		name, raw string
		status    int
	}{
		{"encoded dot-dot", "exampledir/%2e%2e/x", 400},
		{"encoded dot-dot upper", "exampledir/%2E%2E/x", 400},
		{"encoded slash traversal", "exampledir%2f..%2fx", 400},
		{"encoded backslash", "exampledir/%5c..%5cx", 400},
		{"encoded NUL", "exampledir/a%00", 400},
		{"encoded invalid UTF-8", "exampledir/a%ffb", 400},
		{"encoded CRLF", "exampledir/a%0d%0ab", 400},
		{"overlong encoded", "exampledir/%c0%ae%c0%ae/x", 400},
		{"full-width encoded", "exampledir/%ef%bc%8e%ef%bc%8e/x", 400},
		{"double encoded stays literal", "exampledir/%252e%252e/x", 201},
		{"encoded prefix boundary", "exampledir2%2fx", 403},
	}
	for _, p := range paths {
		res := invokeFC(t, e.handler, "PUT", "/v1/objects/"+p.raw, map[string]string{"Authorization": "Bearer " + tok}, "x")
		if res.StatusCode != p.status {
			t.Errorf("PUT %s (%s): %d %s, want %d", p.name, p.raw, res.StatusCode, res.Body, p.status)
		}
	}
	stored := e.keys("")
	if len(stored) != 1 || stored[0] != "exampledir/%2e%2e/x" {
		t.Errorf("stored keys %q, want only the literal double-encoded one", stored)
	}
}

// TestPerUserFolders: with UPLOAD_PREFIX exampledir/{sub}/, a user can never
// reach another user's folder, whatever their sub claim holds.
func TestPerUserFolders(t *testing.T) {
	e := newEnv(t, options{prefix: "exampledir/{sub}/"})
	for _, tt := range []struct {
		sub, key string
		status   int
	}{
		{"a", "exampledir/a/x", 200},
		{"a", "exampledir/a/", 200},
		{"a", "exampledir/b/x", 403},
		{"a", "exampledir/ab/x", 403},
		{"a", "exampledir/x", 403},
		{"../b", "exampledir/b/x", 403},
		{"../b", "exampledir/../b/x", 400},
		{"a/b", "exampledir/a/b/x", 403},
		{".", "exampledir/./x", 400},
		{"..", "exampledir/x", 403},
		{"b\uff0fc", "exampledir/b\uff0fc/x", 400},
		{strings.Repeat("z", 300), "exampledir/" + strings.Repeat("z", 300) + "/x", 403},
		{"用户", "exampledir/用户/x", 200},
	} {
		if r := e.presign(token(t, tt.sub, nil), map[string]any{"key": tt.key}); r.status != tt.status {
			t.Errorf("sub %q key %q: %d %s, want %d", tt.sub, tt.key, r.status, r.body, tt.status)
		}
	}
	// An empty sub is no caller at all.
	if r := e.presign(token(t, "", nil), map[string]any{"key": "exampledir//x"}); r.status != 401 {
		t.Errorf("empty sub: %d", r.status)
	}
}
