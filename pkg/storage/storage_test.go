package storage_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

const (
	bucket = "examplebucket"
	region = "cn-hangzhou"
	akID   = "LTAI5tStorageTest"
	akSec  = "StorageTestSecret0123456"
	stsID  = "STS.NTestTemporaryKey"
	stsSec = "StsTestSecret01234567890"
	stsTok = "CAIS-storage-test-security-token"
	owner  = "LTAI5tStorageOwner"
	ownSec = "StorageOwnerSecret012345"
)

func server(t *testing.T) string {
	t.Helper()
	srv, err := ossemu.New(ossemu.Config{
		Region: region, Buckets: []string{bucket},
		Users: []ossemu.User{
			{AccessKeyID: akID, AccessKeySecret: akSec, Policy: ossemu.PutPolicy(bucket, "exampledir/")},
			{AccessKeyID: stsID, AccessKeySecret: stsSec, SecurityToken: stsTok, Policy: ossemu.PutPolicy(bucket, "exampledir/")},
			{AccessKeyID: owner, AccessKeySecret: ownSec},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return "http://" + addr.String()
}

func client(t *testing.T, endpoint string, creds credentials.CredentialsProvider) *storage.Client {
	t.Helper()
	c, err := storage.New(storage.Config{Bucket: bucket, Region: region, Endpoint: endpoint, PathStyle: true,
		Credentials: creds, ConnectTimeout: time.Second, RequestTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func upload(t *testing.T, p storage.Presigned, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func read(t *testing.T, endpoint, key string) []byte {
	t.Helper()
	c := oss.NewClient(oss.LoadDefaultConfig().WithRegion(region).WithEndpoint(endpoint).
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(owner, ownSec)))
	res, err := c.GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return b
}

func TestPresignPut(t *testing.T) {
	ep := server(t)
	c := client(t, ep, storage.Credentials(akID, akSec, nil))
	body := []byte("presigned bytes")
	sum := md5.Sum(body)
	u := storage.Upload{Key: "exampledir/a b+ü.txt", ContentType: "text/plain", ContentMD5: base64.StdEncoding.EncodeToString(sum[:]),
		ContentLength: oss.Ptr(int64(len(body))), Metadata: map[string]string{"owner": "alice"}}
	before := time.Now()
	p, err := c.PresignPut(context.Background(), u, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Content-Type": "text/plain", "Content-Md5": u.ContentMD5, "Content-Length": "15",
		"x-oss-forbid-overwrite": "true", "x-oss-meta-owner": "alice"}
	if len(p.Headers) != len(want) {
		t.Errorf("headers %v, want %v", p.Headers, want)
	}
	for k, v := range want {
		if p.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, p.Headers[k], v)
		}
	}
	if p.Method != "PUT" || p.Expires.Before(before.Add(10*time.Minute-time.Second)) || p.Expires.After(time.Now().Add(10*time.Minute)) {
		t.Errorf("method %s expires %v", p.Method, p.Expires)
	}
	q, _ := url.Parse(p.URL)
	if q.Query().Get("x-oss-signature-version") != "OSS4-HMAC-SHA256" || q.Query().Get("x-oss-additional-headers") != "content-length" {
		t.Errorf("not a V4 URL with content-length signed: %s", p.URL)
	}
	if s := upload(t, p, body); s != 200 {
		t.Fatalf("upload: %d", s)
	}
	if got := read(t, ep, u.Key); !bytes.Equal(got, body) {
		t.Fatalf("stored %q", got)
	}
	if s := upload(t, p, body); s != 409 {
		t.Fatalf("second upload with forbid-overwrite: %d", s)
	}
}

func TestPresignWithoutPins(t *testing.T) {
	c := client(t, server(t), storage.Credentials(akID, akSec, nil))
	p, err := c.PresignPut(context.Background(), storage.Upload{Key: "exampledir/x", ContentType: "image/png", Overwrite: true}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Headers) != 1 || p.Headers["Content-Type"] != "image/png" {
		t.Fatalf("headers %v: want only Content-Type", p.Headers)
	}
	if strings.Contains(p.URL, "x-oss-additional-headers") {
		t.Fatalf("content-length signed although not pinned: %s", p.URL)
	}
	if s := upload(t, p, make([]byte, 1000)); s != 200 {
		t.Fatalf("upload: %d", s)
	}
}

// On FC without a RAM pair, the function role's STS credentials come with
// each invocation; the URL then carries the security token.
func TestCredentialsFromInvocation(t *testing.T) {
	ep := server(t)
	c := client(t, ep, storage.Credentials("", "", func(string) string { return "" }))
	ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{
		Credentials: fccontext.Credentials{AccessKeyId: stsID, AccessKeySecret: stsSec, SecurityToken: stsTok},
	})
	p, err := c.PresignPut(ctx, storage.Upload{Key: "exampledir/sts.txt", ContentType: "text/plain"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := url.Parse(p.URL); q.Query().Get("x-oss-security-token") != stsTok || !strings.HasPrefix(q.Query().Get("x-oss-credential"), stsID+"/") {
		t.Fatalf("URL not signed with the invocation's STS credentials: %s", p.URL)
	}
	if s := upload(t, p, []byte("sts")); s != 200 {
		t.Fatalf("upload: %d", s)
	}
	obj, err := c.Put(ctx, storage.Upload{Key: "exampledir/sts-direct.txt", ContentType: "text/plain"}, []byte("direct"))
	if err != nil || obj.Size != 6 {
		t.Fatalf("put with STS: %+v %v", obj, err)
	}
	// Without an invocation context, nor environment: a clear error.
	if _, err := c.PresignPut(context.Background(), storage.Upload{Key: "exampledir/x", ContentType: "text/plain"}, time.Minute); !errors.Is(err, storage.ErrCredentialsUnavailable) {
		t.Fatalf("no credentials: %v", err)
	}
}

func TestCredentialsFromEnvironment(t *testing.T) {
	env := map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": stsID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": stsSec, "ALIBABA_CLOUD_SECURITY_TOKEN": stsTok}
	c := client(t, server(t), storage.Credentials("", "", func(k string) string { return env[k] }))
	p, err := c.PresignPut(context.Background(), storage.Upload{Key: "exampledir/env.txt", ContentType: "text/plain"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if s := upload(t, p, []byte("env")); s != 200 {
		t.Fatalf("upload: %d", s)
	}
}

// Expiring credentials cap the URL's lifetime.
func TestExpiryCappedByCredentials(t *testing.T) {
	soon := time.Now().Add(2 * time.Minute)
	creds := credentials.CredentialsProviderFunc(func(context.Context) (credentials.Credentials, error) {
		return credentials.Credentials{AccessKeyID: stsID, AccessKeySecret: stsSec, SecurityToken: stsTok, Expires: &soon}, nil
	})
	c := client(t, server(t), creds)
	p, err := c.PresignPut(context.Background(), storage.Upload{Key: "exampledir/x", ContentType: "text/plain"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if p.Expires.After(soon) {
		t.Fatalf("expires %v after the credentials (%v)", p.Expires, soon)
	}
}

func TestPutErrors(t *testing.T) {
	ep := server(t)
	c := client(t, ep, storage.Credentials(akID, akSec, nil))
	ctx := context.Background()
	body := []byte("exact")
	obj, err := c.Put(ctx, storage.Upload{Key: "exampledir/p.txt", ContentType: "text/plain"}, body)
	sum := md5.Sum(body)
	if err != nil || obj.Size != 5 || obj.ETag != strings.ToUpper(strings.TrimSpace(hexString(sum[:]))) || obj.RequestID == "" {
		t.Fatalf("put: %+v %v", obj, err)
	}
	if _, err := c.Put(ctx, storage.Upload{Key: "exampledir/p.txt", ContentType: "text/plain"}, body); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("existing key: %v", err)
	}
	if _, err := c.Put(ctx, storage.Upload{Key: "exampledir/p.txt", ContentType: "text/plain", Overwrite: true}, []byte("new")); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	wrong := base64.StdEncoding.EncodeToString(make([]byte, 16))
	if _, err := c.Put(ctx, storage.Upload{Key: "exampledir/q.txt", ContentType: "text/plain", ContentMD5: wrong}, body); !errors.Is(err, storage.ErrBadDigest) {
		t.Fatalf("wrong md5: %v", err)
	}
	// The RAM policy refuses other prefixes: OSS's refusal is "unavailable",
	// a deployment problem, not the caller's.
	if _, err := c.Put(ctx, storage.Upload{Key: "other/q.txt", ContentType: "text/plain"}, body); !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("denied by policy: %v", err)
	}
	if got := read(t, ep, "exampledir/p.txt"); string(got) != "new" {
		t.Fatalf("stored %q", got)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	if _, err := client(t, dead, storage.Credentials(akID, akSec, nil)).Put(ctx, storage.Upload{Key: "exampledir/x", ContentType: "text/plain"}, body); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("OSS down: %v", err)
	} else if strings.Contains(err.Error(), akSec) {
		t.Fatalf("the error holds the secret: %v", err)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
