package storage_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossbroker/ossbroker/pkg/devtools/docsamples"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// TestDocumentedErrors: OSS's own error bodies (the OSS SDK's samples in
// docsamples), answered to the reads the inspector makes, are classified
// as the package documents: NoSuchKey is ErrNotFound, SignatureDoesNotMatch
// is ErrDenied, each naming OSS's code and request id.
func TestDocumentedErrors(t *testing.T) {
	for _, c := range []struct {
		sample string
		status int
		want   error
		code   string
	}{
		{"oss-error-nosuchkey.xml", 404, storage.ErrNotFound, "NoSuchKey"},
		{"oss-error-signaturedoesnotmatch.xml", 403, storage.ErrDenied, "SignatureDoesNotMatch"},
	} {
		t.Run(c.sample, func(t *testing.T) {
			body := docsamples.Read(c.sample)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/xml")
				w.Header().Set("x-oss-request-id", "5C3D9175B6FC201293AD0000")
				if r.Method == http.MethodHead {
					w.Header().Set("x-oss-err", base64.StdEncoding.EncodeToString(body))
					w.WriteHeader(c.status)
					return
				}
				w.WriteHeader(c.status)
				w.Write(body)
			}))
			defer srv.Close()
			cl, err := storage.New(storage.Config{Bucket: "bucket", Region: "cn-hangzhou", Endpoint: srv.URL, PathStyle: true,
				Credentials: credentials.NewStaticCredentialsProvider("LTAI5tDocSample", "DocSampleSecret")})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			_, errRead := cl.ReadStart(ctx, "exampledir/a.png", 512, "")
			_, errHead := cl.Head(ctx, "exampledir/a.png")
			for name, err := range map[string]error{"ReadStart": errRead, "Head": errHead} {
				if !errors.Is(err, c.want) {
					t.Errorf("%s: %v, want %v", name, err, c.want)
				}
				if name == "ReadStart" && (err == nil || !strings.Contains(err.Error(), c.code)) {
					t.Errorf("%s: %v does not name %s", name, err, c.code)
				}
			}
		})
	}
}
