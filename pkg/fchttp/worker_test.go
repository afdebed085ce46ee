package fchttp

import (
	"bytes"
	"context"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// goroutineID is the number runtime.Stack prints for the calling goroutine.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := bytes.Cut(bytes.TrimPrefix(buf, []byte("goroutine ")), []byte(" "))
	return string(id)
}

// TestHandlerRunsOnOneGoroutine: invocations that each arrive on a new goroutine, as
// fc-runtime-go-sdk delivers them, all run the handler on one long-lived goroutine.
func TestHandlerRunsOnOneGoroutine(t *testing.T) {
	var ids []string
	fn := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids = append(ids, goroutineID())
	}))
	var callers []string
	for range 5 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			callers = append(callers, goroutineID())
			if resp, err := fn(context.Background(), []byte(getEvent)); err != nil || resp.StatusCode != 200 {
				t.Errorf("response %+v, %v", resp, err)
			}
		}()
		<-done
	}
	for i, id := range ids {
		if id != ids[0] || id == callers[i] {
			t.Fatalf("handler goroutines %v, callers %v: want one goroutine, not the callers'", ids, callers)
		}
	}
}

// TestConcurrentCallsRunTogether: calls made while the worker is busy run on their own
// goroutines, so concurrent invocations (local mode) are not serialized: every handler waits
// for all the others.
func TestConcurrentCallsRunTogether(t *testing.T) {
	const n = 4
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	fn := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			t.Error("the calls ran one after another")
		}
	}))
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if resp, err := fn(context.Background(), []byte(getEvent)); err != nil || resp.StatusCode != 200 {
				t.Errorf("response %+v, %v", resp, err)
			}
		})
	}
	wg.Wait()
}

// TestWorkerPanicReachesCaller: a panic on the worker is raised in the caller, as if the call
// had run there, and the worker keeps serving.
func TestWorkerPanicReachesCaller(t *testing.T) {
	w := newWorker()
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want boom", p)
			}
		}()
		w.do(func() { panic("boom") })
	}()
	ran := false
	w.do(func() { ran = true })
	if !ran {
		t.Fatal("the worker stopped after a panic")
	}
}
