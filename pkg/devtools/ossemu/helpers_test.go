package ossemu

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func nopBody(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func uintString(v uint64) string { return strconv.FormatUint(v, 10) }

// clock is an injectable, settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
