package storage_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossbroker/ossbroker/pkg/storage"
)

// TestHead: the owner (full access) reads what Put stored; the RAM user of
// the docs' PutObject-only policy gets ErrDenied (also ErrUnavailable); a
// missing key is ErrNotFound.
func TestHead(t *testing.T) {
	ep := server(t)
	ctx := context.Background()
	ram := client(t, ep, credentials.NewStaticCredentialsProvider(akID, akSec))
	body := []byte(`{"hello":"head"}`)
	if _, err := ram.Put(ctx, storage.Upload{Key: "exampledir/h.json", ContentType: "application/json",
		Metadata: map[string]string{"webhook-id": "evt-1"}}, body); err != nil {
		t.Fatal(err)
	}
	own := client(t, ep, credentials.NewStaticCredentialsProvider(owner, ownSec))
	info, err := own.Head(ctx, "exampledir/h.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	if info.Key != "exampledir/h.json" || info.Bucket != bucket || info.Size != int64(len(body)) ||
		info.ContentType != "application/json" || info.ETag != strings.ToUpper(hex.EncodeToString(sum[:])) ||
		info.ContentMD5 != base64.StdEncoding.EncodeToString(sum[:]) || info.Metadata["webhook-id"] != "evt-1" {
		t.Fatalf("head: %+v", info)
	}
	if _, err := own.Head(ctx, "exampledir/missing"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	_, err = ram.Head(ctx, "exampledir/h.json")
	if !errors.Is(err, storage.ErrDenied) || !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("put-only policy: %v", err)
	}
}
