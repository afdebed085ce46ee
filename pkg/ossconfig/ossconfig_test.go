package ossconfig_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

const (
	bucket      = "examplebucket"
	region      = "cn-hangzhou"
	ramID       = "LTAI5tRamOssconfig"
	ramSecret   = "RamSecretForOssconfig0123"
	ownerID     = "LTAI5tOwnerOssconfig"
	ownerSecret = "OwnerSecretForOssconfig01"
)

func TestRAMPolicyDocument(t *testing.T) {
	keys, err := objectkey.NewPolicy("exampledir/")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ossconfig.JSON(ossconfig.RAMPolicy(bucket, keys.Pattern(), ossconfig.BrokerActions))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "oss:PutObject"
      ],
      "Resource": [
        "acs:oss:*:*:examplebucket/exampledir/*"
      ]
    }
  ]
}
`
	if string(got) != want {
		t.Fatalf("policy:\n%s\nwant:\n%s", got, want)
	}
}

// TestRAMPolicyInEmulator loads the printed policy into the local OSS
// server for the RAM user and checks that it permits exactly what the broker
// does (PutObject directly and through a presigned URL, under the prefix,
// for every user of a per-user prefix) and nothing else.
func TestRAMPolicyInEmulator(t *testing.T) {
	for _, tt := range []struct {
		template string
		allowed  []string
		denied   []string
	}{
		{"exampledir/", []string{"exampledir/a.txt", "exampledir/x/y/z.bin"}, []string{"exampledir", "exampledir2/a.txt", "other/a.txt"}},
		{"exampledir/{sub}/", []string{"exampledir/alice/a.txt", "exampledir/bob/x/y.bin"}, []string{"exampledir/a.txt", "other/alice/a.txt"}},
	} {
		t.Run(tt.template, func(t *testing.T) {
			keys, err := objectkey.NewPolicy(tt.template)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := ossconfig.JSON(ossconfig.RAMPolicy(bucket, keys.Pattern(), ossconfig.BrokerActions))
			if err != nil {
				t.Fatal(err)
			}
			policy, err := ossemu.ParsePolicy(doc)
			if err != nil {
				t.Fatalf("the local OSS server refuses the printed policy: %v\n%s", err, doc)
			}
			endpoint := startOSS(t, policy, nil)
			store, err := storage.New(storage.Config{Bucket: bucket, Region: region, Endpoint: endpoint, PathStyle: true,
				Credentials: storage.Credentials(ramID, ramSecret, nil), RequestTimeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, key := range tt.allowed {
				if _, err := store.Put(ctx, storage.Upload{Key: key, ContentType: "text/plain"}, []byte("direct")); err != nil {
					t.Errorf("direct upload of %q: %v", key, err)
				}
				ps, err := store.PresignPut(ctx, storage.Upload{Key: key + ".presigned", ContentType: "text/plain"}, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				if status, body := send(t, ps.Method, ps.URL, ps.Headers, "presigned"); status != 200 {
					t.Errorf("presigned PUT of %q: %d %s", key, status, body)
				}
			}
			for _, key := range tt.denied {
				ps, err := store.PresignPut(ctx, storage.Upload{Key: key, ContentType: "text/plain"}, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				if status, body := send(t, ps.Method, ps.URL, ps.Headers, "x"); status != 403 || !strings.Contains(body, "AccessDenied") {
					t.Errorf("PUT of %q outside the pattern: %d %s, want 403 AccessDenied", key, status, body)
				}
			}
			// Reads and listings are not the broker's business.
			ram := oss.NewClient(oss.LoadDefaultConfig().WithRegion(region).WithEndpoint(endpoint).
				WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ramID, ramSecret)))
			_, err = ram.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(tt.allowed[0])})
			if se := (*oss.ServiceError)(nil); !errors.As(err, &se) || se.StatusCode != 403 {
				t.Errorf("GetObject with the RAM user: %v, want 403", err)
			}
			_, err = ram.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr(bucket)})
			if se := (*oss.ServiceError)(nil); !errors.As(err, &se) || se.StatusCode != 403 {
				t.Errorf("ListObjects with the RAM user: %v, want 403", err)
			}
		})
	}
}

func TestBucketCORSDocument(t *testing.T) {
	if _, err := ossconfig.BucketCORS(nil); !errors.Is(err, ossconfig.ErrNoOrigins) {
		t.Fatalf("no origins: %v, want ErrNoOrigins", err)
	}
	cfg, err := ossconfig.BucketCORS([]string{"https://app.example.com", "https://admin.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ossconfig.JSON(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "CORSRule": [
    {
      "AllowedOrigin": [
        "https://app.example.com",
        "https://admin.example.com"
      ],
      "AllowedMethod": [
        "PUT",
        "POST",
        "GET"
      ],
      "AllowedHeader": [
        "content-type",
        "content-md5",
        "x-oss-*"
      ],
      "ExposeHeader": [
        "ETag",
        "x-oss-request-id"
      ],
      "MaxAgeSeconds": 600
    }
  ],
  "ResponseVary": false
}
`
	if string(got) != want {
		t.Fatalf("CORS:\n%s\nwant:\n%s", got, want)
	}
}

// TestBucketCORSInEmulator applies the printed rule to the local OSS server
// and preflights what a browser sends for the broker's presigned URLs.
func TestBucketCORSInEmulator(t *testing.T) {
	const origin = "https://app.example.com"
	cfg, err := ossconfig.BucketCORS([]string{origin})
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.CORSRule[0]
	endpoint := startOSS(t, ossemu.PutPolicy(bucket, "exampledir/"), []ossemu.CORSRule{{
		AllowedOrigins: r.AllowedOrigin, AllowedMethods: r.AllowedMethod, AllowedHeaders: r.AllowedHeader,
		ExposeHeaders: r.ExposeHeader, MaxAgeSeconds: r.MaxAgeSeconds,
	}})

	// Every header a presigned URL can require, except Content-Length,
	// which browsers set themselves and never preflight.
	store, err := storage.New(storage.Config{Bucket: bucket, Region: region, Endpoint: endpoint, PathStyle: true,
		Credentials: storage.Credentials(ramID, ramSecret, nil)})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := store.PresignPut(context.Background(), storage.Upload{
		Key: "exampledir/a.png", ContentType: "image/png", ContentLength: oss.Ptr[int64](3), ContentMD5: "rL0Y20zC+Fzt72VPzMSk2A==",
		Metadata: map[string]string{"owner": "alice"},
	}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range ps.Headers {
		if !strings.EqualFold(k, "Content-Length") {
			names = append(names, strings.ToLower(k))
		}
	}
	if len(names) < 4 {
		t.Fatalf("presigned headers %v: expected Content-Type, Content-MD5, x-oss-forbid-overwrite and x-oss-meta-owner", ps.Headers)
	}
	for _, tt := range []struct {
		name, origin, method, headers string
		want                          int
	}{
		{"presigned PUT", origin, "PUT", strings.Join(names, ","), 200},
		{"other origin", "https://evil.example.com", "PUT", "content-type", 403},
		{"origin with another port", origin + ":8443", "PUT", "content-type", 403},
		{"DELETE", origin, "DELETE", "", 403},
		{"header the broker never asks for", origin, "PUT", "content-type,authorization", 403},
	} {
		req, _ := http.NewRequest("OPTIONS", endpoint+"/"+bucket+"/exampledir/a.png", nil)
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", tt.method)
		if tt.headers != "" {
			req.Header.Set("Access-Control-Request-Headers", tt.headers)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("%s: preflight %d, want %d", tt.name, res.StatusCode, tt.want)
		}
		if tt.want == 200 {
			if got := res.Header.Get("Access-Control-Expose-Headers"); got != "ETag, x-oss-request-id" {
				t.Errorf("%s: exposes %q", tt.name, got)
			}
		}
	}
}

func startOSS(t *testing.T, policy *ossemu.Policy, cors []ossemu.CORSRule) string {
	t.Helper()
	srv, err := ossemu.New(ossemu.Config{
		Region:  region,
		Buckets: []string{bucket},
		Users: []ossemu.User{
			{AccessKeyID: ramID, AccessKeySecret: ramSecret, Policy: policy},
			{AccessKeyID: ownerID, AccessKeySecret: ownerSecret},
		},
		CORS: cors,
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

func send(t *testing.T, method, url string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestPolicyAllowAddsAStatement(t *testing.T) {
	base := ossconfig.RAMPolicy(bucket, "exampledir/", ossconfig.BrokerActions)
	p := base.Allow(bucket, "exampledir/webhooks/", "oss:GetObject")
	if len(base.Statement) != 1 || len(p.Statement) != 2 {
		t.Fatalf("Allow changed its receiver or added no statement: %d, %d", len(base.Statement), len(p.Statement))
	}
	doc, err := ossconfig.JSON(p)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := ossemu.ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	arn := func(key string) string { return "acs:oss:cn-hangzhou:1234567890123456:" + bucket + "/" + key }
	for _, tt := range []struct {
		action, key string
		want        bool
	}{
		{"oss:PutObject", "exampledir/a.txt", true},
		{"oss:GetObject", "exampledir/webhooks/github/x.json", true},
		{"oss:GetObject", "exampledir/a.txt", false},
		{"oss:DeleteObject", "exampledir/webhooks/github/x.json", false},
	} {
		if got := policy.Allows(tt.action, arn(tt.key)); got != tt.want {
			t.Errorf("%s on %s: %v, want %v", tt.action, tt.key, got, tt.want)
		}
	}
}

// TestInspectorPolicy: the inspector's policy reads and acts on a verdict
// under the prefix only, per REJECTED_UPLOADS, and never writes an object.
func TestInspectorPolicy(t *testing.T) {
	arn := func(key string) string { return "acs:oss:cn-hangzhou:1234567890123456:" + bucket + "/" + key }
	for _, mode := range []string{"delete", "tag"} {
		doc, err := ossconfig.JSON(ossconfig.InspectorPolicy(bucket, "exampledir/", "ossbroker-quarantine/", mode))
		if err != nil {
			t.Fatal(err)
		}
		policy, err := ossemu.ParsePolicy(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			action, key string
			want        bool
		}{
			{"oss:GetObject", "exampledir/a.png", true},
			{"oss:DeleteObject", "exampledir/a.png", mode == "delete"},
			{"oss:PutObjectTagging", "exampledir/a.png", mode == "tag"},
			{"oss:GetObjectTagging", "exampledir/a.png", mode == "tag"},
			{"oss:PutObject", "exampledir/a.png", false},
			{"oss:GetObject", "elsewhere/a.png", false},
			{"oss:DeleteObject", "elsewhere/a.png", false},
		} {
			if got := policy.Allows(tt.action, arn(tt.key)); got != tt.want {
				t.Errorf("%s: %s on %s: %v, want %v", mode, tt.action, tt.key, got, tt.want)
			}
		}
	}
}
