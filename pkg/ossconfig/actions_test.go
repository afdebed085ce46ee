package ossconfig_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/ossconfig"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// TestRouteActionsInEmulator loads the policy -print-ram-policy prints with
// multipart on (uploads and multipart actions, then downloads) into the
// local OSS server: every call the multipart and presign-get routes make
// works under the prefix, and none outside it. (PostObject is authorized as
// oss:PutObject; pkg/devtools/ossemu and pkg/storage test it.)
func TestRouteActionsInEmulator(t *testing.T) {
	doc, err := ossconfig.JSON(ossconfig.RAMPolicy(bucket, "exampledir/", slices.Concat(ossconfig.BrokerActions, ossconfig.MultipartActions)).
		Allow(bucket, "exampledir/", ossconfig.DownloadActions...))
	if err != nil {
		t.Fatal(err)
	}
	policy, err := ossemu.ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := startOSS(t, policy, nil)
	store, err := storage.New(storage.Config{Bucket: bucket, Region: region, Endpoint: endpoint, PathStyle: true,
		Credentials: storage.Credentials(ramID, ramSecret, nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		key string
		ok  bool
	}{{"exampledir/a.bin", true}, {"other/a.bin", false}} {
		id, err := store.InitiateMultipart(ctx, storage.Upload{Key: tt.key, ContentType: "application/octet-stream"})
		if (err == nil) != tt.ok {
			t.Fatalf("%s: initiate: %v", tt.key, err)
		}
		if !tt.ok {
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("%s: initiate refused with %v, want the RAM denial", tt.key, err)
			}
		} else {
			p, err := store.PresignPart(ctx, tt.key, id, 1, 0, time.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			status, _ := send(t, p.Method, p.URL, p.Headers, "part one")
			if status != 200 {
				t.Fatalf("%s: part: %d", tt.key, status)
			}
			parts, err := store.ListParts(ctx, tt.key, id)
			if err != nil || len(parts) != 1 {
				t.Fatalf("%s: ListParts: %v %v", tt.key, parts, err)
			}
			if _, _, err := store.CompleteMultipart(ctx, tt.key, id, parts, false); err != nil {
				t.Fatalf("%s: complete: %v", tt.key, err)
			}
			id2, _ := store.InitiateMultipart(ctx, storage.Upload{Key: tt.key + ".2", ContentType: "text/plain"})
			if err := store.AbortMultipart(ctx, tt.key+".2", id2); err != nil {
				t.Fatalf("%s: abort: %v", tt.key, err)
			}
		}
		g, err := store.PresignGet(ctx, storage.Download{Key: tt.key}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		want := http.StatusForbidden
		if tt.ok {
			want = http.StatusOK
		}
		if status, body := send(t, "GET", g.URL, nil, ""); status != want {
			t.Errorf("%s: GET: %d %s, want %d", tt.key, status, body, want)
		}
	}
}
