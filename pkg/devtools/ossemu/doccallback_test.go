package ossemu

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/devtools/docsamples"
	"github.com/ossbroker/ossbroker/pkg/osscallback"
)

// TestCallbackRequestAsDocumented: the callback request the server sends
// carries every header of OSS's documented callback request, the fixed
// ones with OSS's values (User-Agent, x-oss-signature-version, x-oss-tag),
// Content-MD5 of the body, the bucket, the upload's request id, and a
// signature the verifier accepts.
func TestCallbackRequestAsDocumented(t *testing.T) {
	doc, err := docsamples.ParseHTTP(docsamples.Read("oss-callback-request.http"))
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, nil)
	v := &osscallback.Verifier{Trusted: []string{env.s.CallbackKeyURL()}}
	var got http.Header
	var body []byte
	var verr error
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body, _ = io.ReadAll(r.Body)
		verr = v.Verify(r.Context(), r, body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"Status":"OK"}`)
	}))
	defer app.Close()
	cb, vars := callbackParams(app.URL+"/test", "application/x-www-form-urlencoded")
	res, err := env.client(ownerAK, ownerSK).PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket),
		Key: oss.Ptr("cb/doc.txt"), Body: strings.NewReader("hello"), Callback: &cb, CallbackVar: &vars})
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || verr != nil {
		t.Fatalf("callback: %v %v", got, verr)
	}
	for _, name := range doc.Names {
		switch http.CanonicalHeaderKey(name) {
		case "Host", "Connection": // the connection's, not the callback's
			continue
		}
		if got.Get(name) == "" {
			t.Errorf("no %s header (OSS sends %q)", name, doc.Header.Get(name))
		}
	}
	for _, name := range []string{"User-Agent", "x-oss-signature-version", "x-oss-tag", "Content-Type"} {
		if got.Get(name) != doc.Header.Get(name) {
			t.Errorf("%s: %q, OSS sends %q", name, got.Get(name), doc.Header.Get(name))
		}
	}
	sum := md5.Sum(body)
	if got.Get("Content-MD5") != base64.StdEncoding.EncodeToString(sum[:]) || got.Get("x-oss-bucket") != testBucket ||
		got.Get("x-oss-request-id") != res.Headers.Get("x-oss-request-id") {
		t.Errorf("Content-MD5 %q, x-oss-bucket %q, x-oss-request-id %q (upload's %q)", got.Get("Content-MD5"),
			got.Get("x-oss-bucket"), got.Get("x-oss-request-id"), res.Headers.Get("x-oss-request-id"))
	}
}
