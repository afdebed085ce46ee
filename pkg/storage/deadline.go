package storage

import (
	"context"
	"time"
)

// deadlineMargin is kept free before the caller's deadline (FC's function
// deadline, which the runtime SDK puts on the invocation context) so that
// the broker still answers its 504 JSON instead of FC cutting it off.
const deadlineMargin = time.Second

// callBudget bounds one storage call as a whole. The SDK's timeouts are
// per dial and per read/write (a slow trickle resets them) and it makes at
// most two attempts, so the whole call gets 2 x (connect + request).
func callBudget(connect, request time.Duration) time.Duration {
	if connect <= 0 {
		connect = 5 * time.Second // the SDK's defaults
	}
	if request <= 0 {
		request = 10 * time.Second
	}
	return 2 * (connect + request)
}

// bound returns ctx limited to the call budget and to the caller's
// deadline less deadlineMargin (or half the time left, when that is less).
func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	d := c.budget
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if l := max(left-deadlineMargin, left/2); l < d {
			d = l
		}
	}
	return context.WithTimeout(ctx, d)
}
