package storage

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
)

// sdkHeaderName is how the broker wrote the SDK's SignedHeaders names
// before presign moved here: x-oss-* lower case, others canonical.
func sdkHeaderName(k string) string {
	if len(k) > 6 && strings.EqualFold(k[:6], "x-oss-") {
		return strings.ToLower(k)
	}
	return http.CanonicalHeaderKey(k)
}

var presignCases = []struct {
	name string
	u    Upload
}{
	{"plain", Upload{Key: "exampledir/a.png", ContentType: "image/png"}},
	{"overwrite", Upload{Key: "exampledir/a.png", ContentType: "image/png", Overwrite: true}},
	{"pinned", Upload{Key: "exampledir/b.bin", ContentType: "application/octet-stream", ContentLength: oss.Ptr[int64](12345), ContentMD5: "1B2M2Y8AsgTpgAmY7PhCfg=="}},
	{"disposition", Upload{Key: "exampledir/d.pdf", ContentType: "application/pdf", ContentDisposition: `attachment; filename="q3 report.pdf"`}},
	{"cache control", Upload{Key: "exampledir/c.png", ContentType: "image/png", CacheControl: "no-store, max-age=0"}},
	{"all pinned", Upload{Key: "exampledir/all.bin", ContentType: "application/octet-stream", ContentLength: oss.Ptr[int64](7),
		ContentDisposition: "inline", CacheControl: "private", Metadata: map[string]string{"owner": "Jack"}}},
	{"pinned empty", Upload{Key: "exampledir/empty.bin", ContentType: "application/octet-stream", ContentLength: oss.Ptr[int64](0)}},
	{"metadata", Upload{Key: "exampledir/m.txt", ContentType: "text/plain; charset=utf-8",
		Metadata: map[string]string{"owner": "Jack", "zeta": "a b", "alpha": "x=y&z", "empty": ""}}},
	{"odd key", Upload{Key: "exampledir/hello world+ü~*.txt", ContentType: "text/plain"}},
	{"escapes", Upload{Key: "exampledir/%2F/..;?#&=.txt", ContentType: "text/plain"}},
}

var presignEndpoints = []struct {
	endpoint  string
	pathStyle bool
}{
	{"http://127.0.0.1:9100", false}, // IP: path style whatever is asked
	{"https://oss-cn-hangzhou.aliyuncs.com", false},
	{"oss-cn-hangzhou.aliyuncs.com", false}, // no scheme: https
	{"http://localhost:9100", true},
}

// TestPresignMatchesSDK: the same URL, method, signed headers and expiry as
// the SDK's own Presign with signer.SignerV4, for the same inputs and second.
func TestPresignMatchesSDK(t *testing.T) {
	for _, ep := range presignEndpoints {
		for _, sts := range []bool{false, true} {
			creds := credentials.NewStaticCredentialsProvider("LTAI5tPresignTest", "PresignTestSecret0123")
			if sts {
				creds = credentials.NewStaticCredentialsProvider("STS.NTest", "PresignTestSecret0123", "CAIS+token/with=odd&chars ~")
			}
			c, err := New(Config{Bucket: "examplebucket", Region: "cn-hangzhou", Endpoint: ep.endpoint, PathStyle: ep.pathStyle, Credentials: creds})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range presignCases {
				t.Run(ep.endpoint+"/"+tc.name, func(t *testing.T) {
					// The SDK reads the clock itself: retry when a second
					// boundary falls between the two calls.
					for attempt := 0; ; attempt++ {
						now := time.Now()
						expires := now.Add(15 * time.Minute).Truncate(time.Second)
						u := tc.u
						want, err := c.oss.Presign(context.Background(), u.request(c.bucket), oss.PresignExpiration(expires))
						if err != nil {
							t.Fatal(err)
						}
						cr, _ := creds.GetCredentials(context.Background())
						got, err := c.presign.presign(cr, &u, now, expires)
						if err != nil {
							t.Fatal(err)
						}
						if got.URL != want.URL && attempt < 5 && dateOf(got.URL) != dateOf(want.URL) {
							continue
						}
						if got.URL != want.URL {
							t.Fatalf("URL\n got %s\nwant %s", got.URL, want.URL)
						}
						if got.Method != want.Method || !got.Expires.Equal(want.Expiration) {
							t.Fatalf("method/expiry %s %v, want %s %v", got.Method, got.Expires, want.Method, want.Expiration)
						}
						wantH := map[string]string{}
						for k, v := range want.SignedHeaders {
							wantH[sdkHeaderName(k)] = v
						}
						if len(got.Headers) != len(wantH) {
							t.Fatalf("headers %v, want %v", got.Headers, wantH)
						}
						for k, v := range wantH {
							if got.Headers[k] != v {
								t.Fatalf("headers %v, want %v", got.Headers, wantH)
							}
						}
						return
					}
				})
			}
		}
	}
}

func dateOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Query().Get("x-oss-date")
}

// TestPresignMatchesOssemu recomputes each signature with ossemu's pure
// V4 functions (an independent implementation) from the URL and headers.
func TestPresignMatchesOssemu(t *testing.T) {
	const id, secret, token = "LTAI5tPresignTest", "PresignTestSecret0123", "CAIS+tok/en"
	c, err := New(Config{Bucket: "examplebucket", Region: "cn-hangzhou", Endpoint: "http://127.0.0.1:9100",
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, token)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range presignCases {
		ps, err := c.PresignPut(context.Background(), tc.u, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(ps.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		sig := q.Get("x-oss-signature")
		q.Del("x-oss-signature")
		h := http.Header{}
		for k, v := range ps.Headers {
			h.Set(k, v)
		}
		add := ossemu.NormalizeAdditionalHeaders(strings.Split(q.Get("x-oss-additional-headers"), ";"))
		key := strings.TrimPrefix(u.Path, "/examplebucket/")
		date := q.Get("x-oss-date")
		cr := ossemu.CanonicalRequest("PUT", "examplebucket", key, q, h, add)
		want := ossemu.Signature(ossemu.SigningKey(secret, date[:8], "cn-hangzhou", "oss"),
			ossemu.StringToSign(date, ossemu.Scope(date[:8], "cn-hangzhou", "oss"), cr))
		if sig != want {
			t.Errorf("%s: signature %s, ossemu computes %s", tc.name, sig, want)
		}
		if q.Get("x-oss-security-token") != token || q.Get("x-oss-expires") != "600" {
			t.Errorf("%s: query %v", tc.name, q)
		}
	}
}

// TestV4Vectors: the key derivation and signature against the published
// V4 vectors of the OSS Go SDK (query mode, and a header-signed request),
// from their canonical hashes.
func TestV4Vectors(t *testing.T) {
	for _, v := range []struct {
		secret, datetime, crHash, want string
	}{
		{"sk", "20231217T025437Z", "48814c11f278d51662015bf2f896b66ca10b6de0187ed8d952e341bbce0aa336",
			"a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe"},
		{"TestAccessKeySecret123", "20250102T030405Z", "1eb7473291d80d4e9ccf60c7597b0690f0440320e8b218f2b4cafad20822cd34",
			"3fc321e861f5f9726e177641850b9900e97b7d95c415d720995c4ecd439603de"},
	} {
		var kc keyCache
		key := kc.get(v.secret, v.datetime[:8], "cn-hangzhou")
		m := hmac.New(sha256.New, key[:])
		m.Write([]byte(v4Algorithm + "\n" + v.datetime + "\n" + v.datetime[:8] + "/cn-hangzhou/oss/aliyun_v4_request\n" + v.crHash))
		if got := hex.EncodeToString(m.Sum(nil)); got != v.want {
			t.Errorf("%s: signature %s, want %s", v.datetime, got, v.want)
		}
	}
}

func TestKeyCache(t *testing.T) {
	var kc keyCache
	a := *kc.get("s1", "20260101", "cn-hangzhou")
	if p1, p2 := kc.get("s1", "20260101", "cn-hangzhou"), kc.get("s1", "20260101", "cn-hangzhou"); p1 != p2 {
		t.Error("same secret and date: key derived again")
	}
	for _, in := range [][2]string{{"s1", "20260102"}, {"s2", "20260101"}} {
		got := *kc.get(in[0], in[1], "cn-hangzhou")
		want := ossemu.SigningKey(in[0], in[1], "cn-hangzhou", "oss")
		if got == a || !hmac.Equal(got[:], want) {
			t.Errorf("%v: stale or wrong key", in)
		}
	}
}

func TestPresignLimits(t *testing.T) {
	c, err := New(Config{Bucket: "examplebucket", Region: "cn-hangzhou", Endpoint: "http://127.0.0.1:1",
		Credentials: credentials.NewStaticCredentialsProvider("id", "secret")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PresignPut(context.Background(), Upload{Key: "a", ContentType: "text/plain"}, 8*24*time.Hour); err == nil {
		t.Error("an 8-day URL was signed; OSS allows 7")
	}
	if _, err := c.PresignPut(context.Background(), Upload{ContentType: "text/plain"}, time.Minute); err == nil {
		t.Error("an empty key was signed")
	}
	if _, err := New(Config{Bucket: "b", Region: "r", Endpoint: "http://"}); err == nil {
		t.Error("an endpoint without a host was accepted")
	}
}

// TestPresignLimitFromItsClock: the 7-day bound counts from the clock the
// URL is signed at (the Client's), not from the machine's.
func TestPresignLimitFromItsClock(t *testing.T) {
	c, err := New(Config{Bucket: "examplebucket", Region: "cn-hangzhou", Endpoint: "http://127.0.0.1:1",
		Credentials: credentials.NewStaticCredentialsProvider("id", "secret")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		now  time.Time
		ttl  time.Duration
		ok   bool
	}{
		{"past clock, 7 days", time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), maxPresignExpiry, true},
		{"past clock, 7 days and a second", time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), maxPresignExpiry + time.Second, false},
		{"clock 30 days ahead, an hour", time.Now().Add(30 * 24 * time.Hour), time.Hour, true},
		{"clock 30 days ahead, 7 days", time.Now().Add(30 * 24 * time.Hour), maxPresignExpiry, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.now = func() time.Time { return tc.now }
			ps, err := c.PresignPut(context.Background(), Upload{Key: "exampledir/a", ContentType: "text/plain"}, tc.ttl)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			if err == nil && !ps.Expires.Equal(tc.now.Add(tc.ttl).Truncate(time.Second)) {
				t.Errorf("expires %v, want %v", ps.Expires, tc.now.Add(tc.ttl).Truncate(time.Second))
			}
		})
	}
}
