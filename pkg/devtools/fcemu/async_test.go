package fcemu

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

func TestAsyncSchedule(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		retries int
		backoff time.Duration
		want    []time.Duration
	}{
		{0, 0, []time.Duration{500 * ms, time.Second, 2 * time.Second}},
		{8, 0, []time.Duration{500 * ms, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second}},
		{-1, 0, []time.Duration{}},
		{2, ms, []time.Duration{ms, 2 * ms}},
	} {
		a := &Async{Retries: c.retries, Backoff: c.backoff}
		got := a.Schedule()
		if len(got) != len(c.want) {
			t.Fatalf("retries %d backoff %v: %v", c.retries, c.backoff, got)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("retries %d backoff %v: %v, want %v", c.retries, c.backoff, got, c.want)
			}
		}
	}
}

// TestAsyncRetries: a failing function (error post, or no answer) is
// invoked again up to Retries times with the same request id; one that
// succeeds is not invoked again; events older than MaxAge are dropped.
func TestAsyncRetries(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		name          string
		failures      int
		retries       int
		maxAge        time.Duration
		wantAttempts  int
		wantDelivered bool
	}{
		{"ok at once", 0, 3, 0, 1, true},
		{"ok on the third", 2, 3, 0, 3, true},
		{"never ok", 100, 3, 0, 4, false},
		{"no retries", 1, -1, 0, 1, false},
		{"too old", 100, 8, time.Nanosecond, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			ids := map[string]int{}
			calls := 0
			done := make(chan [2]any, 1)
			a := &Async{
				Retries: c.retries, Backoff: time.Millisecond, MaxAge: c.maxAge, Logger: quiet,
				Invoke: func(_ context.Context, _ []byte, id string) (Result, error) {
					mu.Lock()
					defer mu.Unlock()
					calls++
					ids[id]++
					switch {
					case calls > c.failures:
						return Result{Body: []byte("null")}, nil
					case calls%2 == 0:
						return Result{}, errors.New("no answer")
					default:
						return Result{Err: &FunctionError{Message: "boom"}}, nil
					}
				},
				Done: func(_ string, n int, err error) { done <- [2]any{n, err} },
			}
			a.Submit([]byte(`{}`))
			a.Wait()
			d := <-done
			if d[0].(int) != c.wantAttempts || (d[1] == nil) != c.wantDelivered || len(ids) != 1 {
				t.Fatalf("attempts %v err %v ids %v", d[0], d[1], ids)
			}
		})
	}
}
