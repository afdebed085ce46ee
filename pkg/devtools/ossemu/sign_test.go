package ossemu

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Vectors (data from alibabacloud-oss-go-sdk-v2
// oss/signer/signer_test.go, Apache-2.0, and ali-oss, MIT).

const vecQuery = "%2Bparam1=value3&%2Bparam2=&param1=value1&param2=&%7Cparam1=value4&%7Cparam2="

type vector struct {
	name       string
	query      bool
	method     string
	bucket     string
	key        string // decoded
	rawPath    string // as sent
	rawQuery   string // without auth params
	headers    map[string]string
	ak, sk     string
	region     string
	product    string
	timestamp  string
	additional string // "a;b", as the client lists it
	token      string
	expires    string
	wantHash   string // hex sha256 of the canonical request, "" = not documented
	wantSig    string
}

func sdkHeaders(extra map[string]string) map[string]string {
	h := map[string]string{"x-oss-head1": "value", "abc": "value", "ZAbc": "value", "XYZ": "value"}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

func vectors() []vector {
	hdr := func(name, ts, sig string) vector {
		return vector{name: name, method: "PUT", bucket: "bucket", key: "1234+-/123/1.txt", rawPath: "/bucket/1234%2B-/123/1.txt",
			rawQuery: vecQuery, ak: "ak", sk: "sk", region: "cn-hangzhou", product: "oss", timestamp: ts, wantSig: sig,
			headers: sdkHeaders(map[string]string{"content-type": "text/plain", "x-oss-content-sha256": UnsignedPayload})}
	}
	qry := func(name, ts, sig string) vector {
		v := hdr(name, ts, sig)
		v.query = true
		v.expires = "599"
		v.headers = sdkHeaders(map[string]string{"content-type": "application/octet-stream"})
		return v
	}
	v := []vector{}
	a := hdr("TestV4AuthHeader", "20231216T162057Z", "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe")
	a.wantHash = "f4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4"
	v = append(v, a)
	b := hdr("TestV4AuthHeaderToken", "20231217T034736Z", "b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea")
	b.token = "token"
	v = append(v, b)
	c := hdr("TestV4AuthHeaderWithAdditionalHeaders", "20231216T172512Z", "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f")
	c.additional = "abc;zabc"
	v = append(v, c)
	c2 := c
	c2.name += "(unnormalized list)"
	c2.additional = "x-oss-no-exist;ZAbc;x-oss-head1;abc"
	v = append(v, c2)
	d := hdr("TestV4AuthHeaderWithCloudBox", "20231216T162057Z", "94ce1f12c17d148ea681030275a94449d3357f5b5b21133996eec80af3e08a43")
	d.region, d.product = "cb-123", "oss-cloudbox"
	v = append(v, d)

	q := qry("TestV4AuthQuery", "20231217T025437Z", "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe")
	q.wantHash = "48814c11f278d51662015bf2f896b66ca10b6de0187ed8d952e341bbce0aa336"
	v = append(v, q)
	qt := qry("TestV4AuthQueryToken", "20231217T035628Z", "3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5")
	qt.token = "token"
	v = append(v, qt)
	qa := qry("TestV4AuthQueryWithAdditionalHeaders", "20231217T033009Z", "6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7")
	qa.additional = "abc;zabc"
	v = append(v, qa)
	qc := qry("TestV4AuthQueryWithCloudBox", "20231217T025437Z", "07284191b9b4978ac3520cd39ee2dea2747eda454089359371ff463a6c7ba20f")
	qc.region, qc.product, qc.additional = "cb-123", "oss-cloudbox", "abc;zabc"
	v = append(v, qc)
	qc2 := qc
	qc2.name += "2"
	qc2.timestamp = "20231217T033009Z"
	qc2.wantSig = "16782cc8a7a554523db055eb804b508522e7e370073108ad88ee2f47496701dd"
	v = append(v, qc2)

	v = append(v, vector{
		name: "E2E PutObject", method: "PUT", bucket: "examplebucket", key: "exampledir/hello world+ü~*.txt",
		rawPath: "/examplebucket/exampledir/hello%20world%2B%C3%BC~%2A.txt",
		headers: map[string]string{"Content-Type": "text/plain", "X-Oss-Content-Sha256": UnsignedPayload,
			"X-Oss-Forbid-Overwrite": "true", "X-Oss-Meta-Owner": "Jack ", "Date": "Thu, 02 Jan 2025 03:04:05 GMT"},
		ak: "LTAI5tTestAccessKeyId", sk: "TestAccessKeySecret123", region: "cn-hangzhou", product: "oss",
		timestamp: "20250102T030405Z",
		wantHash:  "1eb7473291d80d4e9ccf60c7597b0690f0440320e8b218f2b4cafad20822cd34",
		wantSig:   "3fc321e861f5f9726e177641850b9900e97b7d95c415d720995c4ecd439603de",
	})
	v = append(v, vector{
		name: "E2E InitiateMultipartUpload", method: "POST", bucket: "examplebucket", key: "exampledir/big.bin",
		rawPath: "/examplebucket/exampledir/big.bin", rawQuery: "uploads&encoding-type=url",
		headers: map[string]string{"Content-Md5": "1B2M2Y8AsgTpgAmY7PhCfg==", "Content-Type": "application/octet-stream",
			"X-Oss-Content-Sha256": UnsignedPayload},
		ak: "LTAI5tTestAccessKeyId", sk: "TestAccessKeySecret123", region: "cn-hangzhou", product: "oss",
		timestamp: "20250102T030405Z",
		wantSig:   "8cbadbb01d673648b05edba8b043990c003f74d3e2437ad64d17d459e96ed683",
	})
	return v
}

func (v vector) header() http.Header {
	h := http.Header{}
	for k, val := range v.headers {
		h.Set(k, val)
	}
	if !v.query {
		h.Set("x-oss-date", v.timestamp)
		if v.token != "" {
			h.Set("x-oss-security-token", v.token)
		}
	}
	return h
}

func (v vector) credential() string {
	return v.ak + "/" + Scope(v.timestamp[:8], v.region, v.product)
}

// signedQuery is the query the verifier sees, without x-oss-signature.
func (v vector) signedQuery(t *testing.T) url.Values {
	q, err := url.ParseQuery(v.rawQuery)
	if err != nil {
		t.Fatal(err)
	}
	if v.query {
		q.Set("x-oss-signature-version", Algorithm)
		q.Set("x-oss-date", v.timestamp)
		q.Set("x-oss-expires", v.expires)
		q.Set("x-oss-credential", v.credential())
		if v.additional != "" {
			q.Set("x-oss-additional-headers", strings.Join(NormalizeAdditionalHeaders(strings.Split(v.additional, ";")), ";"))
		}
		if v.token != "" {
			q.Set("x-oss-security-token", v.token)
		}
	}
	return q
}

func TestSignVectors(t *testing.T) {
	for _, v := range vectors() {
		t.Run(v.name, func(t *testing.T) {
			add := NormalizeAdditionalHeaders(strings.Split(v.additional, ";"))
			cr := CanonicalRequest(v.method, v.bucket, v.key, v.signedQuery(t), v.header(), add)
			sum := sha256.Sum256([]byte(cr))
			if v.wantHash != "" && hex.EncodeToString(sum[:]) != v.wantHash {
				t.Errorf("canonical request hash = %x, want %s\n%s", sum, v.wantHash, cr)
			}
			sts := StringToSign(v.timestamp, Scope(v.timestamp[:8], v.region, v.product), cr)
			got := Signature(SigningKey(v.sk, v.timestamp[:8], v.region, v.product), sts)
			if got != v.wantSig {
				t.Errorf("signature = %s, want %s\ncanonical request:\n%s", got, v.wantSig, cr)
			}
		})
	}
}

func TestCanonicalRequestExact(t *testing.T) {
	v := vectors()[0]
	got := CanonicalRequest(v.method, v.bucket, v.key, v.signedQuery(t), v.header(), nil)
	want := "PUT\n/bucket/1234%2B-/123/1.txt\n" +
		"%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n" +
		"content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n" +
		"\n\nUNSIGNED-PAYLOAD"
	if got != want {
		t.Fatalf("canonical request:\n%q\nwant\n%q", got, want)
	}
	q := vectors()[5]
	wantQ := "%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2&x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=599&x-oss-signature-version=OSS4-HMAC-SHA256"
	if got := CanonicalQuery(q.signedQuery(t)); got != wantQ {
		t.Fatalf("canonical query:\n%s\nwant\n%s", got, wantQ)
	}
	if got := CanonicalQuery(url.Values{"uploads": {""}, "encoding-type": {"url"}}); got != "encoding-type=url&uploads" {
		t.Fatalf("canonical query = %q", got)
	}
}

func TestPostPolicyVector(t *testing.T) {
	policy := `{"expiration":"2025-01-02T04:04:05.000Z","conditions":[{"bucket":"examplebucket"},{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"LTAI5tTestAccessKeyId/20250102/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20250102T030405Z"},["content-length-range",1,1048576],["starts-with","$key","exampledir/"]]}`
	b64 := base64.StdEncoding.EncodeToString([]byte(policy))
	if !strings.HasPrefix(b64, "eyJleHBpcmF0aW9uIjoiMjAyNS0wMS0wMlQwNDowNDowNS4wMDBaIiwiY29uZGl0aW9ucyI6W3siYnVja2V0") {
		t.Fatalf("base64 policy = %s", b64)
	}
	got := Signature(SigningKey("TestAccessKeySecret123", "20250102", "cn-hangzhou", "oss"), b64)
	if want := "42b05e6c16141bf4f05d38bf0c099cc39760b20227d7a303177e67279a1374c1"; got != want {
		t.Fatalf("POST policy signature = %s, want %s", got, want)
	}
}

// vectorRequest builds the request a client would send for v, signature
// included.
func vectorRequest(t *testing.T, v vector) *http.Request {
	t.Helper()
	rawQuery := v.rawQuery
	if v.query {
		q := v.signedQuery(t)
		q.Set("x-oss-signature", v.wantSig)
		rawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	}
	target := "http://127.0.0.1:9100" + v.rawPath
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	r := httptest.NewRequest(v.method, target, nil)
	r.Header = v.header()
	if !v.query {
		auth := Algorithm + " Credential=" + v.credential()
		if add := NormalizeAdditionalHeaders(strings.Split(v.additional, ";")); len(add) > 0 {
			auth += ",AdditionalHeaders=" + strings.Join(add, ";")
		}
		r.Header.Set("Authorization", auth+",Signature="+v.wantSig)
	}
	return r
}

// TestVerifierAcceptsVectors runs every vector through the verifier with
// the clock at the signing time; CloudBox ones must be refused (product).
func TestVerifierAcceptsVectors(t *testing.T) {
	for _, v := range vectors() {
		t.Run(v.name, func(t *testing.T) {
			ts, _ := time.Parse(TimeFormat, v.timestamp)
			s := mustServer(t, Config{Region: "cn-hangzhou", Buckets: []string{v.bucket},
				Users: []User{{AccessKeyID: v.ak, AccessKeySecret: v.sk, SecurityToken: v.token}},
				Now:   func() time.Time { return ts.Add(30 * time.Second) }})
			r := vectorRequest(t, v)
			_, e := s.authenticate(r, v.bucket, v.key)
			if v.product != "oss" {
				if e == nil || e.Code != "InvalidArgument" || e.EC != "0002-00000227" {
					t.Fatalf("CloudBox vector: got %v, want InvalidArgument 0002-00000227", e)
				}
				return
			}
			if e != nil {
				t.Fatalf("verifier refused a valid vector: %v\n%s", e, e.CanonicalRequest)
			}
			// One changed signature character must be refused.
			bad := vectorRequest(t, v)
			other := v.wantSig[:63] + "0"
			if v.wantSig[63] == '0' {
				other = v.wantSig[:63] + "1"
			}
			flip := func(s string) string { return strings.Replace(s, v.wantSig, other, 1) }
			bad.Header.Set("Authorization", flip(bad.Header.Get("Authorization")))
			bad.URL.RawQuery = flip(bad.URL.RawQuery)
			if _, e := s.authenticate(bad, v.bucket, v.key); e == nil || e.Code != "SignatureDoesNotMatch" {
				t.Fatalf("flipped signature: got %v, want SignatureDoesNotMatch", e)
			}
		})
	}
}

// TestVerifierE2EPutVector serves the captured SDK PutObject through the
// full handler.
func TestVerifierE2EPutVector(t *testing.T) {
	v := vectors()[10]
	ts, _ := time.Parse(TimeFormat, v.timestamp)
	s := mustServer(t, Config{Region: "cn-hangzhou", Buckets: []string{"examplebucket"},
		Users: []User{{AccessKeyID: v.ak, AccessKeySecret: v.sk}}, Now: func() time.Time { return ts }})
	r := vectorRequest(t, v)
	r.Body = nopBody("hi oss")
	r.ContentLength = 6
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if got := w.Header().Get("x-oss-hash-crc64ecma"); got != "8707180448768400016" {
		t.Fatalf("crc64 = %s, want 8707180448768400016", got)
	}
	m, ok := s.store.head("examplebucket", v.key)
	if !ok || m.UserMeta["x-oss-meta-owner"] != "Jack" || m.ContentType != "text/plain" {
		t.Fatalf("stored meta = %+v", m)
	}
	// Same request again: forbid-overwrite refuses it.
	r = vectorRequest(t, v)
	r.Body = nopBody("hi oss")
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 409 || !strings.Contains(w.Body.String(), "<Code>FileAlreadyExists</Code>") {
		t.Fatalf("second put: %d %s", w.Code, w.Body)
	}
}

func TestCRC64Values(t *testing.T) {
	for in, want := range map[string]string{"": "0", "hi oss": "8707180448768400016", "123456789": "11051210869376104954"} {
		st, _ := newStore("", nil)
		b, err := st.writeBlob(strings.NewReader(in), 100)
		if err != nil {
			t.Fatal(err)
		}
		if got := uintString(b.crc); got != want {
			t.Errorf("crc64(%q) = %s, want %s", in, got, want)
		}
	}
}
