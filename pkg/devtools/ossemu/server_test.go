package ossemu

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

func TestCORS(t *testing.T) {
	env := newEnv(t, func(c *Config) {
		c.CORS = append([]CORSRule{{AllowedOrigins: []string{"https://strict.example"}, AllowedMethods: []string{"GET"},
			AllowedHeaders: []string{"x-oss-meta-*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 5}}, c.CORS...)
	})
	pre := func(origin, method, headers string) response {
		r, _ := http.NewRequest("OPTIONS", env.endpoint+"/"+testBucket+"/some/key", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if method != "" {
			r.Header.Set("Access-Control-Request-Method", method)
		}
		if headers != "" {
			r.Header.Set("Access-Control-Request-Headers", headers)
		}
		return doReq(t, r)
	}
	for _, c := range []struct {
		name, origin, method, headers string
		status                        int
		code, allowMethods, maxAge    string
	}{
		{"browser PUT", "https://app.example.com", "PUT", "content-type, x-oss-meta-a", 200, "", "GET, PUT, POST, HEAD", "600"},
		{"wildcard origin", "http://dev.local.test", "POST", "", 200, "", "GET, PUT, POST, HEAD", "600"},
		{"first rule wins", "https://strict.example", "GET", "X-OSS-META-x", 200, "", "GET", "5"},
		{"falls through to later rule? no: origin only in first", "https://strict.example", "PUT", "", 403, "AccessForbidden", "", ""},
		{"header not allowed by first rule", "https://strict.example", "GET", "content-type", 403, "AccessForbidden", "", ""},
		{"unknown origin", "https://evil.example", "PUT", "", 403, "AccessForbidden", "", ""},
		{"method not allowed", "https://app.example.com", "DELETE", "", 403, "AccessForbidden", "", ""},
		{"no origin", "", "PUT", "", 400, "BadRequest", "", ""},
		{"no method", "https://app.example.com", "", "", 400, "BadRequest", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := pre(c.origin, c.method, c.headers)
			if r.status != c.status {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			if c.status != 200 {
				e := parseErr(t, r.body)
				if e.Code != c.code || r.header.Get("Access-Control-Allow-Origin") != "" {
					t.Fatalf("refusal %s %v", e.Code, r.header)
				}
				if c.code == "AccessForbidden" && e.Message != corsMessage {
					t.Fatalf("message %q", e.Message)
				}
				return
			}
			h := r.header
			if h.Get("Access-Control-Allow-Origin") != c.origin || h.Get("Access-Control-Allow-Methods") != c.allowMethods ||
				h.Get("Access-Control-Max-Age") != c.maxAge || h.Get("Access-Control-Expose-Headers") == "" ||
				!reqIDPattern.MatchString(h.Get("x-oss-request-id")) {
				t.Fatalf("preflight headers %v", h)
			}
			if c.headers != "" && h.Get("Access-Control-Allow-Headers") != strings.ToLower(c.headers) {
				t.Fatalf("allow headers %q", h.Get("Access-Control-Allow-Headers"))
			}
		})
	}

	// Actual requests, success and error, carry the CORS headers.
	c := env.client(ownerAK, ownerSK, func(cfg *oss.Config) {
		cfg.WithHttpClient(&http.Client{Transport: mutateRT(func(r *http.Request) { r.Header.Set("Origin", "https://app.example.com") })})
	})
	put, err := c.PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("cors.txt"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	if put.Headers.Get("Access-Control-Allow-Origin") != "https://app.example.com" || put.Headers.Get("Vary") != "Origin" ||
		put.Headers.Get("Access-Control-Expose-Headers") != "ETag, x-oss-request-id, x-oss-hash-crc64ecma" {
		t.Fatalf("actual response headers %v", put.Headers)
	}
	_, err = c.GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("missing")})
	se := wantServiceError(t, err, 404, "NoSuchKey", "")
	if se.Headers.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("error response lacks CORS headers: %v", se.Headers)
	}
	// A foreign origin gets none.
	r := signedRequest(t, "GET", env.endpoint+"/"+testBucket+"/cors.txt", nil, map[string]string{"Origin": "https://evil.example"}, ownerAK, ownerSK, time.Now())
	if resp := doReq(t, r); resp.status != 200 || resp.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign origin: %d %v", resp.status, resp.header)
	}
}

func TestHeadErrorFormat(t *testing.T) {
	env := newEnv(t, nil)
	r := signedRequest(t, "HEAD", env.endpoint+"/"+testBucket+"/missing", nil, nil, ownerAK, ownerSK, time.Now())
	resp := doReq(t, r)
	if resp.status != 404 || resp.body != "" {
		t.Fatalf("HEAD miss: %d %q", resp.status, resp.body)
	}
	x, err := base64.StdEncoding.DecodeString(resp.header.Get("x-oss-err"))
	if err != nil {
		t.Fatal(err)
	}
	if e := parseErr(t, string(x)); e.Code != "NoSuchKey" || e.RequestId != resp.header.Get("x-oss-request-id") {
		t.Fatalf("x-oss-err = %s", x)
	}
}

// TestVirtualHostStyle: bucket from the Host header, and path style with
// a virtual-host Host (ali-oss sldEnable) both work; the canonical URI is
// path style either way.
func TestVirtualHostStyle(t *testing.T) {
	env := newEnv(t, nil)
	now := time.Now()
	put := signedRequest(t, "PUT", env.endpoint+"/"+testBucket+"/vh/obj", strings.NewReader("vh"), nil, ownerAK, ownerSK, now)
	if r := doReq(t, put); r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	for _, host := range []string{testBucket + ".oss-cn-hangzhou.aliyuncs.com", testBucket + ".127.0.0.1:9100", testBucket + ".localhost"} {
		// Signed for /bucket/vh/obj, sent as /vh/obj with the bucket in Host.
		r := signedRequest(t, "GET", env.endpoint+"/"+testBucket+"/vh/obj", nil, nil, ownerAK, ownerSK, now)
		r.URL.Path = "/vh/obj"
		r.Host = host
		if resp := doReq(t, r); resp.status != 200 || resp.body != "vh" {
			t.Fatalf("virtual host %s: %d %s", host, resp.status, resp.body)
		}
		// Path style with a virtual-host Host: the path's bucket wins.
		r = signedRequest(t, "GET", env.endpoint+"/"+testBucket+"/vh/obj", nil, nil, ownerAK, ownerSK, now)
		r.Host = host
		if resp := doReq(t, r); resp.status != 200 || resp.body != "vh" {
			t.Fatalf("path style with host %s: %d %s", host, resp.status, resp.body)
		}
	}
	// Listing via virtual host (key-less path "/").
	r := signedRequest(t, "GET", env.endpoint+"/"+testBucket+"/?list-type=2", nil, nil, ownerAK, ownerSK, now)
	r.URL.Path = "/"
	r.Host = testBucket + ".oss-cn-hangzhou.aliyuncs.com"
	if resp := doReq(t, r); resp.status != 200 || !strings.Contains(resp.body, "<Key>vh/obj</Key>") {
		t.Fatalf("virtual-host list: %d %s", resp.status, resp.body)
	}
}

// TestLogsCarryNoSecrets runs failing and succeeding requests with debug
// logging and checks no secret, signature, token or query string leaks.
func TestLogsCarryNoSecrets(t *testing.T) {
	var logs syncBuffer
	env := newEnv(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := context.Background()
	c := env.clientToken(stsAK, stsSK, stsToken)
	c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("sts/log"), Body: strings.NewReader("x")})
	env.client(ownerAK, "wrong").PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("log"), Body: strings.NewReader("x")})
	ps, _ := env.client(ownerAK, ownerSK).Presign(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("log")})
	do(t, "GET", ps.URL+"x", nil, "")
	out := logs.String()
	if out == "" {
		t.Fatal("no logs")
	}
	sig := ps.URL[strings.Index(ps.URL, "x-oss-signature=")+len("x-oss-signature="):][:64]
	for _, secret := range []string{stsSK, ownerSK, stsToken, "x-oss-signature", "x-oss-credential", sig} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains %q:\n%s", secret, out)
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	env := newEnv(t, nil)
	now := time.Now()
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"PATCH", "/" + testBucket + "/k", 405, "MethodNotAllowed"},
		{"POST", "/" + testBucket + "/k", 405, "MethodNotAllowed"},
		{"PUT", "/" + testBucket + "/", 405, "MethodNotAllowed"},
		{"GET", "/", 405, "MethodNotAllowed"},
		{"GET", "/" + testBucket + "/k?acl", 501, "NotImplemented"},
		{"GET", "/nosuchbucket/k", 404, "NoSuchBucket"},
		{"GET", "/" + testBucket + "?list-type=3", 400, "InvalidArgument"},
		{"GET", "/" + testBucket + "?encoding-type=base64", 400, "InvalidArgument"},
		{"PUT", "/" + testBucket + "/k?partNumber=1&uploadId=nope", 404, "NoSuchUpload"},
		{"PUT", "/" + testBucket + "/k?partNumber=0&uploadId=nope", 400, "InvalidArgument"},
		{"PUT", "/" + testBucket + "/k?uploadId=nope", 400, "InvalidArgument"},
	} {
		r := signedRequest(t, c.method, env.endpoint+c.path, strings.NewReader("x"), nil, ownerAK, ownerSK, now)
		resp := doReq(t, r)
		if e := parseErr(t, resp.body); resp.status != c.status || e.Code != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, resp.status, e.Code, c.status, c.code)
		}
	}
}
