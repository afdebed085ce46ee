package inspect

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/storage"
)

// racing is the store with a newer version written just before one named
// call: what an uploader overwriting the key at that moment does.
type racing struct {
	*storage.Client
	at        string
	overwrite func()
}

func (r *racing) hook(name string) {
	if r.at == name && r.overwrite != nil {
		r.overwrite()
		r.overwrite = nil
	}
}

func (r *racing) ReadStart(ctx context.Context, key string, n int, etag string) (storage.Start, error) {
	r.hook("ReadStart")
	return r.Client.ReadStart(ctx, key, n, etag)
}

func (r *racing) Head(ctx context.Context, key string) (storage.ObjectInfo, error) {
	r.hook("Head")
	return r.Client.Head(ctx, key)
}

func (r *racing) Copy(ctx context.Context, src, dst, etag string) error {
	r.hook("Copy")
	return r.Client.Copy(ctx, src, dst, etag)
}

// TestNewerVersionNeverTouched sweeps every verdict action against a newer,
// accepted version landing before each call inspection makes: the newer
// version is never deleted, moved or tagged, and never reported by the
// judgement of the older one (the event's version, named by ETag, is read
// with If-Match; the copy is conditional; delete and tagging check the
// version first).
func TestNewerVersionNeverTouched(t *testing.T) {
	ctx := context.Background()
	const key = "exampledir/v.png"
	for _, mode := range []Action{Quarantine, Delete, Tag} {
		for _, at := range []string{"ReadStart", "Copy", "Head"} {
			if at == "Copy" && mode != Quarantine {
				continue
			}
			e := newModeEnv(t, mode)
			e.put(t, key, "image/png", []byte(sampleHTML)) // the old version: rejected
			old, err := e.owner.Head(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			newer := samplePNG(t)
			st := &racing{Client: e.ram, at: at, overwrite: func() { e.put(t, key, "image/png", newer) }}
			in, _ := New(Config{Store: st, MaxSize: 1 << 20, Action: mode})
			r, err := in.Inspect(ctx, Request{Bucket: bucket, Key: key, ETag: old.ETag})
			switch {
			case at == "ReadStart":
				if !errors.Is(err, storage.ErrChanged) {
					t.Errorf("%s, overwritten before %s: %+v, %v; want ErrChanged", mode, at, r, err)
				}
			case err != nil:
				t.Errorf("%s, overwritten before %s: %v", mode, at, err)
			case r.Verdict != Rejected || r.ETag != old.ETag || r.Action != want(mode, at):
				t.Errorf("%s, overwritten before %s: receipt %+v, want the old version rejected, %s", mode, at, r, want(mode, at))
			}
			info, err := e.owner.Head(ctx, key)
			if err != nil {
				t.Fatalf("%s, overwritten before %s: the newer version is gone: %v", mode, at, err)
			}
			body := e.get(t, key)
			if !bytes.Equal(body, newer) || info.ETag == old.ETag {
				t.Errorf("%s, overwritten before %s: the key no longer holds the newer version", mode, at)
			}
			if tags, _ := e.owner.Tags(ctx, key); len(tags) != 0 {
				t.Errorf("%s, overwritten before %s: the newer version was tagged %v", mode, at, tags)
			}
		}
	}
}

// want is the receipt's action when a newer version lands before at: the
// old version was already copied to the quarantine when it lands between
// the copy and the delete, otherwise nothing happened to it.
func want(mode Action, at string) string {
	if mode == Quarantine && at == "Head" {
		return ActionQuarantined
	}
	return ActionOverwritten
}

func (e env) get(t *testing.T, key string) []byte {
	t.Helper()
	st, err := e.owner.ReadStart(context.Background(), key, 1<<20, "")
	if err != nil {
		t.Fatal(err)
	}
	return st.Bytes
}

// TestQuarantineMode: a rejected upload leaves the prefix for the
// quarantine, bytes, type and metadata intact; the inspector's printed
// policy allows exactly that (no write elsewhere); the quarantined copy is
// judged again to the same verdict.
func TestQuarantineMode(t *testing.T) {
	ctx := context.Background()
	e := newModeEnv(t, Quarantine)
	in, err := New(Config{Store: e.ram, MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if in.Action() != Quarantine {
		t.Fatalf("default action %q", in.Action())
	}
	const key = "exampledir/evil.png"
	e.put(t, key, "image/png", []byte(sampleHTML))
	r, err := in.Inspect(ctx, Request{Bucket: bucket, Key: key})
	if err != nil || r.Verdict != Rejected || r.Reason != ReasonTypeMismatch || r.Action != ActionQuarantined {
		t.Fatalf("receipt %+v, %v", r, err)
	}
	if _, err := e.owner.Head(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the rejected upload is still in the prefix: %v", err)
	}
	q := QuarantineKey(key, r.ETag)
	info, err := e.owner.Head(ctx, q)
	if err != nil || info.ContentType != "image/png" || info.ETag != r.ETag || !bytes.Equal(e.get(t, q), []byte(sampleHTML)) {
		t.Fatalf("quarantined copy %s: %+v, %v", q, info, err)
	}
	again, err := in.Quarantined(ctx, Request{Bucket: bucket, Key: key, ETag: r.ETag})
	if err != nil || again.Verdict != Rejected || again.Reason != r.Reason || again.Action != ActionQuarantined {
		t.Fatalf("judged again: %+v, %v", again, err)
	}
	// The inspector's key can write nowhere else, not even the prefix.
	for _, k := range []string{"exampledir/x.txt", "elsewhere/x.txt"} {
		if _, err := e.ram.Put(ctx, storage.Upload{Key: k, ContentType: "text/plain", Overwrite: true}, []byte("x")); err == nil {
			t.Errorf("inspector wrote %s: %v", k, err)
		}
	}
}

// BenchmarkActWindow measures the window in which OSS offers no
// condition: from the HEAD that finds the judged version still current to
// the end of the DELETE that follows (REJECTED_UPLOADS=delete; quarantine's
// delete after its conditional copy; tag mode's tagging), against the
// local OSS server over loopback. Reported as window-ns/op.
func BenchmarkActWindow(b *testing.B) {
	ctx := context.Background()
	e := newModeEnv(b, Delete)
	var total time.Duration
	for b.Loop() {
		if _, err := e.owner.Put(ctx, storage.Upload{Key: "exampledir/w.bin", ContentType: "text/plain", Overwrite: true}, []byte("x")); err != nil {
			b.Fatal(err)
		}
		info, err := e.ram.Head(ctx, "exampledir/w.bin")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if info.ETag == "" {
			b.Fatal("no etag")
		}
		if err := e.ram.Delete(ctx, "exampledir/w.bin"); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "window-ns/op")
}

// TestQuarantinedStaysRejected: a copy in the quarantine is reported
// rejected whatever the configuration now in force would say of its bytes
// (here the size limit was raised since), never "accepted" for an object
// the uploader cannot reach.
func TestQuarantinedStaysRejected(t *testing.T) {
	ctx := context.Background()
	e := newModeEnv(t, Quarantine)
	strict, err := New(Config{Store: e.ram, MaxSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	const key = "exampledir/notes.txt"
	e.put(t, key, "text/plain", []byte("more than four bytes\n"))
	r, err := strict.Inspect(ctx, Request{Bucket: bucket, Key: key})
	if err != nil || r.Verdict != Rejected || r.Reason != ReasonTooLarge || r.Action != ActionQuarantined {
		t.Fatalf("receipt %+v, %v", r, err)
	}
	loose, err := New(Config{Store: e.ram, MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	again, err := loose.Quarantined(ctx, Request{Bucket: bucket, Key: key, ETag: r.ETag})
	if err != nil || again.Verdict != Rejected || again.Reason != ReasonGone || again.Action != ActionQuarantined {
		t.Fatalf("judged again under a looser configuration: %+v, %v", again, err)
	}
}
