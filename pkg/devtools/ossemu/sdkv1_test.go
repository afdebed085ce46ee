package ossemu

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// TestSDKv1 checks that a separately written client, aliyun-oss-go-sdk
// v3.0.2 in V4 mode, is accepted: signed requests and SignURL.
func TestSDKv1(t *testing.T) {
	env := newEnv(t, nil)
	client, err := ossv1.New(env.endpoint, ownerAK, ownerSK, ossv1.AuthVersion(ossv1.AuthV4), ossv1.Region(testRegion))
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Bucket(testBucket)
	if err != nil {
		t.Fatal(err)
	}
	key := "v1dir/a b+c ü.txt"
	if err := b.PutObject(key, strings.NewReader("from v1"), ossv1.ContentType("text/plain"), ossv1.Meta("Color", "red")); err != nil {
		t.Fatal(err)
	}
	rc, err := b.GetObject(key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "from v1" {
		t.Fatalf("get = %q", got)
	}
	meta, err := b.GetObjectDetailedMeta(key)
	if err != nil || meta.Get("X-Oss-Meta-Color") != "red" || meta.Get("Content-Type") != "text/plain" {
		t.Fatalf("meta = %v %v", meta, err)
	}
	lr, err := b.ListObjects(ossv1.Prefix("v1dir/"))
	if err != nil || len(lr.Objects) != 1 || lr.Objects[0].Key != key {
		t.Fatalf("list v1 = %+v %v", lr, err)
	}
	lr2, err := b.ListObjectsV2(ossv1.Prefix("v1dir/"))
	if err != nil || len(lr2.Objects) != 1 || lr2.Objects[0].Key != key {
		t.Fatalf("list v2 = %+v %v", lr2, err)
	}

	// SignURL PUT with a content type, then GET, performed by net/http.
	putURL, err := b.SignURL("v1dir/signed.png", ossv1.HTTPPut, 600, ossv1.ContentType("image/png"))
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, "PUT", putURL, map[string]string{"Content-Type": "image/png"}, "img"); r.status != 200 {
		t.Fatalf("signed PUT: %d %s", r.status, r.body)
	}
	if r := do(t, "PUT", putURL, map[string]string{"Content-Type": "image/jpeg"}, "img"); r.status != 403 ||
		!strings.Contains(r.body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Fatalf("signed PUT with other content type: %d %s", r.status, r.body)
	}
	getURL, err := b.SignURL("v1dir/signed.png", ossv1.HTTPGet, 600)
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, "GET", getURL, nil, ""); r.status != 200 || r.body != "img" {
		t.Fatalf("signed GET: %d %s", r.status, r.body)
	}
	// The SDK's own URL helpers.
	if err := b.PutObjectWithURL(putURL, bytes.NewReader([]byte("img2")), ossv1.ContentType("image/png")); err != nil {
		t.Fatal(err)
	}

	// Errors parse into the V1 SDK's ServiceError too.
	_, err = b.GetObject("v1dir/missing")
	var se ossv1.ServiceError
	if !errors.As(err, &se) || se.StatusCode != 404 || se.Code != "NoSuchKey" || !reqIDPattern.MatchString(se.RequestID) {
		t.Fatalf("missing object error = %#v", err)
	}
	if err := b.DeleteObject(key); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.IsObjectExist(key); err != nil || ok {
		t.Fatalf("exists after delete: %v %v", ok, err)
	}
}
