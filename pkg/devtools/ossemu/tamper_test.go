package ossemu

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

type xmlErr struct {
	Code, Message, EC, RequestId string
}

func parseErr(t *testing.T, body string) xmlErr {
	t.Helper()
	var e xmlErr
	if body != "" {
		if err := xml.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("error body is not XML: %v\n%s", err, body)
		}
	}
	return e
}

// setQuery replaces one query parameter, keeping the SDK's encoding.
func setQuery(r *http.Request, k, v string) {
	q := r.URL.Query()
	q.Set(k, v)
	r.URL.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
}

func replaceCredential(r *http.Request, idx int, v string) {
	parts := strings.Split(r.URL.Query().Get("x-oss-credential"), "/")
	parts[idx] = v
	setQuery(r, "x-oss-credential", strings.Join(parts, "/"))
}

func TestTamperPresigned(t *testing.T) {
	type tc struct {
		name     string
		mutate   func(r *http.Request)
		at       time.Duration // server time relative to x-oss-date
		secret   string        // signing secret, default owner's
		extra    bool          // sign with an additional header
		status   int
		code, ec string
	}
	sdm := func(name string, f func(r *http.Request)) tc {
		return tc{name: name, mutate: f, status: 403, code: "SignatureDoesNotMatch", ec: "0002-00000201"}
	}
	cases := []tc{
		{name: "valid", status: 200},
		{name: "valid at expiry instant", at: 600 * time.Second, status: 200},
		{name: "valid 14 min before x-oss-date", at: -14 * time.Minute, status: 200},
		sdm("changed key", func(r *http.Request) { r.URL.Path += "x"; r.URL.RawPath = "" }),
		sdm("changed method", func(r *http.Request) { r.Method = "POST" }),
		sdm("changed expiry", func(r *http.Request) { setQuery(r, "x-oss-expires", "601") }),
		sdm("changed date", func(r *http.Request) {
			ts, _ := time.Parse(TimeFormat, r.URL.Query().Get("x-oss-date"))
			setQuery(r, "x-oss-date", ts.Add(time.Second).Format(TimeFormat))
		}),
		sdm("other known access key", func(r *http.Request) { replaceCredential(r, 0, ramAK) }),
		sdm("content type dropped", func(r *http.Request) { r.Header.Del("Content-Type") }),
		sdm("content type changed", func(r *http.Request) { r.Header.Set("Content-Type", "image/jpeg") }),
		sdm("x-oss-meta header added", func(r *http.Request) { r.Header.Set("x-oss-meta-evil", "1") }),
		sdm("x-oss-forbid-overwrite added", func(r *http.Request) { r.Header.Set("X-Oss-Forbid-Overwrite", "true") }),
		sdm("query parameter added", func(r *http.Request) { setQuery(r, "response-content-type", "text/html") }),
		sdm("Content-MD5 added", func(r *http.Request) { r.Header.Set("Content-MD5", "ICy5YqxZB1uWSwcVLSNLcA==") }),
		{name: "wrong secret", secret: "not-the-secret", status: 403, code: "SignatureDoesNotMatch", ec: "0002-00000201"},
		{name: "expiry 0", mutate: func(r *http.Request) { setQuery(r, "x-oss-expires", "0") }, status: 400, code: "InvalidArgument", ec: "0002-00000232"},
		{name: "expiry 604801", mutate: func(r *http.Request) { setQuery(r, "x-oss-expires", "604801") }, status: 400, code: "InvalidArgument", ec: "0002-00000232"},
		{name: "expiry not a number", mutate: func(r *http.Request) { setQuery(r, "x-oss-expires", "1e3") }, status: 400, code: "InvalidArgument", ec: "0002-00000232"},
		{name: "expired", at: 601 * time.Second, status: 403, code: "AccessDenied", ec: "0002-00000236"},
		{name: "x-oss-date over 15 min ahead", at: -15*time.Minute - time.Second, status: 403, code: "AccessDenied", ec: "0002-00000235"},
		{name: "unknown access key", mutate: func(r *http.Request) { replaceCredential(r, 0, "LTAI5tNobody") }, status: 403, code: "InvalidAccessKeyId", ec: "0002-00000902"},
		{name: "region changed", mutate: func(r *http.Request) { replaceCredential(r, 2, "cn-beijing") }, status: 400, code: "InvalidArgument", ec: "0002-00000226"},
		{name: "credential date changed", mutate: func(r *http.Request) { replaceCredential(r, 1, "20200101") }, status: 400, code: "InvalidArgument", ec: "0002-00000223"},
		{name: "credential malformed", mutate: func(r *http.Request) { setQuery(r, "x-oss-credential", "a/b") }, status: 400, code: "InvalidArgument"},
		{name: "date malformed", mutate: func(r *http.Request) { setQuery(r, "x-oss-date", "2025-01-02T03:04:05Z") }, status: 400, code: "InvalidArgument", ec: "0002-00000502"},
		{name: "signature missing", mutate: func(r *http.Request) {
			q := r.URL.Query()
			q.Del("x-oss-signature")
			r.URL.RawQuery = q.Encode()
		}, status: 400, code: "InvalidArgument", ec: "0002-00000219"},
		{name: "signature repeated", mutate: func(r *http.Request) { r.URL.RawQuery += "&x-oss-signature=00" }, status: 400, code: "InvalidArgument"},
		{name: "signature version wrong", mutate: func(r *http.Request) { setQuery(r, "x-oss-signature-version", "OSS2") }, status: 400, code: "InvalidArgument"},
		{name: "header and query auth", mutate: func(r *http.Request) { r.Header.Set("Authorization", "OSS4-HMAC-SHA256 Credential=x") }, status: 400, code: "InvalidArgument"},
		{name: "additional header kept", extra: true, status: 200},
		{name: "additional header dropped", extra: true, mutate: func(r *http.Request) { r.Header.Del("X-Custom") }, status: 400, code: "InvalidArgument"},
		{name: "additional header changed", extra: true, mutate: func(r *http.Request) { r.Header.Set("X-Custom", "other") }, status: 403, code: "SignatureDoesNotMatch"},
		{name: "additional header list changed", extra: true, mutate: func(r *http.Request) { setQuery(r, "x-oss-additional-headers", "x-other") }, status: 400, code: "InvalidArgument"},
	}
	env := newEnv(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sk := ownerSK
			if c.secret != "" {
				sk = c.secret
			}
			var mods []func(*oss.Config)
			req := &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("tamper/" + c.name), ContentType: oss.Ptr("image/png")}
			if c.extra {
				mods = append(mods, func(cfg *oss.Config) { cfg.WithAdditionalHeaders([]string{"x-custom"}) })
				req.Headers = map[string]string{"X-Custom": "signed"}
			}
			ps, err := env.client(ownerAK, sk, mods...).Presign(context.Background(), req, oss.PresignExpires(600*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			r, err := http.NewRequest(ps.Method, ps.URL, strings.NewReader("data"))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range ps.SignedHeaders {
				r.Header.Set(k, v)
			}
			u, _ := url.Parse(ps.URL)
			signed, _ := time.Parse(TimeFormat, u.Query().Get("x-oss-date"))
			at := c.at
			if at == 0 {
				at = time.Second
			}
			env.clock.Set(signed.Add(at))
			if c.mutate != nil {
				c.mutate(r)
			}
			resp := doReq(t, r)
			e := parseErr(t, resp.body)
			if resp.status != c.status || e.Code != c.code || (c.ec != "" && e.EC != c.ec) {
				t.Fatalf("got %d %s EC %s (%s), want %d %s EC %s", resp.status, e.Code, e.EC, e.Message, c.status, c.code, c.ec)
			}
			if c.status != 200 {
				if resp.header.Get("x-oss-ec") != e.EC || resp.header.Get("Server") != "AliyunOSS" ||
					resp.header.Get("Content-Type") != "application/xml" || !reqIDPattern.MatchString(resp.header.Get("x-oss-request-id")) ||
					e.RequestId != resp.header.Get("x-oss-request-id") {
					t.Fatalf("error headers %v", resp.header)
				}
				if _, err := http.ParseTime(resp.header.Get("Date")); err != nil {
					t.Fatalf("Date header %q", resp.header.Get("Date"))
				}
				if _, ok := env.s.store.head(testBucket, "tamper/"+c.name); ok {
					t.Fatal("refused request stored an object")
				}
			}
		})
	}
}

// mutateRT changes requests after the SDK signed them.
type mutateRT func(*http.Request)

func (m mutateRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	m(r2)
	return http.DefaultTransport.RoundTrip(r2)
}

func setAuthCredential(r *http.Request, idx int, v string) {
	a := r.Header.Get("Authorization")
	start := strings.Index(a, "Credential=") + len("Credential=")
	end := start + strings.IndexAny(a[start:], ",")
	parts := strings.Split(a[start:end], "/")
	parts[idx] = v
	r.Header.Set("Authorization", a[:start]+strings.Join(parts, "/")+a[end:])
}

func TestTamperHeaderAuth(t *testing.T) {
	type tc struct {
		name     string
		op       string // put (default), get
		mutate   func(r *http.Request)
		skew     time.Duration // server clock minus real clock
		ak, sk   string
		extra    bool
		status   int
		code, ec string
	}
	sdm := func(name, op string, f func(r *http.Request)) tc {
		return tc{name: name, op: op, mutate: f, status: 403, code: "SignatureDoesNotMatch", ec: "0002-00000201"}
	}
	cases := []tc{
		{name: "valid"},
		{name: "valid get", op: "get"},
		{name: "valid 14 min skew", skew: 14 * time.Minute},
		sdm("x-oss-meta added", "", func(r *http.Request) { r.Header.Set("X-Oss-Meta-Evil", "1") }),
		sdm("content type changed", "", func(r *http.Request) { r.Header.Set("Content-Type", "text/html") }),
		sdm("content type dropped", "", func(r *http.Request) { r.Header.Del("Content-Type") }),
		sdm("content type added", "get", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }),
		sdm("key changed", "", func(r *http.Request) { r.URL.Path += "2"; r.URL.RawPath = "" }),
		sdm("method changed (HEAD error via x-oss-err)", "get", func(r *http.Request) { r.Method = "HEAD" }),
		sdm("x-oss-date changed", "", func(r *http.Request) {
			ts, _ := time.Parse(TimeFormat, r.Header.Get("X-Oss-Date"))
			r.Header.Set("X-Oss-Date", ts.Add(time.Second).Format(TimeFormat))
		}),
		sdm("query added", "get", func(r *http.Request) { r.URL.RawQuery = "response-content-type=text%2Fhtml" }),
		sdm("signature changed", "", func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+map[bool]string{true: "1", false: "0"}[a[len(a)-1] == '0'])
		}),
		{name: "wrong secret", sk: "wrong", status: 403, code: "SignatureDoesNotMatch", ec: "0002-00000201"},
		{name: "unknown key id", ak: "LTAI5tNobody", status: 403, code: "InvalidAccessKeyId", ec: "0002-00000902"},
		{name: "region changed", mutate: func(r *http.Request) { setAuthCredential(r, 2, "cn-beijing") }, status: 400, code: "InvalidArgument", ec: "0002-00000228"},
		{name: "credential date changed", mutate: func(r *http.Request) { setAuthCredential(r, 1, "20200101") }, status: 400, code: "InvalidArgument", ec: "0002-00000212"},
		{name: "product changed", mutate: func(r *http.Request) { setAuthCredential(r, 3, "s3") }, status: 400, code: "InvalidArgument", ec: "0002-00000227"},
		{name: "payload hash not unsigned", mutate: func(r *http.Request) { r.Header.Set("X-Oss-Content-Sha256", strings.Repeat("0", 64)) }, status: 400, code: "InvalidArgument", ec: "0002-00000214"},
		{name: "skewed ahead", skew: 16 * time.Minute, status: 403, code: "RequestTimeTooSkewed", ec: "0002-00000504"},
		{name: "skewed behind", skew: -16 * time.Minute, status: 403, code: "RequestTimeTooSkewed", ec: "0002-00000504"},
		{name: "V1 signature", mutate: func(r *http.Request) { r.Header.Set("Authorization", "OSS "+ownerAK+":c2lnbmF0dXJl") }, status: 403, code: "AccessDenied"},
		{name: "anonymous", mutate: func(r *http.Request) { r.Header.Del("Authorization") }, status: 403, code: "AccessDenied"},
		{name: "additional header kept", extra: true},
		{name: "additional header dropped", extra: true, mutate: func(r *http.Request) { r.Header.Del("X-Custom") }, status: 400, code: "InvalidArgument"},
	}
	env := newEnv(t, nil)
	ctx := context.Background()
	owner := env.client(ownerAK, ownerSK)
	if _, err := owner.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("h/existing"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ak, sk := ownerAK, ownerSK
			if c.ak != "" {
				ak = c.ak
			}
			if c.sk != "" {
				sk = c.sk
			}
			mods := []func(*oss.Config){func(cfg *oss.Config) {
				cfg.WithHttpClient(&http.Client{Transport: mutateRT(func(r *http.Request) {
					if c.mutate != nil {
						c.mutate(r)
					}
				})})
			}}
			var hdrs map[string]string
			if c.extra {
				mods = append(mods, func(cfg *oss.Config) { cfg.WithAdditionalHeaders([]string{"x-custom"}) })
				hdrs = map[string]string{"X-Custom": "signed"}
			}
			cl := env.client(ak, sk, mods...)
			env.clock.Set(time.Now().Add(c.skew))
			key := "h/" + c.name
			var err error
			if c.op == "get" {
				var res *oss.GetObjectResult
				res, err = cl.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("h/existing"),
					RequestCommon: oss.RequestCommon{Headers: hdrs}})
				if err == nil {
					res.Body.Close()
				}
			} else {
				_, err = cl.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key),
					Body: strings.NewReader("data"), ContentType: oss.Ptr("text/plain"), RequestCommon: oss.RequestCommon{Headers: hdrs}})
			}
			if c.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantServiceError(t, err, c.status, c.code, c.ec)
			if _, ok := env.s.store.head(testBucket, key); ok {
				t.Fatal("refused request stored an object")
			}
		})
	}
}
