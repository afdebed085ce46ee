package storage_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossbroker/ossbroker/pkg/storage"
)

// TestCopyConditional: a copy happens only while the source is the version
// named (x-oss-copy-source-if-match), keeps bytes and type, and needs read
// on the source as well as write on the destination.
func TestCopyConditional(t *testing.T) {
	ctx := context.Background()
	endpoint := server(t)
	own := client(t, endpoint, credentials.NewStaticCredentialsProvider(owner, ownSec))
	ram := client(t, endpoint, credentials.NewStaticCredentialsProvider(akID, akSec))
	obj, err := own.Put(ctx, storage.Upload{Key: "exampledir/a.txt", ContentType: "text/plain", Overwrite: true}, []byte("version one"))
	if err != nil {
		t.Fatal(err)
	}
	if err := own.Copy(ctx, "exampledir/a.txt", "q/a.txt", "0123456789ABCDEF0123456789ABCDEF"); !errors.Is(err, storage.ErrChanged) {
		t.Fatalf("copy of another version: %v, want ErrChanged", err)
	}
	if _, err := own.Head(ctx, "q/a.txt"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a refused copy wrote its destination: %v", err)
	}
	if err := own.Copy(ctx, "exampledir/a.txt", "q/a.txt", ""); err == nil {
		t.Fatal("a copy without the source's ETag ran")
	}
	if err := own.Copy(ctx, "exampledir/a.txt", "q/a.txt", obj.ETag); err != nil {
		t.Fatal(err)
	}
	st, err := own.ReadStart(ctx, "q/a.txt", 64, obj.ETag)
	if err != nil || !bytes.Equal(st.Bytes, []byte("version one")) || st.ContentType != "text/plain" {
		t.Fatalf("copy: %+v, %v", st, err)
	}
	if _, err := own.ReadStart(ctx, "exampledir/a.txt", 64, "0123456789ABCDEF0123456789ABCDEF"); !errors.Is(err, storage.ErrChanged) {
		t.Fatalf("read of another version: %v, want ErrChanged", err)
	}
	// PutObject on the prefix only: no read of the source, no write
	// outside.
	for _, c := range [][2]string{{"exampledir/a.txt", "exampledir/b.txt"}, {"exampledir/a.txt", "q/b.txt"}} {
		if err := ram.Copy(ctx, c[0], c[1], obj.ETag); !errors.Is(err, storage.ErrDenied) {
			t.Errorf("copy %s to %s without the rights: %v", c[0], c[1], err)
		}
	}
}
