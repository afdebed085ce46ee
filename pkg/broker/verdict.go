package broker

import (
	"context"
	"errors"

	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// verdict inspects the version req names (req.ETag, when the route knows
// it). When the OSS-triggered inspector judged it first and moved it out of
// the prefix, the verdict is still the uploader's answer, never a 404:
// quarantined, the copy is judged again (the same verdict); deleted, it
// was rejected.
func (b *Broker) verdict(ctx context.Context, req inspect.Request) (inspect.Receipt, error) {
	in := b.cfg.Inspector
	rec, err := in.Inspect(ctx, req)
	if !errors.Is(err, storage.ErrNotFound) || req.ETag == "" {
		return rec, err
	}
	switch in.Action() {
	case inspect.Quarantine:
		rec, qerr := in.Quarantined(ctx, req)
		if qerr == nil {
			return rec, nil
		}
		if !errors.Is(qerr, storage.ErrNotFound) {
			return rec, qerr
		}
	case inspect.Delete:
		return inspect.Receipt{Bucket: req.Bucket, Key: req.Key, Size: req.Size, ETag: req.ETag,
			Verdict: inspect.Rejected, Reason: inspect.ReasonGone, Action: inspect.ActionDeleted}, nil
	}
	return rec, err
}
