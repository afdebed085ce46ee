package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var tokenShape = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// attack is one hostile token; want is the class named in the error, or ""
// for a token that must be accepted (the control cases).
type attack struct {
	name  string
	v     *Verifier
	token string
	want  string
}

// checkAttack runs one case and also asserts that the error text carries no
// part of the token.
func checkAttack(t *testing.T, a attack) {
	t.Helper()
	p, err := a.v.Verify(context.Background(), a.token)
	if a.want == "" {
		if err != nil {
			t.Fatalf("valid control token rejected: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("accepted (sub %q), want %q", p.Subject, a.want)
	}
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error %v does not wrap ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), a.want) {
		t.Fatalf("error %q, want class %q", err, a.want)
	}
	if p.Subject != "" || p.claims != nil {
		t.Fatalf("non-zero principal with an error: %+v", p)
	}
	assertNoLeak(t, err, a.token)
}

func assertNoLeak(t *testing.T, err error, token string) {
	t.Helper()
	msg := err.Error()
	if token != "" && strings.Contains(msg, token) {
		t.Fatalf("error %q contains the token", msg)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 6 && strings.Contains(msg, part) {
			t.Fatalf("error %q contains token part %q", msg, part)
		}
	}
}

func TestTokenAttacks(t *testing.T) {
	k := keys()
	hs := newVerifier(t, Config{HS256Secret: hsSecret, Leeway: 30 * time.Second})
	rsaPEM := pkixPEM(t, &k.rsa.PublicKey)
	rs := newVerifier(t, Config{PublicKeyPEM: rsaPEM})
	ecPEM := pkixPEM(t, &k.ec256.PublicKey)
	ec := newVerifier(t, Config{PublicKeyPEM: ecPEM})
	ed := newVerifier(t, Config{PublicKeyPEM: pkixPEM(t, k.ed.Public())})
	jwksRaw := jwksJSON(t, map[string]any{"r1": &k.rsa.PublicKey, "e1": &k.ec256.PublicKey})
	jw := newVerifier(t, Config{JWKSJSON: jwksRaw})
	jwOct := newVerifier(t, Config{JWKSJSON: []byte(`{"keys":[{"kty":"oct","kid":"h1","k":"` + b64(hsSecret) + `"},` + string(jwksRaw[len(`{"keys":[`):]))})
	jwSmall := newVerifier(t, Config{JWKSJSON: jwksJSON(t, map[string]any{"small": &k.rsaSmall.PublicKey, "r1": &k.rsa.PublicKey})})
	iss := newVerifier(t, Config{HS256Secret: hsSecret, Issuer: "https://issuer.example/", Audience: "ossbroker"})

	hsTok := func(c jwt.MapClaims, h map[string]any) string { return sign(t, jwt.SigningMethodHS256, hsSecret, c, h) }
	valid := hsTok(claims(nil), nil)
	parts := strings.Split(valid, ".")
	other := strings.Split(hsTok(claims(map[string]any{"sub": "admin"}), nil), ".")
	sigBytes, _ := base64.RawURLEncoding.DecodeString(parts[2])
	flipped := append([]byte{}, sigBytes...)
	flipped[5] ^= 0x01
	payload := payloadJSON(nil)
	pad := func(s string) string { // base64url with "=" padding
		for len(s)%4 != 0 {
			s += "="
		}
		return s
	}
	lee := func(d time.Duration) int64 { return testNow.Add(d).Unix() }

	cases := []attack{
		// Controls: the verifiers accept what they should.
		{"control HS256", hs, valid, ""},
		{"control RS256", rs, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), nil), ""},
		{"control ES256", ec, sign(t, jwt.SigningMethodES256, k.ec256, claims(nil), nil), ""},
		{"control JWKS", jw, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "r1"}), ""},

		// 1. alg none.
		{"alg none empty signature", hs, b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64([]byte(payload)) + ".", "malformed token"},
		{"alg none", hs, hand(`{"alg":"none","typ":"JWT"}`, payload, []byte("x")), "signing method not allowed"},
		{"alg None", hs, hand(`{"alg":"None"}`, payload, []byte("x")), "signing method not allowed"},
		{"alg NONE", rs, hand(`{"alg":"NONE"}`, payload, []byte("x")), "signing method not allowed"},
		{"alg nOnE", jw, hand(`{"alg":"nOnE","kid":"r1"}`, payload, []byte("x")), "signing method not allowed"},
		{"alg none golang-jwt signed", hs, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil), nil) + "eA", "signing method not allowed"},
		{"alg missing", hs, hand(`{"typ":"JWT"}`, payload, []byte("x")), "signing method not allowed"},
		{"alg not a string", hs, hand(`{"alg":256}`, payload, []byte("x")), "signing method not allowed"},

		// 2. Algorithm confusion.
		{"HS256 MACed with RSA public key PEM", rs, handHS256(rsaPEM, `{"alg":"HS256","typ":"JWT"}`, payload), "signing method not allowed"},
		{"HS256 MACed with RSA public key DER", rs, handHS256(pkixDER(t, &k.rsa.PublicKey), `{"alg":"HS256","typ":"JWT"}`, payload), "signing method not allowed"},
		{"HS256 MACed with EC public key PEM", ec, handHS256(ecPEM, `{"alg":"HS256","typ":"JWT"}`, payload), "signing method not allowed"},
		{"HS256 MACed with EC public key DER", ec, handHS256(pkixDER(t, &k.ec256.PublicKey), `{"alg":"HS256"}`, payload), "signing method not allowed"},
		{"HS256 MACed with the JWKS", jw, handHS256(jwksRaw, `{"alg":"HS256","kid":"r1"}`, payload), "signing method not allowed"},
		{"HS256 with a JWKS oct key", jwOct, handHS256(hsSecret, `{"alg":"HS256","kid":"h1"}`, payload), "signing method not allowed"},
		{"RS256 token against HS256 secret", hs, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), nil), "signing method not allowed"},
		{"ES384 token against P-256 key", ec, sign(t, jwt.SigningMethodES384, k.ec384, claims(nil), nil), "signing method not allowed"},
		{"ES256 token against RSA key", rs, sign(t, jwt.SigningMethodES256, k.ec256, claims(nil), nil), "signing method not allowed"},
		{"EdDSA token against EC key", ec, sign(t, jwt.SigningMethodEdDSA, k.ed, claims(nil), nil), "signing method not allowed"},
		{"ES256 kid of RSA key in JWKS", jw, sign(t, jwt.SigningMethodES256, k.ec256, claims(nil), map[string]any{"kid": "r1"}), "no matching key"},
		{"RS256 kid of EC key in JWKS", jw, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "e1"}), "no matching key"},
		{"RSA 1024 key in JWKS", jwSmall, sign(t, jwt.SigningMethodRS256, k.rsaSmall, claims(nil), map[string]any{"kid": "small"}), "no matching key"},
		{"RSA 1024 key in JWKS without kid", jwSmall, sign(t, jwt.SigningMethodRS256, k.rsaSmall, claims(nil), nil), "signature invalid"},

		// 3. kid injection.
		{"kid path traversal", jw, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "../../dev/null"}), "no matching key"},
		{"kid SQL injection", jw, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "x' UNION SELECT 'secret' --"}), "no matching key"},
		{"kid URL", jw, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "https://attacker.example/k"}), "no matching key"},
		{"kid empty", jw, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": ""}), "no matching key"},
		{"kid not a string", jw, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": 1}), "no matching key"},
		{"kid of another key", jw, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"kid": "r1"}), "signature invalid"},
		{"kid-less token by a stranger", jw, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), nil), "signature invalid"},

		// 10. crit, 9. typ.
		{"crit unknown extension", hs, hsTok(claims(nil), map[string]any{"crit": []string{"x-unknown"}, "x-unknown": 1}), "crit header not supported"},
		{"crit exp", hs, hsTok(claims(nil), map[string]any{"crit": []string{"exp"}}), "crit header not supported"},
		{"crit empty", hs, hsTok(claims(nil), map[string]any{"crit": []string{}}), "crit header not supported"},
		{"crit null", hs, handHS256(hsSecret, `{"alg":"HS256","crit":null}`, payload), "crit header not supported"},
		{"crit via JWKS", jw, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "r1", "crit": []string{"b64"}, "b64": false}), "crit header not supported"},
		{"typ absent", hs, hsTok(claims(nil), map[string]any{"typ": nil}), ""},
		{"typ jwt lowercase", hs, hsTok(claims(nil), map[string]any{"typ": "jwt"}), ""},
		{"typ at+jwt", hs, hsTok(claims(nil), map[string]any{"typ": "at+jwt"}), ""},
		{"typ AT+JWT", hs, hsTok(claims(nil), map[string]any{"typ": "AT+JWT"}), ""},
		{"typ JOSE", hs, hsTok(claims(nil), map[string]any{"typ": "JOSE"}), "token type not allowed"},
		{"typ id_token", hs, hsTok(claims(nil), map[string]any{"typ": "id_token"}), "token type not allowed"},
		{"typ logout+jwt", hs, hsTok(claims(nil), map[string]any{"typ": "logout+jwt"}), "token type not allowed"},
		{"typ application/jwt", hs, hsTok(claims(nil), map[string]any{"typ": "application/jwt"}), "token type not allowed"},
		{"typ empty", hs, hsTok(claims(nil), map[string]any{"typ": ""}), "token type not allowed"},
		{"typ number", hs, hsTok(claims(nil), map[string]any{"typ": 1}), "token type not allowed"},
		{"typ null", hs, handHS256(hsSecret, `{"alg":"HS256","typ":null}`, payload), "token type not allowed"},
		{"typ with space", hs, hsTok(claims(nil), map[string]any{"typ": "JWT "}), "token type not allowed"},

		// 6, 7, 17. Time claims (hs has a 30 s leeway).
		{"exp missing", hs, hsTok(claims(map[string]any{"exp": nil}), nil), "required claim missing"},
		{"exp null", hs, handHS256(hsSecret, `{"alg":"HS256"}`, `{"sub":"u","exp":null}`), "required claim missing"},
		{"exp 0", hs, hsTok(claims(map[string]any{"exp": 0}), nil), "token expired"},
		{"exp negative", hs, hsTok(claims(map[string]any{"exp": -1}), nil), "token expired"},
		{"exp not a number", hs, hsTok(claims(map[string]any{"exp": "soon"}), nil), "malformed token"},
		{"exp object", hs, hsTok(claims(map[string]any{"exp": map[string]any{}}), nil), "malformed token"},
		{"exp long past", hs, hsTok(claims(map[string]any{"exp": lee(-24 * time.Hour)}), nil), "token expired"},
		{"exp now-leeway-5s", hs, hsTok(claims(map[string]any{"exp": lee(-35 * time.Second), "iat": lee(-time.Hour)}), nil), "token expired"},
		{"exp now-leeway+5s", hs, hsTok(claims(map[string]any{"exp": lee(-25 * time.Second), "iat": lee(-time.Hour)}), nil), ""},
		{"nbf beyond leeway", hs, hsTok(claims(map[string]any{"nbf": lee(35 * time.Second)}), nil), "token not valid yet"},
		{"nbf far future", hs, hsTok(claims(map[string]any{"nbf": lee(24 * time.Hour)}), nil), "token not valid yet"},
		{"nbf within leeway", hs, hsTok(claims(map[string]any{"nbf": lee(25 * time.Second)}), nil), ""},
		{"iat beyond leeway", hs, hsTok(claims(map[string]any{"iat": lee(35 * time.Second)}), nil), "token issued in the future"},
		{"iat far future", hs, hsTok(claims(map[string]any{"iat": lee(365 * 24 * time.Hour), "exp": lee(366 * 24 * time.Hour)}), nil), "token issued in the future"},
		{"iat within leeway", hs, hsTok(claims(map[string]any{"iat": lee(25 * time.Second)}), nil), ""},
		{"iat absent", hs, hsTok(claims(map[string]any{"iat": nil}), nil), ""},
		{"no leeway: exp 1s ago", rs, sign(t, jwt.SigningMethodRS256, k.rsa, claims(map[string]any{"exp": lee(-time.Second)}), nil), "token expired"},

		// 8. iss / aud.
		{"iss and aud right", iss, hsTok(claims(map[string]any{"iss": "https://issuer.example/", "aud": "ossbroker"}), nil), ""},
		{"aud array containing", iss, hsTok(claims(map[string]any{"iss": "https://issuer.example/", "aud": []string{"other", "ossbroker"}}), nil), ""},
		{"iss wrong", iss, hsTok(claims(map[string]any{"iss": "https://evil.example/", "aud": "ossbroker"}), nil), "issuer mismatch"},
		{"iss without trailing slash", iss, hsTok(claims(map[string]any{"iss": "https://issuer.example", "aud": "ossbroker"}), nil), "issuer mismatch"},
		{"iss case variant", iss, hsTok(claims(map[string]any{"iss": "https://ISSUER.example/", "aud": "ossbroker"}), nil), "issuer mismatch"},
		{"iss missing", iss, hsTok(claims(map[string]any{"aud": "ossbroker"}), nil), "required claim missing"},
		{"aud wrong", iss, hsTok(claims(map[string]any{"iss": "https://issuer.example/", "aud": "other"}), nil), "audience mismatch"},
		{"aud trailing slash", iss, hsTok(claims(map[string]any{"iss": "https://issuer.example/", "aud": "ossbroker/"}), nil), "audience mismatch"},
		{"aud array without", iss, hsTok(claims(map[string]any{"iss": "https://issuer.example/", "aud": []string{"a", "b"}}), nil), "audience mismatch"},
		{"aud missing", iss, hsTok(claims(map[string]any{"iss": "https://issuer.example/"}), nil), "required claim missing"},
		{"aud number", iss, hsTok(claims(map[string]any{"iss": "https://issuer.example/", "aud": 42}), nil), "malformed token"},

		// sub.
		{"sub missing", hs, hsTok(claims(map[string]any{"sub": nil}), nil), "subject missing"},
		{"sub empty", hs, hsTok(claims(map[string]any{"sub": ""}), nil), "subject missing"},
		{"sub null", hs, handHS256(hsSecret, `{"alg":"HS256"}`, `{"sub":null,"exp":`+itoa(lee(time.Hour))+`}`), "subject missing"},
		{"sub number", hs, hsTok(claims(map[string]any{"sub": 7}), nil), "malformed token"},
		{"sub array", hs, hsTok(claims(map[string]any{"sub": []string{"a"}}), nil), "malformed token"},

		// 13. Signature tampering.
		{"signature stripped", hs, parts[0] + "." + parts[1] + ".", "malformed token"},
		{"signature and dot stripped", hs, parts[0] + "." + parts[1], "malformed token"},
		{"signature truncated", hs, parts[0] + "." + parts[1] + "." + parts[2][:40], "signature invalid"},
		{"signature one char", hs, parts[0] + "." + parts[1] + ".A", "malformed token"},
		{"signature bit flipped", hs, parts[0] + "." + parts[1] + "." + b64(flipped), "signature invalid"},
		{"signature trailing bits", hs, parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + string(nextB64(parts[2][len(parts[2])-1])), "malformed token"},
		{"payload swapped", hs, parts[0] + "." + other[1] + "." + parts[2], "signature invalid"},
		{"header swapped", hs, b64([]byte(`{"alg":"HS256","typ":"JWT","x":1}`)) + "." + parts[1] + "." + parts[2], "signature invalid"},
		{"signature of other token", hs, parts[0] + "." + parts[1] + "." + other[2], "signature invalid"},
		{"wrong HMAC key", hs, sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), claims(nil), nil), "signature invalid"},
		{"RS256 signed by other key", rs, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), nil), "signature invalid"},
		{"EdDSA tampered", ed, func() string {
			p := strings.Split(sign(t, jwt.SigningMethodEdDSA, k.ed, claims(nil), nil), ".")
			return p[0] + "." + b64([]byte(payloadJSON(map[string]any{"sub": "admin"}))) + "." + p[2]
		}(), "signature invalid"},

		// 11. Size and shape.
		{"token over 8 KiB", hs, hsTok(claims(map[string]any{"pad": strings.Repeat("a", MaxTokenBytes)}), nil), "token too long"},
		{"token just under 8 KiB", hs, hsTok(claims(map[string]any{"pad": strings.Repeat("a", 5900)}), nil), ""},
		{"huge header", hs, hsTok(claims(nil), map[string]any{"x": strings.Repeat("h", 1<<20)}), "token too long"},
		{"deep header JSON", hs, handHS256(hsSecret, strings.Repeat("[", 3000)+strings.Repeat("]", 3000), payload), "malformed token"},
		{"many dots", hs, strings.Repeat(".", 8000), "malformed token"},
		{"many dots over cap", hs, strings.Repeat("a.", 1<<20), "token too long"},
		{"four segments", hs, valid + ".x", "malformed token"},
		{"two segments", hs, parts[0] + "." + parts[1], "malformed token"},
		{"empty token", hs, "", "malformed token"},
		{"empty header segment", hs, "." + parts[1] + "." + parts[2], "malformed token"},
		{"header not JSON", hs, b64([]byte("nope")) + "." + parts[1] + "." + parts[2], "malformed token"},
		{"header JSON array", hs, handHS256(hsSecret, `["HS256"]`, payload), "malformed token"},
		{"payload not JSON", hs, handHS256(hsSecret, `{"alg":"HS256"}`, "nope"), "malformed token"},
		{"payload JSON array", hs, handHS256(hsSecret, `{"alg":"HS256"}`, `[1]`), "malformed token"},
		{"payload null", hs, handHS256(hsSecret, `{"alg":"HS256"}`, `null`), "required claim missing"},

		// 14. Non-canonical encodings.
		{"padding in signature", hs, parts[0] + "." + parts[1] + "." + pad(parts[2]), "malformed token"},
		{"padding in header", hs, pad(b64([]byte(`{"alg":"HS256","typ":"JWT"} `))) + "." + parts[1] + "." + parts[2], "malformed token"},
		{"std base64 alphabet", hs, strings.NewReplacer("-", "+", "_", "/").Replace(valid) + "+/", "malformed token"},
		{"space inside", hs, parts[0] + "." + parts[1][:10] + " " + parts[1][10:] + "." + parts[2], "malformed token"},
		{"LF inside signature", hs, parts[0] + "." + parts[1] + "." + parts[2][:10] + "\n" + parts[2][10:], "malformed token"},
		{"CRLF inside payload", hs, parts[0] + "." + parts[1][:8] + "\r\n" + parts[1][8:] + "." + parts[2], "malformed token"},
		{"tab inside", hs, parts[0] + "\t." + parts[1] + "." + parts[2], "malformed token"},
		{"leading space", hs, " " + valid, "malformed token"},
		{"trailing newline", hs, valid + "\n", "malformed token"},
		{"NUL inside", hs, valid[:20] + "\x00" + valid[20:], "malformed token"},
		{"non-ASCII inside", hs, valid[:20] + "é" + valid[20:], "malformed token"},

		// 19. Unsupported alg names.
		{"alg hs256", hs, handHS256(hsSecret, `{"alg":"hs256","typ":"JWT"}`, payload), "signing method not allowed"},
		{"alg Hs256", hs, handHS256(hsSecret, `{"alg":"Hs256"}`, payload), "signing method not allowed"},
		{"alg Ed25519", ed, func() string {
			p := strings.Split(sign(t, jwt.SigningMethodEdDSA, k.ed, claims(nil), map[string]any{"alg": "Ed25519"}), ".")
			return strings.Join(p, ".")
		}(), "signing method not allowed"},
		{"alg ES256K", ec, hand(`{"alg":"ES256K"}`, payload, make([]byte, 64)), "signing method not allowed"},
		{"alg HS512 with the secret", hs, sign(t, jwt.SigningMethodHS512, hsSecret, claims(nil), nil), "signing method not allowed"},
		{"alg HS384 with the secret", hs, sign(t, jwt.SigningMethodHS384, hsSecret, claims(nil), nil), "signing method not allowed"},
		{"alg RS256 with trailing space", rs, hand(`{"alg":"RS256 "}`, payload, []byte("x")), "signing method not allowed"},
	}
	seen := map[string]bool{}
	for _, a := range cases {
		if seen[a.name] {
			t.Fatalf("duplicate case name %q", a.name)
		}
		seen[a.name] = true
		t.Run(a.name, func(t *testing.T) { checkAttack(t, a) })
	}
}

// nextB64 returns another base64url character that differs only in the low
// bits: decoding it sets bits a strict decoder must refuse.
func nextB64(c byte) byte {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alpha, c)
	return alpha[i^1]
}

// jku, x5u and jwk headers are ignored: no request reaches the URLs they
// name, and a key embedded in the token never verifies it.
func TestKeyHeadersIgnored(t *testing.T) {
	k := keys()
	idp := newJWKSServer(t, jwksJSON(t, map[string]any{"r1": &k.rsa.PublicKey}))
	attacker := newJWKSServer(t, jwksJSON(t, map[string]any{"evil": &k.rsa2.PublicKey}))
	v := newVerifier(t, Config{JWKSURL: idp.URL})
	hsV := newVerifier(t, Config{HS256Secret: hsSecret})
	pemV := newVerifier(t, Config{PublicKeyPEM: pkixPEM(t, &k.rsa.PublicKey)})

	evilJWK := json.RawMessage(jwksJSON(t, map[string]any{"evil": &k.rsa2.PublicKey}))
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(evilJWK, &set); err != nil {
		t.Fatal(err)
	}
	embedded := set.Keys[0]

	cases := []attack{
		{"jku to attacker", v, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"kid": "evil", "jku": attacker.URL}), "no matching key"},
		{"jku to attacker with known kid", v, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"kid": "r1", "jku": attacker.URL}), "signature invalid"},
		{"x5u to attacker", v, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"kid": "evil", "x5u": attacker.URL + "/cert.pem"}), "no matching key"},
		{"jku against PEM key", pemV, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"jku": attacker.URL}), "signature invalid"},
		{"jku against HS256", hsV, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"jku": attacker.URL}), "signing method not allowed"},
		{"embedded jwk self-signed", v, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"jwk": embedded}), "signature invalid"},
		{"embedded jwk with its kid", v, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"jwk": embedded, "kid": "evil"}), "no matching key"},
		{"embedded jwk against PEM key", pemV, sign(t, jwt.SigningMethodRS256, k.rsa2, claims(nil), map[string]any{"jwk": embedded}), "signature invalid"},
		// A genuine token that merely carries jku is verified with the
		// configured keys; the header is ignored, not fetched.
		{"genuine token with jku", v, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": "r1", "jku": attacker.URL}), ""},
	}
	for _, a := range cases {
		t.Run(a.name, func(t *testing.T) { checkAttack(t, a) })
	}
	if n := attacker.hits.Load(); n != 0 {
		t.Fatalf("attacker's server received %d requests, want 0", n)
	}
}

// Unknown kids against a JWKS URL refetch at most once.
func TestUnknownKIDBurst(t *testing.T) {
	k := keys()
	idp := newJWKSServer(t, jwksJSON(t, map[string]any{"r1": &k.rsa.PublicKey}))
	v := newVerifier(t, Config{JWKSURL: idp.URL})
	for i, kid := range []string{"../../dev/null", "' OR '1'='1", "a", "b", "c", "d", "e", "f"} {
		a := attack{"kid " + kid, v, sign(t, jwt.SigningMethodRS256, k.rsa, claims(nil), map[string]any{"kid": kid}), "no matching key"}
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkAttack(t, a) })
	}
	if n := idp.hits.Load(); n != 2 {
		t.Fatalf("JWKS hits = %d, want 2 (startup + one rate-limited refetch)", n)
	}
}

func TestBearerParsing(t *testing.T) {
	v := newVerifier(t, Config{HS256Secret: hsSecret})
	tok := sign(t, jwt.SigningMethodHS256, hsSecret, claims(nil), nil)
	cases := []struct {
		name   string
		values []string // Authorization header values; nil = none
		want   error    // nil = accepted
		class  string
	}{
		{"Bearer", []string{"Bearer " + tok}, nil, ""},
		{"bearer", []string{"bearer " + tok}, nil, ""},
		{"BEARER", []string{"BEARER " + tok}, nil, ""},
		{"BeArEr", []string{"BeArEr " + tok}, nil, ""},
		{"two spaces", []string{"Bearer  " + tok}, nil, ""},
		{"many spaces", []string{"Bearer      " + tok}, nil, ""},
		{"surrounding whitespace", []string{" Bearer " + tok + " \t"}, nil, ""},

		{"no header", nil, ErrNoCredentials, "no credentials"},
		{"empty value", []string{""}, ErrMalformedHeader, "scheme is not Bearer"},
		{"Basic", []string{"Basic dXNlcjpwYXNz"}, ErrMalformedHeader, "scheme is not Bearer"},
		{"Token scheme", []string{"Token " + tok}, ErrMalformedHeader, "scheme is not Bearer"},
		{"Token x", []string{"Token x"}, ErrMalformedHeader, "scheme is not Bearer"},
		{"token without scheme", []string{tok}, ErrMalformedHeader, "scheme is not Bearer"},
		{"Bearer alone", []string{"Bearer"}, ErrMalformedHeader, "empty bearer token"},
		{"Bearer and spaces", []string{"Bearer   "}, ErrMalformedHeader, "empty bearer token"},
		{"Bearer a b", []string{"Bearer a b"}, ErrMalformedHeader, "extra fields"},
		{"extra field after token", []string{"Bearer " + tok + " x"}, ErrMalformedHeader, "extra fields"},
		{"tab separator", []string{"Bearer\t" + tok}, ErrMalformedHeader, "scheme is not Bearer"},
		{"Bearer: colon", []string{"Bearer: " + tok}, ErrMalformedHeader, "scheme is not Bearer"},
		{"Bearers", []string{"Bearers " + tok}, ErrMalformedHeader, "scheme is not Bearer"},
		{"two Authorization headers", []string{"Bearer " + tok, "Bearer " + tok}, ErrMalformedHeader, "more than one"},
		{"two headers, one empty", []string{"Bearer " + tok, ""}, ErrMalformedHeader, "more than one"},
		{"comma-joined credentials", []string{"Bearer " + tok + ", Bearer " + tok}, ErrMalformedHeader, "extra fields"},
		{"comma-joined no space", []string{"Bearer " + tok + "," + tok}, ErrMalformedHeader, "extra fields"},
		{"padded token", []string{"Bearer " + tok + "=="}, ErrUnauthorized, "malformed token"},
		{"header over the cap", []string{"Bearer " + strings.Repeat("a", MaxTokenBytes+100)}, ErrUnauthorized, "token too long"},
		{"token over the cap", []string{"Bearer " + strings.Repeat("a", MaxTokenBytes+1)}, ErrUnauthorized, "token too long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, val := range tc.values {
				h.Add("Authorization", val)
			}
			p, err := v.Authenticate(context.Background(), h)
			if tc.want == nil {
				if err != nil || p.Subject != "user-1" {
					t.Fatalf("Authenticate = %+v, %v; want accepted", p, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), tc.class) {
				t.Fatalf("Authenticate = %v; want %v (%q)", err, tc.want, tc.class)
			}
			for _, val := range tc.values {
				assertNoLeak(t, err, strings.TrimSpace(strings.TrimPrefix(val, "Bearer ")))
			}
		})
	}
	// Query-string tokens are never looked at: only the header counts.
	if _, err := v.Authenticate(context.Background(), http.Header{"X-Access-Token": {tok}}); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("token outside Authorization accepted: %v", err)
	}
}

// A malleated spelling of a valid token (CR/LF inside) is refused, so one
// signature has one spelling.
func TestMalleatedTokenRefused(t *testing.T) {
	v := newVerifier(t, Config{HS256Secret: hsSecret})
	tok := sign(t, jwt.SigningMethodHS256, hsSecret, claims(nil), nil)
	for _, ins := range []string{"\n", "\r", "\r\n"} {
		m := tok[:len(tok)-5] + ins + tok[len(tok)-5:]
		if _, err := v.Verify(context.Background(), m); err == nil {
			t.Fatalf("malleated token with %q accepted", ins)
		}
	}
}

// Sanity check of the hand-made HS256 helper against golang-jwt.
func TestHandHS256(t *testing.T) {
	v := newVerifier(t, Config{HS256Secret: hsSecret})
	tok := handHS256(hsSecret, `{"alg":"HS256","typ":"JWT"}`, payloadJSON(nil))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, hsSecret)
	mac.Write([]byte(tok[:strings.LastIndexByte(tok, '.')]))
	if b64(mac.Sum(nil)) != tok[strings.LastIndexByte(tok, '.')+1:] {
		t.Fatal("helper MAC mismatch")
	}
}
