package storage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// fullPolicy is what the broker's RAM user needs for every route: uploads
// (PutObject covers initiate, parts, complete and PostObject), aborts,
// part listing and downloads, under exampledir/.
func fullPolicy(t *testing.T) *ossemu.Policy {
	t.Helper()
	p, err := ossemu.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow",
		"Action":["oss:PutObject","oss:AbortMultipartUpload","oss:ListParts","oss:GetObject"],
		"Resource":"acs:oss:*:*:examplebucket/exampledir/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func serverWith(t *testing.T, policy *ossemu.Policy, now func() time.Time) string {
	t.Helper()
	srv, err := ossemu.New(ossemu.Config{
		Region: region, Buckets: []string{bucket}, Now: now,
		Users: []ossemu.User{
			{AccessKeyID: akID, AccessKeySecret: akSec, Policy: policy},
			{AccessKeyID: stsID, AccessKeySecret: stsSec, SecurityToken: stsTok, Policy: policy},
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

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// sendPart PUTs body to a presigned part URL and returns the status and
// the part's ETag.
func sendPart(t *testing.T, p storage.Presigned, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("ETag")
}

func TestMultipartThroughPresignedParts(t *testing.T) {
	ep := serverWith(t, fullPolicy(t), nil)
	c := client(t, ep, credentials.NewStaticCredentialsProvider(akID, akSec))
	ctx := context.Background()
	key := "exampledir/big file+ü.bin"
	id, err := c.InitiateMultipart(ctx, storage.Upload{Key: key, ContentType: "video/mp4"})
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(300 << 10)
	chunks := [][]byte{data[:150<<10], data[150<<10 : 300<<10-7], data[300<<10-7:]}
	var parts []storage.Part
	for i, ch := range chunks {
		p, err := c.PresignPart(ctx, key, id, int32(i+1), int64(len(ch)), time.Now().Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if p.Method != "PUT" || p.Headers["Content-Length"] != strconv.Itoa(len(ch)) || len(p.Headers) != 1 {
			t.Fatalf("part %d presign: %+v", i+1, p)
		}
		if i == 0 {
			// The length is signed: a longer body is refused.
			if st, _ := sendPart(t, p, append(bytes.Clone(ch), 'x')); st != 403 {
				t.Fatalf("part with a different length: %d, want 403", st)
			}
		}
		st, etag := sendPart(t, p, ch)
		if st != 200 || etag == "" {
			t.Fatalf("part %d: %d etag %q", i+1, st, etag)
		}
		parts = append(parts, storage.Part{Number: int32(i + 1), ETag: etag})
	}
	listed, err := c.ListParts(ctx, key, id)
	if err != nil || len(listed) != 3 || listed[1].Size != int64(len(chunks[1])) || listed[0].ETag != strings.Trim(parts[0].ETag, `"`) {
		t.Fatalf("ListParts = %+v, %v", listed, err)
	}

	// OSS's part errors come back as the package's errors.
	// (The SDK sorts the list; a repeated number is still out of order.)
	if _, _, err := c.CompleteMultipart(ctx, key, id, []storage.Part{parts[0], parts[0]}, false); !errors.Is(err, storage.ErrPartOrder) {
		t.Fatalf("repeated part: %v", err)
	}
	if _, _, err := c.CompleteMultipart(ctx, key, id, []storage.Part{{Number: 1, ETag: "00000000000000000000000000000000"}}, false); !errors.Is(err, storage.ErrInvalidPart) {
		t.Fatalf("wrong etag: %v", err)
	}
	if _, _, err := c.CompleteMultipart(ctx, key, id, []storage.Part{parts[2], {Number: 4, ETag: parts[0].ETag}}, false); !errors.Is(err, storage.ErrInvalidPart) {
		t.Fatalf("unknown part: %v", err)
	}
	// A fresh upload: small part in the middle is EntityTooSmall.
	id2, err := c.InitiateMultipart(ctx, storage.Upload{Key: key + "2", ContentType: "video/mp4"})
	if err != nil {
		t.Fatal(err)
	}
	var p2 []storage.Part
	for i, ch := range [][]byte{data[:10], data[:200<<10]} {
		p, _ := c.PresignPart(ctx, key+"2", id2, int32(i+1), 0, time.Now().Add(time.Minute))
		_, etag := sendPart(t, p, ch)
		p2 = append(p2, storage.Part{Number: int32(i + 1), ETag: etag})
	}
	if _, _, err := c.CompleteMultipart(ctx, key+"2", id2, p2, false); !errors.Is(err, storage.ErrPartTooSmall) {
		t.Fatalf("small first part: %v", err)
	}
	if err := c.AbortMultipart(ctx, key+"2", id2); err != nil {
		t.Fatal(err)
	}
	if err := c.AbortMultipart(ctx, key+"2", id2); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("second abort: %v", err)
	}
	if _, err := c.ListParts(ctx, key+"2", id2); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("list after abort: %v", err)
	}
}

func TestMultipartComplete(t *testing.T) {
	ep := serverWith(t, fullPolicy(t), nil)
	c := client(t, ep, credentials.NewStaticCredentialsProvider(akID, akSec))
	ctx := context.Background()
	key := "exampledir/assembled.bin"
	data := randomBytes(250 << 10)
	id, err := c.InitiateMultipart(ctx, storage.Upload{Key: key, ContentType: "application/x-test"})
	if err != nil {
		t.Fatal(err)
	}
	var parts []storage.Part
	for i, ch := range [][]byte{data[:128<<10], data[128<<10:]} {
		p, _ := c.PresignPart(ctx, key, id, int32(i+1), int64(len(ch)), time.Now().Add(time.Minute))
		st, etag := sendPart(t, p, ch)
		if st != 200 {
			t.Fatalf("part: %d", st)
		}
		parts = append(parts, storage.Part{Number: int32(i + 1), ETag: strings.Trim(etag, `"`)}) // quotes optional
	}
	etag, _, err := c.CompleteMultipart(ctx, key, id, parts, false)
	if err != nil || !strings.HasSuffix(etag, "-2") {
		t.Fatalf("complete: %q %v", etag, err)
	}
	if got := read(t, ep, key); !bytes.Equal(got, data) {
		t.Fatal("assembled object differs")
	}
	// A second upload of the same key without overwrite: refused at
	// initiate (the emulator checks there) or complete, as ErrExists.
	if _, err := c.InitiateMultipart(ctx, storage.Upload{Key: key, ContentType: "application/x-test"}); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("initiate over an existing key: %v", err)
	}
	if _, err := c.InitiateMultipart(ctx, storage.Upload{Key: key, ContentType: "application/x-test", Overwrite: true}); err != nil {
		t.Fatalf("initiate with overwrite: %v", err)
	}
	if _, _, err := c.CompleteMultipart(ctx, key, "NOSUCHUPLOAD", parts, false); !errors.Is(err, storage.ErrNoSuchUpload) {
		t.Fatalf("unknown upload: %v", err)
	}
}

// With the docs' PutObject-only policy, listing and aborting are refused by
// OSS: the RAM policy printed by -print-ram-policy must allow them.
func TestMultipartNeedsRAMActions(t *testing.T) {
	ep := serverWith(t, ossemu.PutPolicy(bucket, "exampledir/"), nil)
	c := client(t, ep, credentials.NewStaticCredentialsProvider(akID, akSec))
	ctx := context.Background()
	id, err := c.InitiateMultipart(ctx, storage.Upload{Key: "exampledir/x", ContentType: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListParts(ctx, "exampledir/x", id); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("ListParts without oss:ListParts: %v", err)
	}
	if err := c.AbortMultipart(ctx, "exampledir/x", id); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("abort without oss:AbortMultipartUpload: %v", err)
	}
}

func TestPresignPartSTS(t *testing.T) {
	ep := serverWith(t, fullPolicy(t), nil)
	exp := time.Now().Add(90 * time.Second)
	c := client(t, ep, credentials.CredentialsProviderFunc(func(context.Context) (credentials.Credentials, error) {
		return credentials.Credentials{AccessKeyID: stsID, AccessKeySecret: stsSec, SecurityToken: stsTok, Expires: &exp}, nil
	}))
	ctx := context.Background()
	id, err := c.InitiateMultipart(ctx, storage.Upload{Key: "exampledir/sts.bin", ContentType: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.PresignPart(ctx, "exampledir/sts.bin", id, 1, 0, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.URL, "x-oss-security-token=") || p.Expires.After(exp) {
		t.Fatalf("STS part URL: %s expires %v (credentials expire %v)", p.URL, p.Expires, exp)
	}
	if st, _ := sendPart(t, p, []byte("hi")); st != 200 {
		t.Fatalf("STS part: %d", st)
	}
}

// TestPostPolicyVector reproduces ali-oss getSignatureV4 for a PostObject V4 policy.
func TestPostPolicyVector(t *testing.T) {
	exp := time.Date(2025, 1, 2, 4, 4, 5, 0, time.UTC)
	policy := storage.PostPolicy(exp, []any{
		map[string]string{"bucket": "examplebucket"},
		map[string]string{"x-oss-signature-version": "OSS4-HMAC-SHA256"},
		map[string]string{"x-oss-credential": "LTAI5tTestAccessKeyId/20250102/cn-hangzhou/oss/aliyun_v4_request"},
		map[string]string{"x-oss-date": "20250102T030405Z"},
		[]any{"content-length-range", 1, 1048576},
		[]any{"starts-with", "$key", "exampledir/"},
	})
	want := `{"expiration":"2025-01-02T04:04:05.000Z","conditions":[{"bucket":"examplebucket"},{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"LTAI5tTestAccessKeyId/20250102/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20250102T030405Z"},["content-length-range",1,1048576],["starts-with","$key","exampledir/"]]}`
	if string(policy) != want {
		t.Fatalf("policy\n%s\nwant\n%s", policy, want)
	}
	b64 := "eyJleHBpcmF0aW9uIjoiMjAyNS0wMS0wMlQwNDowNDowNS4wMDBaIiwiY29uZGl0aW9ucyI6W3siYnVja2V0IjoiZXhhbXBsZWJ1Y2tldCJ9LHsieC1vc3Mtc2lnbmF0dXJlLXZlcnNpb24iOiJPU1M0LUhNQUMtU0hBMjU2In0seyJ4LW9zcy1jcmVkZW50aWFsIjoiTFRBSTV0VGVzdEFjY2Vzc0tleUlkLzIwMjUwMTAyL2NuLWhhbmd6aG91L29zcy9hbGl5dW5fdjRfcmVxdWVzdCJ9LHsieC1vc3MtZGF0ZSI6IjIwMjUwMTAyVDAzMDQwNVoifSxbImNvbnRlbnQtbGVuZ3RoLXJhbmdlIiwxLDEwNDg1NzZdLFsic3RhcnRzLXdpdGgiLCIka2V5IiwiZXhhbXBsZWRpci8iXV19"
	sig := storage.PostSignature(storage.PostSigningKey("TestAccessKeySecret123", "20250102", "cn-hangzhou"), b64)
	if sig != "42b05e6c16141bf4f05d38bf0c099cc39760b20227d7a303177e67279a1374c1" {
		t.Fatalf("signature %s", sig)
	}
	// And the same through ossemu's independent signing functions.
	if o := ossemu.Signature(ossemu.SigningKey("TestAccessKeySecret123", "20250102", "cn-hangzhou", "oss"), b64); o != sig {
		t.Fatalf("ossemu signs %s", o)
	}
}

// TestSignPostFields: the fields and the policy's conditions, at a fixed
// time, for the RAM pair and for STS credentials.
func TestSignPostFields(t *testing.T) {
	now := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	for _, sts := range []bool{false, true} {
		cr := credentials.Credentials{AccessKeyID: akID, AccessKeySecret: akSec}
		if sts {
			cr.SecurityToken = stsTok
		}
		f := storage.SignPost(storage.PostSigning{Bucket: bucket, Region: region, Credentials: cr, Now: now, Expires: now.Add(10 * time.Minute),
			Upload: storage.PostUpload{Key: "exampledir/a \"q\".txt", ContentType: "text/plain", MaxBytes: 1000}})
		want := map[string]string{
			"key": "exampledir/a \"q\".txt", "Content-Type": "text/plain", "success_action_status": "204",
			"x-oss-signature-version": "OSS4-HMAC-SHA256", "x-oss-credential": akID + "/20261127/cn-hangzhou/oss/aliyun_v4_request",
			"x-oss-date": "20261127T040000Z", "x-oss-forbid-overwrite": "true",
		}
		if sts {
			want["x-oss-security-token"] = stsTok
		}
		for k, v := range want {
			if f.Fields[k] != v {
				t.Errorf("sts=%v: field %s = %q, want %q", sts, k, f.Fields[k], v)
			}
		}
		if len(f.Fields) != len(want)+2 || f.Fields["policy"] == "" || len(f.Fields["x-oss-signature"]) != 64 {
			t.Errorf("sts=%v: fields %v", sts, f.Fields)
		}
		pol := decodeB64(t, f.Fields["policy"])
		for _, c := range []string{`"expiration":"2026-11-27T04:10:00.000Z"`, `{"bucket":"examplebucket"}`, `["eq","$key","exampledir/a \"q\".txt"]`,
			`["eq","$content-type","text/plain"]`, `["content-length-range",0,1000]`, `["eq","$x-oss-forbid-overwrite","true"]`,
			`{"x-oss-date":"20261127T040000Z"}`} {
			if !strings.Contains(pol, c) {
				t.Errorf("sts=%v: policy %s lacks %s", sts, pol, c)
			}
		}
		if sts != strings.Contains(pol, `{"x-oss-security-token":"`+stsTok+`"}`) {
			t.Errorf("sts=%v: policy %s", sts, pol)
		}
	}
	ow := storage.SignPost(storage.PostSigning{Bucket: bucket, Region: region, Credentials: credentials.Credentials{AccessKeyID: akID, AccessKeySecret: akSec},
		Now: now, Expires: now.Add(time.Minute), Upload: storage.PostUpload{Key: "exampledir/a", ContentType: "text/plain", MaxBytes: 1, Overwrite: true}})
	if _, ok := ow.Fields["x-oss-forbid-overwrite"]; ok || strings.Contains(decodeB64(t, ow.Fields["policy"]), "forbid") {
		t.Errorf("overwrite form pins forbid-overwrite: %v", ow.Fields)
	}
}

func decodeB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// postForm sends a PostObject form: fields in the given order, then the
// file last.
func postForm(t *testing.T, url string, fields map[string]string, file []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "upload.bin")
	fw.Write(file)
	mw.Close()
	res, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestPresignPostThroughOSS(t *testing.T) {
	ep := serverWith(t, fullPolicy(t), nil)
	for _, sts := range []bool{false, true} {
		creds := credentials.NewStaticCredentialsProvider(akID, akSec)
		if sts {
			creds = credentials.NewStaticCredentialsProvider(stsID, stsSec, stsTok)
		}
		c := client(t, ep, creds)
		key := "exampledir/post-" + strconv.FormatBool(sts) + ".txt"
		f, err := c.PresignPost(context.Background(), storage.PostUpload{Key: key, ContentType: "text/plain", MaxBytes: 4096}, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if f.URL != ep+"/"+bucket {
			t.Fatalf("url %q, want path style %q", f.URL, ep+"/"+bucket)
		}
		if d := time.Until(f.Expires); d < 4*time.Minute || d > 5*time.Minute {
			t.Fatalf("expires in %v", d)
		}
		// The range bounds the file, not the form: one byte over MaxBytes
		// is refused by OSS (a file of exactly MaxBytes is stored below).
		if st, body := postForm(t, f.URL, f.Fields, randomBytes(4097)); st != 400 || !strings.Contains(body, "EntityTooLarge") {
			t.Fatalf("sts=%v: too large: %d %s", sts, st, body)
		}
		// Another key than the pinned one: the policy refuses.
		other := clone(f.Fields)
		other["key"] = "exampledir/other.txt"
		if st, body := postForm(t, f.URL, other, []byte("x")); st != 403 || !strings.Contains(body, "Policy Condition failed") {
			t.Fatalf("sts=%v: other key: %d %s", sts, st, body)
		}
		other = clone(f.Fields)
		other["Content-Type"] = "text/html"
		if st, _ := postForm(t, f.URL, other, []byte("x")); st != 403 {
			t.Fatalf("sts=%v: other type: %d", sts, st)
		}
		other = clone(f.Fields)
		delete(other, "x-oss-forbid-overwrite")
		if st, _ := postForm(t, f.URL, other, []byte("x")); st != 403 {
			t.Fatalf("sts=%v: without forbid-overwrite: %d", sts, st)
		}
		exact := randomBytes(4096)
		if st, body := postForm(t, f.URL, f.Fields, exact); st != 204 {
			t.Fatalf("sts=%v: upload of exactly MaxBytes: %d %s", sts, st, body)
		}
		if got := read(t, ep, key); !bytes.Equal(got, exact) {
			t.Fatalf("stored %d bytes, want the 4096 sent", len(got))
		}
		// The same form again: forbid-overwrite.
		if st, body := postForm(t, f.URL, f.Fields, []byte("again")); st != 409 {
			t.Fatalf("sts=%v: second post: %d %s", sts, st, body)
		}
	}
}

func TestPresignPostVirtualHostURL(t *testing.T) {
	c, err := storage.New(storage.Config{Bucket: bucket, Region: region, Endpoint: "https://oss-cn-hangzhou.aliyuncs.com",
		Credentials: credentials.NewStaticCredentialsProvider(akID, akSec)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.PresignPost(context.Background(), storage.PostUpload{Key: "exampledir/a", ContentType: "text/plain", MaxBytes: 10}, time.Minute)
	if err != nil || f.URL != "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/" {
		t.Fatalf("url %q %v", f.URL, err)
	}
	if _, err := c.PresignPost(context.Background(), storage.PostUpload{Key: "exampledir/a", MaxBytes: 10}, 8*24*time.Hour); err == nil {
		t.Fatal("8-day post policy accepted")
	}
}

func TestPresignGet(t *testing.T) {
	ep := serverWith(t, fullPolicy(t), nil)
	c := client(t, ep, credentials.NewStaticCredentialsProvider(akID, akSec))
	ctx := context.Background()
	if _, err := c.Put(ctx, storage.Upload{Key: "exampledir/report.pdf", ContentType: "application/pdf"}, []byte("%PDF-1.7")); err != nil {
		t.Fatal(err)
	}
	p, err := c.PresignGet(ctx, storage.Download{Key: "exampledir/report.pdf", ContentDisposition: `attachment; filename="r.pdf"`}, time.Minute)
	if err != nil || p.Method != "GET" || len(p.Headers) != 0 {
		t.Fatalf("presign get: %+v %v", p, err)
	}
	res, err := http.Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "%PDF-1.7" || res.Header.Get("Content-Disposition") != `attachment; filename="r.pdf"` {
		t.Fatalf("GET: %d %q disposition %q", res.StatusCode, b, res.Header.Get("Content-Disposition"))
	}
	// Without oss:GetObject (the docs' PutObject-only policy) OSS refuses.
	ep2 := serverWith(t, ossemu.PutPolicy(bucket, "exampledir/"), nil)
	c2 := client(t, ep2, credentials.NewStaticCredentialsProvider(akID, akSec))
	c2.Put(ctx, storage.Upload{Key: "exampledir/x", ContentType: "text/plain"}, []byte("x"))
	p2, _ := c2.PresignGet(ctx, storage.Download{Key: "exampledir/x"}, time.Minute)
	if res, err := http.Get(p2.URL); err != nil || res.StatusCode != 403 {
		t.Fatalf("GET without oss:GetObject: %v %v", res.StatusCode, err)
	} else {
		res.Body.Close()
	}
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
