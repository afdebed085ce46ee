package osscallback_test

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strconv"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/devtools/docsamples"
	"github.com/ossbroker/ossbroker/pkg/osscallback"
)

// TestDocumentedCallbackRequest reads OSS's own callback request samples:
// the key URL header of the signing example decodes to OSS's key file,
// which the verifier trusts and fetches over HTTPS; the string to sign is
// the one OSS's page spells out for it (path "/index.php", query string
// "?id=1&index=2", body "bucket=yonghu-test"); the signature is a base64
// RSA signature of a 512-bit key. Both samples name the headers the
// verifier reads (Authorization in either case, x-oss-pub-key-url).
func TestDocumentedCallbackRequest(t *testing.T) {
	for _, name := range []string{"oss-callback-request.http", "oss-callback-signing-example.http"} {
		r, err := docsamples.ParseHTTP(docsamples.Read(name))
		if err != nil {
			t.Fatal(err)
		}
		if r.Method != "POST" || r.Header.Get(osscallback.HeaderAuthorization) == "" || r.Header.Get(osscallback.HeaderPubKeyURL) == "" {
			t.Fatalf("%s: %+v", name, r)
		}
	}
	r, err := docsamples.ParseHTTP(docsamples.Read("oss-callback-signing-example.http"))
	if err != nil {
		t.Fatal(err)
	}
	var v osscallback.Verifier
	got, err := v.KeyURL(r.Header.Get(osscallback.HeaderPubKeyURL))
	if err != nil || got != "https://gosspublic.alicdn.com/callback_pub_key_v1.pem" {
		t.Fatalf("KeyURL of the documented header: %q, %v", got, err)
	}
	if n, _ := strconv.Atoi(r.Header.Get("Content-Length")); n != len(r.Body) {
		t.Fatalf("body %q is not the documented %d bytes", r.Body, n)
	}
	u, err := url.ParseRequestURI(r.Target)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := osscallback.StringToSign(u.EscapedPath(), u.RawQuery, u.RawQuery != "" || u.ForceQuery, []byte(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := "/index.php" + "?id=1&index=2" + "\n" + "bucket=yonghu-test"; !bytes.Equal(msg, []byte(want)) {
		t.Fatalf("string to sign %q, OSS's page: %q", msg, want)
	}
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(osscallback.HeaderAuthorization))
	if err != nil || len(sig) != 64 {
		t.Fatalf("documented signature: %d bytes, %v", len(sig), err)
	}
}
