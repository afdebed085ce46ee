package ossemu

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		h        string
		size     int64
		std      bool
		start, n int64
		partial  bool
		err      bool
	}{
		{"", 10, false, 0, 10, false, false},
		{"bytes=0-0", 10, false, 0, 1, true, false},
		{"bytes=2-5", 10, false, 2, 4, true, false},
		{"bytes=5-", 10, false, 5, 5, true, false},
		{"bytes=-3", 10, false, 7, 3, true, false},
		{"bytes=-30", 10, false, 0, 10, true, false},
		{"bytes=8-100", 10, false, 8, 2, true, false},
		{"bytes=10-20", 10, false, 0, 10, false, false},
		{"bytes=10-20", 10, true, 0, 0, false, true},
		{"bytes=5-2", 10, false, 0, 10, false, false},
		{"bytes=0-1,3-4", 10, false, 0, 10, false, false},
		{"items=0-1", 10, false, 0, 10, false, false},
		{"bytes=a-b", 10, false, 0, 10, false, false},
		{"bytes=-0", 10, false, 0, 10, false, false},
		{"bytes=0-", 0, true, 0, 0, false, true},
	} {
		std := ""
		if c.std {
			std = "standard"
		}
		start, n, partial, e := parseRange(c.h, c.size, std)
		if (e != nil) != c.err || (!c.err && (start != c.start || n != c.n || partial != c.partial)) {
			t.Errorf("parseRange(%q, %d, %q) = %d %d %v %v", c.h, c.size, std, start, n, partial, e)
		}
	}
}

func TestConditionalGet(t *testing.T) {
	env := newEnv(t, nil)
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	put, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("cond"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("cond"), IfMatch: oss.Ptr(`"0000"`)})
	wantServiceError(t, err, 412, "PreconditionFailed", "")
	g, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("cond"), IfMatch: put.ETag})
	if err != nil {
		t.Fatal(err)
	}
	g.Body.Close()
	r := signedRequest(t, "GET", env.endpoint+"/"+testBucket+"/cond", nil, map[string]string{"If-None-Match": *put.ETag}, ownerAK, ownerSK, time.Now())
	if resp := doReq(t, r); resp.status != 304 || resp.body != "" {
		t.Fatalf("If-None-Match: %d %q", resp.status, resp.body)
	}
	// response-* overrides are signed query parameters.
	r = signedRequest(t, "GET", env.endpoint+"/"+testBucket+"/cond?response-content-type=text%2Fhtml&response-content-disposition=inline", nil, nil, ownerAK, ownerSK, time.Now())
	if resp := doReq(t, r); resp.status != 200 || resp.header.Get("Content-Type") != "text/html" || resp.header.Get("Content-Disposition") != "inline" {
		t.Fatalf("overrides: %d %v", resp.status, resp.header)
	}
}

func TestUserMetadataLimit(t *testing.T) {
	env := newEnv(t, nil)
	c := env.client(ownerAK, ownerSK)
	_, err := c.PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("meta"),
		Body: strings.NewReader("x"), Metadata: map[string]string{"a": strings.Repeat("v", 8<<10)}})
	wantServiceError(t, err, 400, "InvalidArgument", "0011-00000002")
	if _, err := c.PutObject(context.Background(), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("meta"),
		Body: strings.NewReader("x"), Metadata: map[string]string{"a": strings.Repeat("v", 4<<10)}}); err != nil {
		t.Fatal(err)
	}
}

// TestMultipartRules covers what the SDK will not send: unsorted or
// duplicate part lists, forbid-overwrite at complete, wrong key.
func TestMultipartRules(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(t, func(c *Config) { c.Dir = dir })
	c := env.client(ownerAK, ownerSK)
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("mp/exists"), Body: strings.NewReader("old")}); err != nil {
		t.Fatal(err)
	}
	init, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("mp/exists")})
	if err != nil {
		t.Fatal(err)
	}
	etags := map[int]string{}
	for i := 1; i <= 3; i++ {
		up, err := c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("mp/exists"), UploadId: init.UploadId,
			PartNumber: int32(i), Body: bytes.NewReader(bytes.Repeat([]byte{byte('0' + i)}, minPartSize))})
		if err != nil {
			t.Fatal(err)
		}
		etags[i] = *up.ETag
	}
	body := func(nums ...int) string {
		var b strings.Builder
		b.WriteString("<CompleteMultipartUpload>")
		for _, n := range nums {
			fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n, etags[n])
		}
		b.WriteString("</CompleteMultipartUpload>")
		return b.String()
	}
	complete := func(key, xmlBody string, hdr map[string]string) response {
		r := signedRequest(t, "POST", env.endpoint+"/"+testBucket+"/"+key+"?uploadId="+*init.UploadId, strings.NewReader(xmlBody), hdr, ownerAK, ownerSK, time.Now())
		return doReq(t, r)
	}
	for _, c := range []struct {
		name, key, body string
		hdr             map[string]string
		status          int
		code            string
	}{
		{"descending", "mp/exists", body(2, 1), nil, 400, "InvalidPartOrder"},
		{"duplicate", "mp/exists", body(1, 1, 2), nil, 400, "InvalidPartOrder"},
		{"malformed", "mp/exists", "<CompleteMultipartUpload><Part>", nil, 400, "MalformedXML"},
		{"empty", "mp/exists", "<CompleteMultipartUpload></CompleteMultipartUpload>", nil, 400, "MalformedXML"},
		{"other key", "mp/other", body(1, 2), nil, 404, "NoSuchUpload"},
		{"forbid overwrite", "mp/exists", body(1, 3), map[string]string{"x-oss-forbid-overwrite": "true"}, 409, "FileAlreadyExists"},
		{"gap allowed", "mp/exists", body(1, 3), nil, 200, ""},
	} {
		resp := complete(c.key, c.body, c.hdr)
		if e := parseErr(t, resp.body); resp.status != c.status || (c.code != "" && e.Code != c.code) {
			t.Fatalf("%s: %d %s", c.name, resp.status, resp.body)
		}
		if c.status == 200 {
			var res struct {
				Key, ETag string
			}
			xml.Unmarshal([]byte(resp.body), &res)
			if res.Key != "mp/exists" || !strings.HasSuffix(res.ETag, `-2"`) || resp.header.Get("x-oss-hash-crc64ecma") == "" {
				t.Fatalf("complete result %s %v", resp.body, resp.header)
			}
		}
	}
	get, err := c.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("mp/exists")})
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	if get.ContentLength != 2*minPartSize {
		t.Fatalf("assembled size %d", get.ContentLength)
	}
	assertNoDebris(t, dir)

	// Forbid-overwrite given at initiate is refused right there when the object exists.
	_, err = c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("mp/exists"), ForbidOverwrite: oss.Ptr("true")})
	wantServiceError(t, err, 409, "FileAlreadyExists", "")
}
