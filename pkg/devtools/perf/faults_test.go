package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/broker"
	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/perf/fixture"
)

// The fault tests put a stand-in between the broker and a real ossemu.
// Timeouts are small so the suite runs in seconds; what is checked is the
// documented answer (502/504 storage_unavailable JSON), that it comes
// within the configured bound (2 attempts x (connect + request) + slack,
// far under FC's timeout), that no failed write is reported as stored, and
// that the broker recovers as soon as OSS does. No sleeps: hanging and slow
// stand-ins block on channels.
const (
	faultConnect = 200 * time.Millisecond
	faultRequest = 400 * time.Millisecond
	// bound: the SDK makes at most 2 attempts; generous slack for -race.
	faultBound = 2*(faultConnect+faultRequest) + 3*time.Second
)

type standIn struct {
	mode    atomic.Value // string
	real    http.Handler
	release chan struct{}
	once    sync.Once
}

func newStandIn(real http.Handler) *standIn {
	s := &standIn{real: real, release: make(chan struct{})}
	s.mode.Store("real")
	return s
}

func (s *standIn) set(m string) { s.mode.Store(m) }
func (s *standIn) free()        { s.once.Do(func() { close(s.release) }) }

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch m := s.mode.Load().(string); m {
	case "hang": // reads the request, never answers
		io.Copy(io.Discard, r.Body)
		select {
		case <-s.release:
		case <-r.Context().Done():
		}
	case "slow": // answers, but only after the broker has given up
		select {
		case <-s.release:
			s.real.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	case "500", "503":
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("x-oss-request-id", "FAULT0000000000000000000")
		status := map[string]int{"500": 500, "503": 503}[m]
		code := map[string]string{"500": "InternalError", "503": "ServiceUnavailable"}[m]
		w.WriteHeader(status)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>`+code+`</Code><Message>fault</Message><RequestId>FAULT0000000000000000000</RequestId><EC>0000-00000000</EC></Error>`)
	case "cut": // takes the body, then drops the connection
		io.Copy(io.Discard, r.Body)
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
	default:
		s.real.ServeHTTP(w, r)
	}
}

type faultEnv struct {
	t      *testing.T
	b      *broker.Broker
	owner  *oss.Client
	token  string
	stand  *standIn
	ossURL string
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	real, err := ossemu.New(ossemu.Config{
		Region: fixture.Region, Buckets: []string{fixture.Bucket},
		Users: []ossemu.User{
			{AccessKeyID: fixture.RAMID, AccessKeySecret: fixture.RAMSecret, Policy: ossemu.PutPolicy(fixture.Bucket, fixture.Prefix)},
			{AccessKeyID: fixture.OwnerID, AccessKeySecret: fixture.OwnerSecret},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	stand := newStandIn(real)
	hs := httptest.NewServer(stand)
	t.Cleanup(func() { stand.free(); hs.Close() })
	realURL := httptest.NewServer(real)
	t.Cleanup(realURL.Close)
	b, closeFn, err := fixture.Broker(context.Background(), fixture.Options{
		Auth: (&fixture.Keys{}).AuthConfig(fixture.HS256, ""), Endpoint: hs.URL,
		ConnectTimeout: faultConnect, RequestTimeout: faultRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	return &faultEnv{t: t, b: b, owner: fixture.Owner(realURL.URL), token: fixture.HS256Token("fault-user", time.Hour), stand: stand, ossURL: hs.URL}
}

type answer struct {
	status  int
	code    string
	body    string
	elapsed time.Duration
}

// put sends one direct upload to h, bounded by a context as FC's timeout
// would bound it.
func put(t *testing.T, h http.Handler, token, key string, body []byte) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // the FC timeout in s.yaml
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPut, "/v1/objects/"+key, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	a := answer{status: rec.Code, body: rec.Body.String(), elapsed: time.Since(start)}
	var e struct {
		Error struct{ Code, Message, RequestID string }
	}
	if json.Unmarshal(rec.Body.Bytes(), &e) == nil {
		a.code = e.Error.Code
	}
	if ctx.Err() != nil {
		t.Fatalf("PUT %s ran into the FC timeout", key)
	}
	return a
}

func (e *faultEnv) stored(key string) bool {
	_, err := fixture.ReadObject(context.Background(), e.owner, key)
	var se *oss.ServiceError
	if errors.As(err, &se) && se.StatusCode == 404 {
		return false
	}
	if err != nil {
		e.t.Fatalf("read back %s: %v", key, err)
	}
	return true
}

func TestOSSFaults(t *testing.T) {
	e := newFaultEnv(t)
	body := bytes.Repeat([]byte("fault-test "), 1000)
	for i, f := range []struct {
		mode   string
		status int
	}{
		{"500", 502}, {"503", 502}, {"cut", 502}, {"hang", 504}, {"slow", 504},
	} {
		t.Run(f.mode, func(t *testing.T) {
			e.stand.set(f.mode)
			key := "exampledir/faults/" + f.mode + ".bin"
			a := put(t, e.b, e.token, key, body)
			if a.status != f.status || a.code != "storage_unavailable" {
				t.Fatalf("OSS %s: %d %q %s, want %d storage_unavailable", f.mode, a.status, a.code, a.body, f.status)
			}
			if a.elapsed > faultBound {
				t.Errorf("OSS %s: answered after %v, beyond the configured bound %v", f.mode, a.elapsed, faultBound)
			}
			t.Logf("OSS %s: %d in %v", f.mode, a.status, a.elapsed.Round(time.Millisecond))
			// Recovery: OSS is back, the next write works and is exact.
			e.stand.set("real")
			key2 := "exampledir/faults/recovered-" + string(rune('a'+i)) + ".bin"
			if a := put(t, e.b, e.token, key2, body); a.status != 201 {
				t.Fatalf("after %s: %d %s, want 201", f.mode, a.status, a.body)
			}
			got, err := fixture.ReadObject(context.Background(), e.owner, key2)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("after %s: stored %d bytes (%v), want the %d sent", f.mode, len(got), err, len(body))
			}
			if f.mode != "slow" && e.stored(key) { // a slow OSS may still finish the write after the 504
				t.Fatalf("OSS %s: the failed write left %s behind", f.mode, key)
			}
		})
	}
}

// TestOSSStoppedThenStarted: nothing listens (connection refused), then an
// OSS server starts on that address.
func TestOSSStoppedThenStarted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	b, closeFn, err := fixture.Broker(context.Background(), fixture.Options{
		Auth: (&fixture.Keys{}).AuthConfig(fixture.HS256, ""), Endpoint: "http://" + addr,
		ConnectTimeout: faultConnect, RequestTimeout: faultRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	tok := fixture.HS256Token("fault-user", time.Hour)
	a := put(t, b, tok, "exampledir/stopped.bin", []byte("x"))
	if a.status != 502 || a.code != "storage_unavailable" || a.elapsed > faultBound {
		t.Fatalf("OSS stopped: %d %q in %v: %s", a.status, a.code, a.elapsed, a.body)
	}
	srv, ep, err := fixture.NewOSSAt(addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	defer srv.Close()
	if a := put(t, b, tok, "exampledir/started.bin", []byte("x")); a.status != 201 {
		t.Fatalf("OSS started: %d %s", a.status, a.body)
	}
	if got, err := fixture.ReadObject(context.Background(), fixture.Owner(ep), "exampledir/started.bin"); err != nil || string(got) != "x" {
		t.Fatalf("read back: %q %v", got, err)
	}
}

// TestOSSAcceptsNeverAnswers: a raw listener that accepts and never reads
// or writes (a wedged load balancer).
func TestOSSAcceptsNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	done := make(chan struct{})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() { defer conns.Done(); <-done; c.Close() }()
		}
	}()
	defer func() { ln.Close(); close(done); conns.Wait() }()
	b, closeFn, err := fixture.Broker(context.Background(), fixture.Options{
		Auth: (&fixture.Keys{}).AuthConfig(fixture.HS256, ""), Endpoint: "http://" + ln.Addr().String(),
		ConnectTimeout: faultConnect, RequestTimeout: faultRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	// 256 KiB: more than the socket buffers take, so the write blocks too.
	a := put(t, b, fixture.HS256Token("fault-user", time.Hour), "exampledir/wedged.bin", bytes.Repeat([]byte{7}, 256<<10))
	if a.status != 504 || a.code != "storage_unavailable" || a.elapsed > faultBound {
		t.Fatalf("wedged OSS: %d %q in %v: %s", a.status, a.code, a.elapsed, a.body)
	}
	if !strings.Contains(a.body, `"requestId"`) {
		t.Fatalf("error body without requestId: %s", a.body)
	}
}

// TestOSSHangsPastFCDeadline: with the deployed timeouts (3 s connect, 20 s
// per read/write, two attempts: 46 s) a hanging OSS would outlast a short
// function timeout; the broker answers 504 JSON before the invocation's
// deadline instead of being cut off by FC.
func TestOSSHangsPastFCDeadline(t *testing.T) {
	e := newFaultEnv(t)
	b, closeFn, err := fixture.Broker(context.Background(), fixture.Options{
		Auth: (&fixture.Keys{}).AuthConfig(fixture.HS256, ""), Endpoint: e.ossURL,
		ConnectTimeout: 3 * time.Second, RequestTimeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	e.stand.set("hang")
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond) // FC's deadline for this invocation
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPut, "/v1/objects/exampledir/deadline.bin", strings.NewReader("x"))
	req.Header.Set("Authorization", "Bearer "+e.token)
	rec := httptest.NewRecorder()
	b.ServeHTTP(rec, req)
	if ctx.Err() != nil {
		t.Fatal("the broker answered only after the function deadline")
	}
	if rec.Code != 504 || !strings.Contains(rec.Body.String(), `"storage_unavailable"`) {
		t.Fatalf("%d %s, want 504 storage_unavailable", rec.Code, rec.Body)
	}
}
