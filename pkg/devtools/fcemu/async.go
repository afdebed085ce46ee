package fcemu

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Async is FC's asynchronous invocation, as an OSS trigger uses it: Submit
// queues an event and returns at once; the event is delivered to Invoke in
// the background, and a failed invocation (the function posted an error,
// timed out, or could not be reached) is retried up to Retries times.
//
// FC documents the retry count (maxAsyncRetryAttempts, default 3, at most
// 8) and the maximum event age (maxAsyncEventAgeInSeconds), but not the
// interval between retries after a function error; it documents a binary
// exponential backoff starting 0.5 s after a failure for throttled
// invocations, and Async uses that one: 0.5 s, 1 s, 2 s, 4 s, ... (scaled
// by Backoff when set). An event older than MaxAge is dropped, as FC does.
type Async struct {
	Invoke  func(ctx context.Context, event []byte, requestID string) (Result, error)
	Retries int           // retries after the first attempt; <0 means 0; 0 means FC's default, 3
	Backoff time.Duration // the first retry's delay; 0 means 500ms; each next one doubles
	MaxAge  time.Duration // 0 means FC's default, 5 h
	Logger  *slog.Logger
	// Done, when set, is called once per event after its last attempt,
	// with the number of attempts and the last error (nil: delivered).
	Done func(requestID string, attempts int, err error)

	wg sync.WaitGroup
}

// Submit queues event for asynchronous delivery and returns its request
// id. Every attempt of one event has that request id, as in FC.
func (a *Async) Submit(event []byte) string {
	id := NewRequestID()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.run(event, id)
	}()
	return id
}

// Wait blocks until every submitted event is delivered or given up.
func (a *Async) Wait() { a.wg.Wait() }

// Schedule is the delay before each retry: Retries entries, the first
// Backoff (default 500ms), each next one twice the last.
func (a *Async) Schedule() []time.Duration {
	retries := a.Retries
	switch {
	case retries < 0:
		retries = 0
	case retries == 0:
		retries = 3
	}
	delay := a.Backoff
	if delay <= 0 {
		delay = 500 * time.Millisecond
	}
	out := make([]time.Duration, retries)
	for i := range out {
		out[i] = delay
		delay *= 2
	}
	return out
}

func (a *Async) run(event []byte, id string) {
	schedule := a.Schedule()
	maxAge := a.MaxAge
	if maxAge <= 0 {
		maxAge = 5 * time.Hour
	}
	log := a.Logger
	if log == nil {
		log = slog.Default()
	}
	born := time.Now()
	var err error
	attempts := 0
	for {
		attempts++
		var res Result
		res, err = a.Invoke(context.Background(), event, id)
		if err == nil && res.Err != nil {
			err = res.Err
		}
		if err == nil {
			break
		}
		if attempts > len(schedule) {
			log.Warn("fcemu: async invocation failed; no retries left", "requestId", id, "attempts", attempts, "error", err.Error())
			break
		}
		delay := schedule[attempts-1]
		if time.Since(born)+delay > maxAge {
			log.Warn("fcemu: async event older than its maximum age; dropped", "requestId", id, "attempts", attempts)
			break
		}
		log.Info("fcemu: async invocation failed; retrying", "requestId", id, "attempt", attempts, "retryIn", delay.String(), "error", err.Error())
		time.Sleep(delay)
	}
	if a.Done != nil {
		a.Done(id, attempts, err)
	}
}
