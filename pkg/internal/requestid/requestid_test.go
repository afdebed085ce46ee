package requestid

import (
	"context"
	"testing"
)

func TestWithFrom(t *testing.T) {
	if got := From(context.Background()); got != "" {
		t.Fatalf("From(empty ctx) = %q, want empty", got)
	}
	ctx := With(context.Background(), "1-abc")
	if got := From(ctx); got != "1-abc" {
		t.Fatalf("From = %q, want 1-abc", got)
	}
}

func TestNewIsUniqueHex(t *testing.T) {
	a, b := New(), New()
	if len(a) != 24 || a == b {
		t.Fatalf("New() = %q, %q: want two different 24-char ids", a, b)
	}
}
