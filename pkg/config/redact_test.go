package config

import (
	"strings"
	"testing"
)

// TestConfigErrorsRedactURLs: every configuration error that quotes a
// URL-valued variable (OSS_ENDPOINT, JWT_JWKS_URL, ALLOWED_ORIGINS) shows no
// userinfo, path, query or fragment, and nothing of a value that does not
// parse; each value below is refused, and every secret in it is marked
// SECRET.
func TestConfigErrorsRedactURLs(t *testing.T) {
	bad := []string{
		"https://AKIDSECRET:PASSSECRET@oss.example.com", // userinfo
		"https://SECRETONLY@oss.example.com",            // user without password
		"https://oss.example.com/SECRETPATH",            // path
		"https://oss.example.com?token=SECRETQ",         // query
		"https://oss.example.com/?SECRETQ2",             // query after a root path
		"https://oss.example.com#SECRETFRAG",            // fragment
		"https://u:SECRETALL@oss.example.com/SECRETP?SECRETQ#SECRETF",
		"ftp://u:SECRETFTP@oss.example.com",      // wrong scheme
		"SECRETSCHEME:SECRETPW@oss.example.com",  // opaque
		"https://SECRET SPACE@oss.example.com",   // does not parse
		"https://oss.example.com/%zzSECRETESC",   // does not parse
		"http://[SECRETV6",                       // does not parse
		"https://oss.example.com\x00SECRETNUL",   // control byte
		"//u:SECRETNOSCHEME@oss.example.com/p",   // no scheme
		"SECRETBARE",                             // a bare word (a pasted key?)
		"https://u:SECRET%40PCT@oss.example.com", // percent-encoded userinfo
		"https://oss.example.com/?",              // empty query: still not an endpoint
	}
	refused := map[string]int{}
	for _, name := range []string{"OSS_ENDPOINT", "JWT_JWKS_URL", "ALLOWED_ORIGINS"} {
		for _, v := range bad {
			vars := map[string]string{"JWT_HS256_SECRET": secret, name: v}
			if name == "JWT_JWKS_URL" {
				delete(vars, "JWT_HS256_SECRET")
			}
			_, err := Load(env(vars))
			if err == nil {
				if name != "JWT_JWKS_URL" {
					t.Errorf("%s=%q: accepted", name, v)
				}
				continue // a JWKS URL may carry a path, a query or userinfo: it is used, not quoted
			}
			refused[name]++
			msg := err.Error()
			if !strings.Contains(msg, name) {
				t.Errorf("%s=%q: the error does not name the variable: %s", name, v, msg)
			}
			if strings.Contains(msg, "SECRET") {
				t.Errorf("%s=%q: the error quotes a secret: %s", name, v, msg)
			}
		}
	}
	if refused["JWT_JWKS_URL"] < 8 {
		t.Errorf("only %d JWKS URLs refused: the sweep lost its point", refused["JWT_JWKS_URL"])
	}
	// What is shown is still useful: the host, and which parts were cut.
	_, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "OSS_ENDPOINT": "https://AK:SK@oss.example.com/p?q=1"}))
	if err == nil || !strings.Contains(err.Error(), `"https://<redacted>@oss.example.com/<redacted>?<redacted>"`) {
		t.Errorf("redacted form: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://oss.example.com":    `"https://oss.example.com"`,
		"https://oss.example.com/":   `"https://oss.example.com/"`,
		"http://127.0.0.1:9100":      `"http://127.0.0.1:9100"`,
		"https://a:b@h:1/p/q?x=1#f":  `"https://<redacted>@h:1/<redacted>?<redacted>#<redacted>"`,
		"oss.example.com":            `"<redacted>"`,
		"a b":                        `"<redacted>"`,
		"https://h/%zz":              "(a value that is not a URL; not shown)",
		"mailto:someone@example.com": "(a value that is not a URL; not shown)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestJWTWarnings: every public-key and key-set source, with each of
// JWT_ISSUER and JWT_AUDIENCE unset, warns and names what is missing; with
// both set, or with the broker's own HS256 secret, nothing is said.
func TestJWTWarnings(t *testing.T) {
	sources := map[string]string{
		"JWT_HS256_SECRET": secret,
		"JWT_PUBLIC_KEY":   "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
		"JWT_JWKS_URL":     "https://idp.example.com/.well-known/jwks.json",
		"JWT_JWKS":         `{"keys":[]}`,
	}
	for src, val := range sources {
		for _, iss := range []string{"", "https://idp.example.com/"} {
			for _, aud := range []string{"", "ossbroker"} {
				c, err := Load(env(map[string]string{src: val, "JWT_ISSUER": iss, "JWT_AUDIENCE": aud}))
				if err != nil {
					t.Fatal(err)
				}
				want := src != "JWT_HS256_SECRET" && (iss == "" || aud == "")
				if (len(c.Warnings) > 0) != want {
					t.Errorf("%s, iss %q, aud %q: warnings %q", src, iss, aud, c.Warnings)
					continue
				}
				if !want {
					continue
				}
				w := strings.Join(c.Warnings, "\n")
				if !strings.Contains(w, src) || strings.Contains(w, "JWT_ISSUER") != (iss == "") || strings.Contains(w, "JWT_AUDIENCE") != (aud == "") {
					t.Errorf("%s, iss %q, aud %q: %q", src, iss, aud, w)
				}
			}
		}
	}
}
