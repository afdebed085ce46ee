package inspect

import (
	"context"
	"errors"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

const (
	bucket = "examplebucket"
	region = "cn-hangzhou"
)

// env is the local OSS server with a RAM user allowed policy's actions on
// exampledir/, and storage clients for that user and the owner.
type env struct {
	ram, owner *storage.Client
}

func newEnv(t testing.TB, actions ...string) env {
	t.Helper()
	doc := `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"`
	for _, a := range actions {
		doc += `,"` + a + `"`
	}
	doc += `],"Resource":["acs:oss:*:*:examplebucket/exampledir/*"]}]}`
	pol, err := ossemu.ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvPolicy(t, pol)
}

// newModeEnv is the local OSS server with the inspector's printed policy for
// mode (ossconfig.InspectorPolicy).
func newModeEnv(t testing.TB, mode Action) env {
	t.Helper()
	doc, err := ossconfig.JSON(ossconfig.InspectorPolicy(bucket, "exampledir/", QuarantineFolder, string(mode)))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := ossemu.ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	return newEnvPolicy(t, pol)
}

func newEnvPolicy(t testing.TB, pol *ossemu.Policy) env {
	srv, err := ossemu.New(ossemu.Config{Region: region, Buckets: []string{bucket}, Users: []ossemu.User{
		{AccessKeyID: "LTAIram", AccessKeySecret: "ram-secret", Policy: pol},
		{AccessKeyID: "LTAIowner", AccessKeySecret: "owner-secret"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	addr, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id, secret string) *storage.Client {
		c, err := storage.New(storage.Config{Bucket: bucket, Region: region, Endpoint: "http://" + addr.String(), PathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(id, secret)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return env{ram: mk("LTAIram", "ram-secret"), owner: mk("LTAIowner", "owner-secret")}
}

func (e env) put(t *testing.T, key, ct string, body []byte) {
	t.Helper()
	if _, err := e.owner.Put(context.Background(), storage.Upload{Key: key, ContentType: ct, Overwrite: true}, body); err != nil {
		t.Fatal(err)
	}
}

func TestInspectDeleteMode(t *testing.T) {
	e := newModeEnv(t, Delete)
	ctx := context.Background()
	in, err := New(Config{Store: e.ram, MaxSize: 1 << 20, Action: Delete})
	if err != nil {
		t.Fatal(err)
	}
	png := samplePNG(t)
	e.put(t, "exampledir/good.png", "image/png", png)
	r, err := in.Inspect(ctx, Request{Bucket: bucket, Key: "exampledir/good.png", Size: int64(len(png))})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != Accepted || r.DetectedType != "image/png" || r.DeclaredType != "image/png" || r.Size != int64(len(png)) || r.ETag == "" || r.CRC64 == "" || r.Action != "" {
		t.Fatalf("receipt %+v", r)
	}
	e.put(t, "exampledir/bad.png", "image/png", []byte(sampleHTML))
	r, err = in.Inspect(ctx, Request{Bucket: bucket, Key: "exampledir/bad.png"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != Rejected || r.Reason != ReasonTypeMismatch || r.DetectedType != "text/html" || r.Action != "deleted" {
		t.Fatalf("receipt %+v", r)
	}
	if _, err := e.owner.Head(ctx, "exampledir/bad.png"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("rejected object still there: %v", err)
	}
	// An empty object: the range cannot be satisfied, the whole (empty)
	// object comes back.
	e.put(t, "exampledir/empty.txt", "text/plain", nil)
	if r, err := in.Inspect(ctx, Request{Bucket: bucket, Key: "exampledir/empty.txt"}); err != nil || r.Verdict != Accepted || r.Size != 0 {
		t.Fatalf("empty object: %+v, %v", r, err)
	}
	// A big object: only ReadBytes are read, the size is the whole.
	big := append(samplePNG(t), make([]byte, 100<<10)...)
	e.put(t, "exampledir/big.png", "image/png", big)
	if r, err := in.Inspect(ctx, Request{Bucket: bucket, Key: "exampledir/big.png"}); err != nil || r.Verdict != Accepted || r.Size != int64(len(big)) {
		t.Fatalf("big object: %+v, %v", r, err)
	}
	if _, err := in.Inspect(ctx, Request{Bucket: "otherbucket", Key: "exampledir/big.png"}); !errors.Is(err, ErrForeignBucket) {
		t.Fatalf("foreign bucket: %v", err)
	}
	if _, err := in.Inspect(ctx, Request{Bucket: bucket, Key: "exampledir/missing"}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
}

func TestInspectTagMode(t *testing.T) {
	e := newModeEnv(t, Tag)
	ctx := context.Background()
	in, err := New(Config{Store: e.ram, MaxSize: 1 << 20, Action: Tag})
	if err != nil {
		t.Fatal(err)
	}
	e.put(t, "exampledir/bad.jpg", "image/jpeg", []byte(sampleHTML))
	r, err := in.Inspect(ctx, Request{Bucket: bucket, Key: "exampledir/bad.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != Rejected || r.Action != "tagged" || r.DetectedType != "text/html" {
		t.Fatalf("receipt %+v", r)
	}
	tags, err := e.owner.Tags(ctx, "exampledir/bad.jpg")
	if err != nil || tags[TagVerdict] != Rejected || tags[TagReason] != ReasonTypeMismatch {
		t.Fatalf("tags %v, %v", tags, err)
	}
}

// TestInspectNeverLooksAccepted: when the verdict cannot be carried out
// (RAM lacks DeleteObject or PutObjectTagging), Inspect fails and the
// object is not reported accepted.
func TestInspectNeverLooksAccepted(t *testing.T) {
	e := newEnv(t, "oss:GetObject")
	ctx := context.Background()
	for _, action := range []Action{Quarantine, Delete, Tag} {
		in, _ := New(Config{Store: e.ram, MaxSize: 1 << 20, Action: action})
		e.put(t, "exampledir/bad.gif", "image/gif", []byte(sampleHTML))
		r, err := in.Inspect(ctx, Request{Bucket: bucket, Key: "exampledir/bad.gif"})
		if !errors.Is(err, storage.ErrDenied) || r.Verdict != "" {
			t.Fatalf("%s without permission: %+v, %v", action, r, err)
		}
	}
	// Without GetObject nothing is judged.
	e2 := newEnv(t)
	in, _ := New(Config{Store: e2.ram, MaxSize: 1 << 20})
	e2.put(t, "exampledir/x.png", "image/png", samplePNG(t))
	if _, err := in.Inspect(ctx, Request{Bucket: bucket, Key: "exampledir/x.png"}); !errors.Is(err, storage.ErrDenied) {
		t.Fatalf("without GetObject: %v", err)
	}
}

func TestInspectAllowlist(t *testing.T) {
	e := newModeEnv(t, Delete)
	allowed, _ := mediatype.ParseAllowlist("image/*,application/octet-stream")
	in, _ := New(Config{Store: e.ram, MaxSize: 1 << 20, Allowed: allowed, Action: Delete})
	e.put(t, "exampledir/a.bin", "application/octet-stream", samplePDF())
	r, err := in.Inspect(context.Background(), Request{Bucket: bucket, Key: "exampledir/a.bin"})
	if err != nil || r.Verdict != Rejected || r.Reason != ReasonTypeRefused {
		t.Fatalf("a PDF as octet-stream under image/*: %+v, %v", r, err)
	}
}

// BenchmarkInspect is one whole inspection of an accepted 1 MiB PNG: the
// ranged GET of ReadBytes through the SDK to the local OSS server over
// loopback, detection and the verdict.
func BenchmarkInspect(b *testing.B) {
	e := newModeEnv(b, Quarantine)
	in, _ := New(Config{Store: e.ram, MaxSize: 1 << 30})
	body := append(samplePNG(b), make([]byte, 1<<20)...)
	if _, err := e.owner.Put(context.Background(), storage.Upload{Key: "exampledir/b.png", ContentType: "image/png", Overwrite: true}, body); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(ReadBytes)
	b.ReportAllocs()
	for b.Loop() {
		r, err := in.Inspect(context.Background(), Request{Bucket: bucket, Key: "exampledir/b.png"})
		if err != nil || r.Verdict != Accepted {
			b.Fatal(r, err)
		}
	}
}
