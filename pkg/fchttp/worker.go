package fchttp

import "sync/atomic"

// A worker runs calls on one long-lived goroutine. fc-runtime-go-sdk starts a new goroutine
// for every invocation; its small stack is then grown, by copying, as deep as the handler goes,
// on every invocation (about 7 % of a presign's CPU in the compiled function, measured with
// perf under pkg/devtools/perf/fcshape). The worker's stack grows once and stays grown. A call
// that finds the worker busy (concurrent invocations, as local mode makes) runs on the caller's
// goroutine instead.
type worker struct {
	busy atomic.Bool
	jobs chan func()
}

func newWorker() *worker {
	w := &worker{jobs: make(chan func())}
	go func() {
		for f := range w.jobs {
			f()
		}
	}()
	return w
}

// do runs f on the worker, or on the caller's goroutine when the worker is busy. A panic in f
// is raised again in the caller, as if f had run there.
func (w *worker) do(f func()) {
	if !w.busy.CompareAndSwap(false, true) {
		f()
		return
	}
	defer w.busy.Store(false)
	done := make(chan struct{})
	var p any
	w.jobs <- func() {
		defer func() {
			p = recover()
			close(done)
		}()
		f()
	}
	<-done
	if p != nil {
		panic(p)
	}
}
