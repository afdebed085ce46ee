package osscallback

import (
	"encoding/base64"
	"net/url"
	"testing"
)

// FuzzKeyURL: whatever the x-oss-pub-key-url header holds, KeyURL names
// either a trusted URL exactly or an HTTPS key file on KeyHost, never
// anything else.
func FuzzKeyURL(f *testing.F) {
	for _, s := range []string{
		"http://gosspublic.alicdn.com/callback_pub_key_v1.pem", "https://gosspublic.alicdn.com/callback_pub_key_v2.pem",
		"http://gosspublic.alicdn.com.evil.example/callback_pub_key_v1.pem", "http://u@gosspublic.alicdn.com/callback_pub_key_v1.pem",
		"http://127.0.0.1:9100/callback_pub_key_v1.pem", "http://gosspublic.alicdn.com:80/callback_pub_key_v1.pem",
	} {
		f.Add(base64.StdEncoding.EncodeToString([]byte(s)))
		f.Add(s)
	}
	const trusted = "http://127.0.0.1:9100/callback_pub_key_v1.pem"
	v := &Verifier{Trusted: []string{trusted}}
	f.Fuzz(func(t *testing.T, header string) {
		got, err := v.KeyURL(header)
		if err != nil {
			if got != "" {
				t.Fatalf("error %v with URL %q", err, got)
			}
			return
		}
		if got == trusted {
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || u.Scheme != "https" || u.Host != KeyHost || u.User != nil || u.RawQuery != "" || u.Fragment != "" || !keyPath.MatchString(u.Path) {
			t.Fatalf("KeyURL(%q) = %q: not an HTTPS key file on %s", header, got, KeyHost)
		}
	})
}
