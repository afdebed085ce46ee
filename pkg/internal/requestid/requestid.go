// Package requestid carries the id of the request being served through a
// context, so that the FC adapter (which knows FC's id) and the HTTP API
// (which reports it) need not know about each other.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

type ctxKey struct{}

// With returns a copy of ctx that carries id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the id carried by ctx, or "" when there is none.
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// New returns a fresh random id (24 hex digits, the shape of an OSS request id).
func New() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
