package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

const secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func signer(t *testing.T) webhook.Source {
	s, err := webhook.NewSource("n", webhook.Standard, "NOTIFICATION_SECRET", secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func upload() notify.Upload {
	return notify.Upload{Receipt: inspect.Receipt{Bucket: "b", Key: "exampledir/a.png", ETag: `"abc"`, Verdict: inspect.Accepted}, Sub: "s"}
}

// TestSendOutcomes: 2xx and 409 are delivered; any other status, a
// redirect (never followed), a receiver that hangs (bounded by Timeout)
// and a closed port are errors that do not quote the URL's secret query.
func TestSendOutcomes(t *testing.T) {
	stop := make(chan struct{})
	var mu sync.Mutex
	hits := 0
	count := func() int { mu.Lock(); defer mu.Unlock(); return hits }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		switch r.URL.Path {
		case "/hang":
			<-stop
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/ok":
			w.WriteHeader(204)
		case "/conflict":
			w.WriteHeader(409)
		default:
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	defer close(stop) // before Close, which waits for the hanging handler
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{srv.URL + "/ok?token=s3cr3t", true},
		{srv.URL + "/conflict?token=s3cr3t", true},
		{srv.URL + "/down?token=s3cr3t", false},
		{srv.URL + "/redirect?token=s3cr3t", false},
		{srv.URL + "/hang?token=s3cr3t", false},
		{deadURL + "/x?token=s3cr3t", false},
	} {
		n, err := notify.New(notify.Config{URL: c.url, Signer: signer(t), Timeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		before := count()
		id, err := n.Send(context.Background(), upload())
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.url, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error quotes the URL: %v", c.url, err)
		}
		if id != notify.ID("b", "exampledir/a.png", "ABC", "") {
			t.Errorf("id %s", id)
		}
		if strings.HasPrefix(c.url, srv.URL) && count() != before+1 {
			t.Errorf("%s: %d requests, want 1 (no retry, no redirect followed)", c.url, count()-before)
		}
	}
}

// TestID: one id per bucket, key, ETag and upload id (quotes and case of
// the ETag do not matter; each part does, and no part can run into the
// next); a safe key segment.
func TestID(t *testing.T) {
	base := notify.ID("b", "k", "0A1B", "u1")
	if notify.ID("b", "k", `"0a1b"`, "u1") != base {
		t.Error("ETag spelling changes the id")
	}
	for _, other := range []string{notify.ID("c", "k", "0A1B", "u1"), notify.ID("b", "k2", "0A1B", "u1"),
		notify.ID("b", "k", "0A1C", "u1"), notify.ID("b\x00k", "", "0A1B", "u1"), notify.ID("b", "k", "0A1B", ""),
		notify.ID("b", "k", "0A1B", "u2"), notify.ID("b", "k", "0A1B\x00u1", "")} {
		if other == base {
			t.Error("a different upload has the same id")
		}
	}
	if !webhook.SafeID(base) {
		t.Errorf("%s is not a safe id", base)
	}
}

// TestFromObject: the sub and upload id come from the metadata the broker
// pinned, whatever case the SDK spells the names in.
func TestFromObject(t *testing.T) {
	r := inspect.Receipt{Bucket: "b", Key: "k", ETag: "E", Metadata: map[string]string{
		"Ossbroker-Sub": notify.EncodeSub("a b"), "ossbroker-upload": "u1"}}
	u := notify.FromObject(r)
	if u.Sub != "a b" || u.UploadID != "u1" {
		t.Fatalf("%+v", u)
	}
}

func TestSubRoundTrip(t *testing.T) {
	for _, s := range []string{"alice", "a b/c?d#e%f", "ü 中文 \x7f", "", " lead", "trail "} {
		enc := notify.EncodeSub(s)
		for i := 0; i < len(enc); i++ {
			if enc[i] < 0x21 || enc[i] > 0x7e {
				t.Fatalf("%q encodes to %q: not printable ASCII without space", s, enc)
			}
		}
		if notify.DecodeSub(enc) != s {
			t.Fatalf("%q round-trips to %q", s, notify.DecodeSub(enc))
		}
	}
}
