package ossemu

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

const (
	testRegion = "cn-hangzhou"
	testBucket = "examplebucket"
	ownerAK    = "LTAI5tOwnerKeyId"
	ownerSK    = "OwnerSecret123"
	ramAK      = "LTAI5tRamUserKeyId"
	ramSK      = "RamSecret456"
	denyAK     = "LTAI5tDenyUserKeyId"
	denySK     = "DenySecret789"
	stsAK      = "STS.TestTempKeyId"
	stsSK      = "StsSecret000"
	stsToken   = "CAIS-test-security-token"
)

// testEnv is a listening emulator plus what tests need to reach it.
type testEnv struct {
	s        *Server
	endpoint string
	clock    *clock
	dir      string
}

func testUsers(t testing.TB) []User {
	deny, err := ParsePolicy([]byte(`{"Version":"1","Statement":[
		{"Effect":"Allow","Action":["oss:*"],"Resource":["acs:oss:*:*:examplebucket/*"]},
		{"Effect":"Deny","Action":"OSS:PutObject","Resource":"acs:oss:*:*:examplebucket/secret/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return []User{
		{AccessKeyID: ownerAK, AccessKeySecret: ownerSK},
		{AccessKeyID: ramAK, AccessKeySecret: ramSK, Policy: PutPolicy(testBucket, "uploads/")},
		{AccessKeyID: denyAK, AccessKeySecret: denySK, Policy: deny},
		{AccessKeyID: stsAK, AccessKeySecret: stsSK, SecurityToken: stsToken, Policy: PutPolicy(testBucket, "sts/")},
	}
}

func newEnv(t testing.TB, mod func(*Config)) *testEnv {
	t.Helper()
	c := newClock(time.Now())
	cfg := Config{Region: testRegion, Buckets: []string{testBucket, "otherbucket"}, Users: testUsers(t),
		CORS: []CORSRule{BrowserUploadCORS("https://app.example.com", "http://*.local.test")}, Now: c.Now}
	if mod != nil {
		mod(&cfg)
	}
	s := mustServer(t, cfg)
	addr, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{s: s, endpoint: "http://" + addr.String(), clock: c, dir: cfg.Dir}
}

// client is an SDK v2 client for the emulator; no retries, so errors are
// the emulator's first answer.
func (e *testEnv) client(ak, sk string, mod ...func(*oss.Config)) *oss.Client {
	return e.clientToken(ak, sk, "", mod...)
}

func (e *testEnv) clientToken(ak, sk, token string, mod ...func(*oss.Config)) *oss.Client {
	cfg := oss.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ak, sk, token)).
		WithRegion(testRegion).WithEndpoint(e.endpoint).WithRetryMaxAttempts(1)
	for _, m := range mod {
		m(cfg)
	}
	return oss.NewClient(cfg)
}

var reqIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// wantServiceError checks err is the SDK's ServiceError with this status,
// code and (when given) EC.
func wantServiceError(t *testing.T, err error, status int, code, ec string) *oss.ServiceError {
	t.Helper()
	var se *oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("want ServiceError %d %s, got %v", status, code, err)
	}
	if se.StatusCode != status || se.Code != code || (ec != "" && se.EC != ec) {
		t.Fatalf("got ServiceError %d %s EC %s (%s), want %d %s EC %s", se.StatusCode, se.Code, se.EC, se.Message, status, code, ec)
	}
	if !reqIDPattern.MatchString(se.RequestID) {
		t.Fatalf("request id %q is not 24 hex", se.RequestID)
	}
	return se
}

func TestSDKv2ObjectLifecycle(t *testing.T) {
	env := newEnv(t, nil)
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	key := "dir/hello world+ü~*.txt"
	body := []byte("hi oss")
	put, err := c.PutObject(ctx, &oss.PutObjectRequest{
		Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key), Body: bytes.NewReader(body),
		ContentType: oss.Ptr("text/plain"), CacheControl: oss.Ptr("no-cache"), ContentDisposition: oss.Ptr("attachment"),
		Metadata: map[string]string{"Owner": "Jack"},
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	if *put.ETag != `"`+strings.ToUpper(fmt.Sprintf("%x", sum))+`"` {
		t.Fatalf("ETag = %s", *put.ETag)
	}
	if *put.HashCRC64 != "8707180448768400016" || *put.ContentMD5 != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("crc/md5 = %v %v", *put.HashCRC64, *put.ContentMD5)
	}

	get, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, body) || *get.ContentType != "text/plain" || get.Headers.Get("Cache-Control") != "no-cache" ||
		get.Metadata["Owner"] != "Jack" && get.Metadata["owner"] != "Jack" || *get.ObjectType != "Normal" {
		t.Fatalf("get = %q %+v", got, get)
	}

	rng, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key), Range: oss.Ptr("bytes=1-3")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rng.Body)
	rng.Body.Close()
	if string(got) != "i o" || rng.StatusCode != 206 || *rng.ContentRange != "bytes 1-3/6" {
		t.Fatalf("range get = %q %d %v", got, rng.StatusCode, rng.ContentRange)
	}

	head, err := c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
	if err != nil {
		t.Fatal(err)
	}
	if head.ContentLength != 6 || *head.ETag != *put.ETag || *head.HashCRC64 != "8707180448768400016" {
		t.Fatalf("head = %+v", head)
	}

	// Default content type.
	if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("noext"),
		Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	h2, err := c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("noext")})
	if err != nil || *h2.ContentType != "application/octet-stream" {
		t.Fatalf("default content type: %v %v", err, h2)
	}

	if _, err := c.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
	wantServiceError(t, err, 404, "NoSuchKey", "")
	_, err = c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
	wantServiceError(t, err, 404, "NoSuchKey", "")
	_, err = c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("nobucket"), Key: oss.Ptr(key)})
	wantServiceError(t, err, 404, "NoSuchBucket", "0015-00000101")
	// Deleting again is still 204.
	if _, err := c.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)}); err != nil {
		t.Fatal(err)
	}
}

func TestSDKv2ForbidOverwriteAndDigest(t *testing.T) {
	for _, store := range []string{"memory", "folder"} {
		t.Run(store, func(t *testing.T) {
			var dir string
			if store == "folder" {
				dir = t.TempDir()
			}
			testForbidOverwriteAndDigest(t, newEnv(t, func(c *Config) { c.Dir = dir }))
		})
	}
}

func testForbidOverwriteAndDigest(t *testing.T, env *testEnv) {
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	req := func(body string) *oss.PutObjectRequest {
		return &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("once.txt"),
			Body: strings.NewReader(body), ForbidOverwrite: oss.Ptr("true")}
	}
	if _, err := c.PutObject(ctx, req("first")); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutObject(ctx, req("second"))
	wantServiceError(t, err, 409, "FileAlreadyExists", "0026-00000002")
	get, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("once.txt")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if string(b) != "first" {
		t.Fatalf("overwritten: %q", b)
	}

	wrong := md5.Sum([]byte("something else"))
	_, err = c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("digest.txt"),
		Body: strings.NewReader("payload"), ContentMD5: oss.Ptr(base64.StdEncoding.EncodeToString(wrong[:]))})
	wantServiceError(t, err, 400, "InvalidDigest", "0017-00000503")
	_, err = c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("digest.txt"),
		Body: strings.NewReader("payload"), ContentMD5: oss.Ptr("bm90LW1kNQ==")})
	wantServiceError(t, err, 400, "InvalidDigest", "0017-00000502")
	_, err = c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("digest.txt")})
	wantServiceError(t, err, 404, "NoSuchKey", "")
	if objs := env.s.store.listing(testBucket, ""); len(objs) != 1 || objs[0].Key != "once.txt" {
		t.Fatalf("store holds %d objects", len(objs))
	}
	assertNoDebris(t, env.dir)
}

func TestSDKv2List(t *testing.T) {
	env := newEnv(t, nil)
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	keys := []string{"a.txt", "dir/1 one.txt", "dir/2+two.txt", "dir/sub/3.txt", "dir/ü.txt", "e/x", "e/y", "z"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	// Whole bucket, paged by 3.
	var all []string
	p := c.NewListObjectsV2Paginator(&oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket), MaxKeys: 3})
	pages := 0
	for p.HasNext() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Contents {
			all = append(all, *o.Key)
			if o.Size != int64(len(*o.Key)) || o.LastModified == nil || *o.StorageClass != "Standard" {
				t.Fatalf("object props %+v", o)
			}
		}
	}
	if strings.Join(all, "|") != strings.Join(keys, "|") || pages != 3 {
		t.Fatalf("listed %q in %d pages", all, pages)
	}

	// Delimiter, prefix, common prefixes counted in max-keys.
	type want struct {
		prefix, delim string
		max           int32
		keys, prefs   string
		truncated     bool
	}
	for _, w := range []want{
		{"", "/", 100, "a.txt|z", "dir/|e/", false},
		{"dir/", "/", 100, "dir/1 one.txt|dir/2+two.txt|dir/ü.txt", "dir/sub/", false},
		{"", "/", 2, "a.txt", "dir/", true},
		{"e/", "", 1, "e/x", "", true},
		{"nothing", "/", 10, "", "", false},
	} {
		res, err := c.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket), Prefix: oss.Ptr(w.prefix),
			Delimiter: oss.Ptr(w.delim), MaxKeys: w.max})
		if err != nil {
			t.Fatal(err)
		}
		var ks, ps []string
		for _, o := range res.Contents {
			ks = append(ks, *o.Key)
		}
		for _, cp := range res.CommonPrefixes {
			ps = append(ps, *cp.Prefix)
		}
		if strings.Join(ks, "|") != w.keys || strings.Join(ps, "|") != w.prefs || res.IsTruncated != w.truncated ||
			res.KeyCount != len(ks)+len(ps) {
			t.Fatalf("list %+v: keys %q prefixes %q truncated %v count %d", w, ks, ps, res.IsTruncated, res.KeyCount)
		}
	}
	// Continuation after a common prefix skips the whole group.
	res, err := c.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket), Delimiter: oss.Ptr("/"), MaxKeys: 2})
	if err != nil {
		t.Fatal(err)
	}
	res2, err := c.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket), Delimiter: oss.Ptr("/"),
		MaxKeys: 2, ContinuationToken: res.NextContinuationToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.CommonPrefixes) != 1 || *res2.CommonPrefixes[0].Prefix != "e/" || len(res2.Contents) != 1 || *res2.Contents[0].Key != "z" {
		t.Fatalf("second page: %+v %+v", res2.Contents, res2.CommonPrefixes)
	}
	_, err = c.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket), MaxKeys: 1001})
	wantServiceError(t, err, 400, "InvalidArgument", "")
}

func TestSDKv2Multipart(t *testing.T) {
	env := newEnv(t, nil)
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	key := "big/file ü.bin"
	init, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
	if err != nil {
		t.Fatal(err)
	}
	if *init.Key != key {
		t.Fatalf("initiate key = %q", *init.Key)
	}
	p1 := bytes.Repeat([]byte("a"), minPartSize)
	p2 := []byte("tail")
	var parts []oss.UploadPart
	for i, data := range [][]byte{p1, p2} {
		up, err := c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key),
			UploadId: init.UploadId, PartNumber: int32(i + 1), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, oss.UploadPart{PartNumber: int32(i + 1), ETag: up.ETag})
	}
	_, err = c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key),
		UploadId: init.UploadId, PartNumber: 10001, Body: strings.NewReader("x")})
	wantServiceError(t, err, 400, "InvalidArgument", "")

	lp, err := c.ListParts(ctx, &oss.ListPartsRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key), UploadId: init.UploadId})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.Parts) != 2 || lp.Parts[0].Size != minPartSize || *lp.Parts[1].ETag != *parts[1].ETag || *lp.Key != key {
		t.Fatalf("list parts = %+v", lp)
	}

	complete := func(ps []oss.UploadPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key),
			UploadId: init.UploadId, CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: ps}})
		return err
	}
	// The SDK sorts parts, so order errors need a raw request (see TestMultipartRules).
	wantServiceError(t, complete([]oss.UploadPart{{PartNumber: 1, ETag: oss.Ptr(`"00"`)}, parts[1]}), 400, "InvalidPart", "")
	wantServiceError(t, complete([]oss.UploadPart{parts[0], {PartNumber: 3, ETag: parts[1].ETag}}), 400, "InvalidPart", "")

	res, err := c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key),
		UploadId: init.UploadId, CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	if *res.Key != key || !strings.HasSuffix(*res.ETag, `-2"`) {
		t.Fatalf("complete = %+v", res)
	}
	get, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, append(append([]byte{}, p1...), p2...)) || *get.ObjectType != "Multipart" {
		t.Fatalf("assembled object differs (%d bytes, type %s)", len(got), *get.ObjectType)
	}
	// The upload is gone.
	_, err = c.ListParts(ctx, &oss.ListPartsRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key), UploadId: init.UploadId})
	wantServiceError(t, err, 404, "NoSuchUpload", "")

	// EntityTooSmall, abort.
	init2, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("small")})
	if err != nil {
		t.Fatal(err)
	}
	var small []oss.UploadPart
	for i := 1; i <= 2; i++ {
		up, err := c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("small"),
			UploadId: init2.UploadId, PartNumber: int32(i), Body: strings.NewReader("tiny")})
		if err != nil {
			t.Fatal(err)
		}
		small = append(small, oss.UploadPart{PartNumber: int32(i), ETag: up.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("small"),
		UploadId: init2.UploadId, CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: small}})
	wantServiceError(t, err, 400, "EntityTooSmall", "0042-00000213")
	if _, err := c.AbortMultipartUpload(ctx, &oss.AbortMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("small"), UploadId: init2.UploadId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AbortMultipartUpload(ctx, &oss.AbortMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("small"), UploadId: init2.UploadId})
	wantServiceError(t, err, 404, "NoSuchUpload", "")
}

// TestSDKv2Uploader drives the SDK's concurrent multipart uploader, which
// also checks the combined CRC-64 against the emulator's.
func TestSDKv2Uploader(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.Dir = t.TempDir() })
	c := env.client(ownerAK, ownerSK)
	data := bytes.Repeat([]byte("0123456789abcdef"), 350<<10/16)
	u := c.NewUploader(func(o *oss.UploaderOptions) { o.PartSize = 100 << 10; o.ParallelNum = 3 })
	if _, err := u.UploadFrom(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("up/large.bin")},
		bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	get, err := c.GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("up/large.bin")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("uploaded %d bytes, read back %d", len(data), len(got))
	}
	assertNoDebris(t, env.dir)
}

func TestSDKv2Presign(t *testing.T) {
	env := newEnv(t, nil)
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	put, err := c.Presign(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("presigned/a b.png"),
		ContentType: oss.Ptr("image/png")}, oss.PresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if put.SignedHeaders["Content-Type"] != "image/png" {
		t.Fatalf("signed headers %v", put.SignedHeaders)
	}
	resp := do(t, put.Method, put.URL, put.SignedHeaders, "png bytes")
	if resp.status != 200 {
		t.Fatalf("presigned PUT: %d %s", resp.status, resp.body)
	}
	get, err := c.Presign(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("presigned/a b.png")})
	if err != nil {
		t.Fatal(err)
	}
	resp = do(t, get.Method, get.URL, nil, "")
	if resp.status != 200 || resp.body != "png bytes" || resp.header.Get("Content-Type") != "image/png" {
		t.Fatalf("presigned GET: %d %q %v", resp.status, resp.body, resp.header)
	}
}

// TestSDKv2Principals covers RAM policies and STS tokens through the SDK.
func TestSDKv2Principals(t *testing.T) {
	env := newEnv(t, nil)
	ctx := context.Background()
	put := func(c *oss.Client, key string) error {
		_, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key), Body: strings.NewReader("x")})
		return err
	}
	ram := env.client(ramAK, ramSK)
	if err := put(ram, "uploads/ok.txt"); err != nil {
		t.Fatal(err)
	}
	se := wantServiceError(t, put(ram, "elsewhere.txt"), 403, "AccessDenied", "0003-00000202")
	_ = se
	wantServiceError(t, put(ram, "uploads"), 403, "AccessDenied", "0003-00000202")
	_, err := ram.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("uploads/ok.txt")})
	wantServiceError(t, err, 403, "AccessDenied", "")
	_, err = ram.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr("otherbucket"), Key: oss.Ptr("uploads/x"), Body: strings.NewReader("x")})
	wantServiceError(t, err, 403, "AccessDenied", "")

	deny := env.client(denyAK, denySK)
	if err := put(deny, "public/x"); err != nil {
		t.Fatal(err)
	}
	wantServiceError(t, put(deny, "secret/x"), 403, "AccessDenied", "0003-00000201")

	sts := env.clientToken(stsAK, stsSK, stsToken)
	if err := put(sts, "sts/ok"); err != nil {
		t.Fatal(err)
	}
	wantServiceError(t, put(env.clientToken(stsAK, stsSK, "wrong-token"), "sts/x"), 403, "InvalidSecurityToken", "0002-00000008")
	wantServiceError(t, put(env.client(stsAK, stsSK), "sts/x"), 403, "InvalidSecurityToken", "0002-00000003")
	// Presigned with a token: the token travels in the query and is signed.
	ps, err := sts.Presign(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("sts/presigned")})
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, ps.Method, ps.URL, ps.SignedHeaders, "y"); r.status != 200 {
		t.Fatalf("STS presigned PUT: %d %s", r.status, r.body)
	}
}

type response struct {
	status int
	body   string
	header http.Header
}

func do(t *testing.T, method, url string, hdr map[string]string, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return doReq(t, req)
}

func doReq(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b), resp.Header}
}

// assertNoDebris checks a folder store holds nothing but committed
// objects: an empty tmp folder and a sidecar for every data file.
func assertNoDebris(t *testing.T, dir string) {
	t.Helper()
	if dir == "" {
		return
	}
	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tmp {
		t.Errorf("debris in tmp: %s", e.Name())
	}
	var data, sidecars []string
	filepath.WalkDir(filepath.Join(dir, "objects"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if strings.HasSuffix(p, ".json") {
				sidecars = append(sidecars, strings.TrimSuffix(filepath.Base(p), ".json"))
			} else {
				data = append(data, strings.SplitN(filepath.Base(p), ".", 2)[0])
			}
		}
		return nil
	})
	sort.Strings(data)
	sort.Strings(sidecars)
	if strings.Join(data, ",") != strings.Join(sidecars, ",") {
		t.Errorf("data files %v vs sidecars %v", data, sidecars)
	}
}
