package ossemu

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/devtools/docsamples"
)

// errorElements are the names of the children of <Error>, and the text of
// Code and Message.
func errorElements(t *testing.T, body string) (names []string, code, message string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	depth := 0
	var cur string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("error body %q: %v", body, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && tok.Name.Local != "Error" {
				t.Fatalf("root element %s", tok.Name.Local)
			}
			if depth == 2 {
				cur = tok.Name.Local
				names = append(names, cur)
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 2 && cur == "Code" {
				code += string(tok)
			}
			if depth == 2 && cur == "Message" {
				message += string(tok)
			}
		}
	}
	return names, code, message
}

// TestErrorsAsDocumented: the errors the server answers for a missing key,
// a wrong signature and a failed upload callback have the status of the
// OSS SDK's samples (docsamples), the same Code, every element the sample
// has (Key for NoSuchKey, naming the key), and, where OSS's text is fixed,
// the same Message. The SignatureDoesNotMatch sample answers a V1-signed
// request (SignatureProvided); the server checks V4 signatures and answers
// V4's StringToSign and CanonicalRequest instead.
func TestErrorsAsDocumented(t *testing.T) {
	env := newEnv(t, nil)
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	get, err := c.Presign(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("exampledir/missing ü.txt")})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("x-oss-signature", strings.Repeat("0", 64))
	u.RawQuery = q.Encode()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + "/cb"
	dead.Close()
	cb, _ := json.Marshal(map[string]string{"callbackUrl": deadURL, "callbackBody": "bucket=${bucket}&object=${object}"})
	put, err := c.Presign(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("exampledir/cb.txt"),
		Callback: oss.Ptr(base64.StdEncoding.EncodeToString(cb))})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sample      string
		status      int
		sameMessage bool
		res         func() response
		key         string
		v1Only      string // an element of the sample's V1-signed request only
	}{
		{"oss-error-nosuchkey.xml", 404, true, func() response { return do(t, "GET", get.URL, get.SignedHeaders, "") }, "exampledir/missing ü.txt", ""},
		{"oss-error-signaturedoesnotmatch.xml", 403, true, func() response { return do(t, "GET", u.String(), get.SignedHeaders, "") }, "",
			"SignatureProvided"},
		{"oss-error-callbackfailed.xml", 203, false, func() response { return do(t, "PUT", put.URL, put.SignedHeaders, "hello") }, "", ""},
	} {
		t.Run(c.sample, func(t *testing.T) {
			want, wantCode, wantMsg := errorElements(t, string(docsamples.Read(c.sample)))
			r := c.res()
			got, code, msg := errorElements(t, r.body)
			if r.status != c.status || code != wantCode {
				t.Fatalf("%d %s, want %d %s\n%s", r.status, code, c.status, wantCode, r.body)
			}
			for _, n := range want {
				if n != c.v1Only && !slices.Contains(got, n) {
					t.Errorf("no <%s>, which the sample has: %s", n, r.body)
				}
			}
			if c.sameMessage && msg != wantMsg {
				t.Errorf("Message %q, OSS says %q", msg, wantMsg)
			}
			if c.key != "" && !strings.Contains(r.body, "<Key>"+c.key+"</Key>") {
				t.Errorf("the error does not name the key %q: %s", c.key, r.body)
			}
		})
	}
}
