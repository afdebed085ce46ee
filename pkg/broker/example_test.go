package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/broker"
	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// A presign request through the broker's [http.Handler]: a caller with a valid token asks for a
// URL to PUT one object under the allowed prefix, and gets a V4 presigned URL. Signing needs no
// call to OSS, so the storage client points at the region's public endpoint and is never dialled.
// The URL's date and signature change with the clock, so only the fields that do not are printed.
func ExampleBroker_ServeHTTP() {
	secret := []byte("0123456789abcdef0123456789abcdef")
	verifier, err := auth.NewVerifier(context.Background(), auth.Config{HS256Secret: secret})
	if err != nil {
		panic(err)
	}
	keys, err := objectkey.NewPolicy("exampledir/")
	if err != nil {
		panic(err)
	}
	store, err := storage.New(storage.Config{
		Bucket:      "examplebucket",
		Region:      "cn-hangzhou",
		Endpoint:    "https://oss-cn-hangzhou.aliyuncs.com",
		Credentials: storage.Credentials("LTAI5tExampleKeyID", "ExampleAccessKeySecret", func(string) string { return "" }),
	})
	if err != nil {
		panic(err)
	}
	b, err := broker.New(broker.Config{
		Auth: verifier, Keys: keys, Storage: store,
		ContentTypes: mediatype.Allowlist{},
		PresignTTL:   15 * time.Minute, PresignMaxTTL: time.Hour,
		MaxUploadBytes: 5 << 30, MaxDirectUploadBytes: 5 << 20,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	token, err := auth.MintHS256(secret, "alice", time.Hour, nil)
	if err != nil {
		panic(err)
	}

	presign := func(body string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/presign", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, req)
		var res struct {
			Method  string
			URL     string
			Headers map[string]string
			Error   struct{ Code string }
		}
		if err := json.NewDecoder(rec.Body).Decode(&res); err != nil {
			panic(err)
		}
		if rec.Code != http.StatusOK {
			fmt.Println(rec.Code, res.Error.Code)
			return
		}
		u, err := url.Parse(res.URL)
		if err != nil {
			panic(err)
		}
		q := u.Query()
		fmt.Println(rec.Code, res.Method, u.Scheme+"://"+u.Host+u.Path)
		fmt.Println("  credential:", strings.Split(q.Get("x-oss-credential"), "/")[0])
		fmt.Println("  expires:", q.Get("x-oss-expires"), q.Get("x-oss-signature-version"))
		fmt.Println("  headers:", res.Headers)
	}
	presign(`{"key":"exampledir/photos/cat.png","contentType":"image/png"}`)
	presign(`{"key":"otherdir/cat.png","contentType":"image/png"}`)
	// Output:
	// 200 PUT https://examplebucket.oss-cn-hangzhou.aliyuncs.com/exampledir/photos/cat.png
	//   credential: LTAI5tExampleKeyID
	//   expires: 900 OSS4-HMAC-SHA256
	//   headers: map[Content-Type:image/png x-oss-forbid-overwrite:true]
	// 403 key_outside_prefix
}
