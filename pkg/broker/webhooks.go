package broker

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
	"github.com/ossbroker/ossbroker/pkg/storage"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// POST /v1/webhooks/{source}: signed webhook deliveries, stored exactly once.
//
// Decisions (see also the README's Webhooks section):
//
//   - No bearer token: the sender is authenticated by its scheme's signature
//     (pkg/webhook), checked over the raw body bytes before anything else is
//     done with them. An unknown source, a missing, malformed or wrong
//     signature and a stale timestamp all get the same 401 body
//     (errWebhookUnauthorized); the log says which.
//   - Bodies over MaxDirectUploadBytes get 413 before any verification (the
//     whole body is needed to verify it) and nothing is stored.
//   - The key and the stored type are functions of the signed bytes and
//     the source only (webhook.Key, webhook.StoredType): the sender's
//     Content-Type, X-GitHub-Delivery and every other unsigned header are
//     kept as x-oss-meta-webhook-header-* metadata (sanitised, bounded) and
//     change nothing else, so a replay with other headers is a redelivery,
//     and nobody who replays a captured delivery picks the type OSS serves
//     (application/json or application/octet-stream). Content-Type is
//     therefore not validated, and ALLOWED_CONTENT_TYPES does not apply.
//   - The key (webhook.Key) is judged by the same gate as every other key,
//     Keys.Resolve, with webhook.Claims as the caller: a prefix template's
//     placeholders are all filled with "webhooks", so "exampledir/{sub}/"
//     stores at "exampledir/webhooks/webhooks/<source>/...".
//   - While sources are configured, that webhooks folder is reserved: the
//     JWT routes refuse keys in it (403 key_outside_prefix), so no caller
//     can plant an object that would later pass for a verified delivery or
//     block one.
//   - Exactly once: the object is written with x-oss-forbid-overwrite. OSS
//     then decides, for every instance at once, whether the key is taken; no
//     in-memory cache is involved. On FileAlreadyExists the broker HEADs the
//     object (oss:GetObject) and compares size and MD5 with the body: equal
//     is a redelivery and gets the first delivery's answer (status 200, the
//     identical JSON body, plus X-Webhook-Duplicate: true); different is 409
//     event_conflict. Nothing is written in either case.
//   - Without oss:GetObject the HEAD is denied. Where the event id is the
//     body's SHA-256 (GitHub, Stripe, or a webhook-id that is not a safe
//     segment), an existing key already proves identical bytes, so the
//     redelivery still gets its 200.
//     Otherwise the broker cannot tell a redelivery from a conflict and
//     answers 502 storage_unavailable (logged with the missing permission):
//     the sender retries, the first copy stays, and nothing is claimed that
//     was not checked.
//   - Both the first delivery and a redelivery answer 200: senders only look
//     for a 2xx, and the two answers are meant to be the same.

// errWebhookUnauthorized is the one answer to every delivery that is not
// verified, whatever failed.
var errWebhookUnauthorized = errorf(http.StatusUnauthorized, "unauthorized", "a valid webhook signature is required")

type webhookResponse struct {
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	ETag        string `json:"etag"`
	ContentType string `json:"contentType"`
	Source      string `json:"source"`
	EventID     string `json:"eventId"`
}

// webhooks is the per-instance table of sources, built by New.
type webhooks struct {
	sources map[string]webhook.Source
	prefix  string // the upload prefix for webhook.Claims
	folder  string // prefix + "webhooks/" (webhook.FolderFor), reserved for this route
}

func (b *Broker) initWebhooks() error {
	if len(b.cfg.Webhooks) == 0 {
		return nil
	}
	folder, err := webhook.FolderFor(b.cfg.Keys)
	if err != nil {
		return fmt.Errorf("broker: webhooks: %w", err)
	}
	b.hooks.prefix, b.hooks.folder = strings.TrimSuffix(folder, webhook.Folder), folder
	b.hooks.sources = make(map[string]webhook.Source, len(b.cfg.Webhooks))
	for _, s := range b.cfg.Webhooks {
		if !webhook.ValidName(s.Name()) {
			return fmt.Errorf("broker: webhook source %q: invalid name", s.Name())
		}
		if _, dup := b.hooks.sources[s.Name()]; dup {
			return fmt.Errorf("broker: webhook source %q listed twice", s.Name())
		}
		b.hooks.sources[s.Name()] = s
	}
	return nil
}

// reservedForWebhooks reports whether a key a JWT caller asked for lies in
// the folder only verified webhooks may write.
func (b *Broker) reservedForWebhooks(key string) *apiError {
	if b.hooks.folder != "" && strings.HasPrefix(key, b.hooks.folder) {
		return errorf(http.StatusForbidden, "key_outside_prefix", "the folder "+quote(b.hooks.folder)+" is reserved for verified webhooks")
	}
	return nil
}

// webhook serves POST /v1/webhooks/{source}; rawSource is the still-encoded
// rest of the path, compared as is (names are [a-z0-9-], so an encoded or
// longer path is simply not a source).
func (b *Broker) webhook(w http.ResponseWriter, r *http.Request, rawSource string) *apiError {
	ctx := r.Context()
	reject := func(source, reason string) *apiError {
		b.log.LogAttrs(ctx, slog.LevelInfo, "webhook rejected",
			slog.String("requestId", requestid.From(ctx)), slog.String("source", source), slog.String("reason", reason))
		return errWebhookUnauthorized
	}
	src, ok := b.hooks.sources[rawSource]
	if !ok {
		return reject(quote(rawSource), "unknown source")
	}
	if r.ContentLength > b.cfg.MaxDirectUploadBytes {
		return b.tooLarge()
	}
	// One buffer of the body's size (readBody), as for a direct upload.
	body, err := readBody(w, r, b.cfg.MaxDirectUploadBytes)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return b.tooLarge()
	case errors.Is(err, errBodyLength):
		return errorf(http.StatusBadRequest, "invalid_request", "the body is shorter than its Content-Length")
	case err != nil:
		return errorf(http.StatusBadRequest, "invalid_request", "the request body could not be read")
	}
	now := b.now()
	ev, err := src.Verify(r.Header, body, now, b.cfg.WebhookTolerance)
	if err != nil {
		return reject(src.Name(), err.Error()) // names the failed check, never a header value
	}

	// The key and the stored type come from signed bytes only (Event);
	// the sender's Content-Type and other unsigned headers are metadata.
	ct := ev.ContentType
	key, err := b.cfg.Keys.Resolve(webhook.Key(b.hooks.prefix, src.Name(), ev), webhook.Claims{}, ct)
	if err != nil {
		// Every part of the key was validated; this is a bug.
		b.log.LogAttrs(ctx, slog.LevelError, "webhook key refused by the key gate",
			slog.String("requestId", requestid.From(ctx)), slog.String("source", src.Name()), slog.String("error", err.Error()))
		return errInternal
	}
	res := webhookResponse{Source: src.Name(), EventID: ev.ID}
	obj, err := b.cfg.Storage.Put(ctx, storage.Upload{
		Key: key, ContentType: ct, Metadata: src.Metadata(ev, r.Header, now),
	}, body)
	switch {
	case err == nil:
		res.fill(obj)
		b.log.LogAttrs(ctx, slog.LevelInfo, "webhook stored",
			slog.String("requestId", requestid.From(ctx)), slog.String("source", src.Name()), slog.String("key", key))
		writeJSON(w, http.StatusOK, &res)
		return nil
	case !errors.Is(err, storage.ErrExists):
		return b.storageError(ctx, err)
	}

	// The key is taken: a redelivery, or another body under the same id.
	sum := md5.Sum(body)
	info, err := b.cfg.Storage.Head(ctx, key)
	switch {
	case err == nil:
		if info.Size != int64(len(body)) || !sameDigest(info, sum) {
			b.log.LogAttrs(ctx, slog.LevelWarn, "webhook event id reused with a different body",
				slog.String("requestId", requestid.From(ctx)), slog.String("source", src.Name()), slog.String("key", key))
			return errorf(http.StatusConflict, "event_conflict", "event "+quote(ev.ID)+" was already stored with a different body")
		}
		res.fill(info.Object)
	case errors.Is(err, storage.ErrDenied) && ev.IDFromBody:
		// The key is the body's SHA-256: what is there is these bytes.
		res.fill(storage.Object{Bucket: b.cfg.Storage.Bucket(), Key: key, Size: int64(len(body)),
			ETag: strings.ToUpper(hex.EncodeToString(sum[:])), ContentType: ct})
	case errors.Is(err, storage.ErrDenied):
		b.log.LogAttrs(ctx, slog.LevelWarn, "webhook redelivery cannot be checked: the broker's RAM policy lacks oss:GetObject on the webhooks folder",
			slog.String("requestId", requestid.From(ctx)), slog.String("source", src.Name()), slog.String("key", key))
		return errorf(http.StatusBadGateway, "storage_unavailable", "storage is unavailable")
	case errors.Is(err, storage.ErrNotFound):
		// Deleted between the two requests; the sender's retry will store it.
		return b.storageError(ctx, fmt.Errorf("%w: %w", storage.ErrUnavailable, err))
	default:
		return b.storageError(ctx, err)
	}
	b.log.LogAttrs(ctx, slog.LevelInfo, "webhook redelivery",
		slog.String("requestId", requestid.From(ctx)), slog.String("source", src.Name()), slog.String("key", key))
	w.Header().Set("X-Webhook-Duplicate", "true")
	writeJSON(w, http.StatusOK, &res)
	return nil
}

func (res *webhookResponse) fill(o storage.Object) {
	res.Bucket, res.Key, res.Size, res.ETag, res.ContentType = o.Bucket, o.Key, o.Size, o.ETag, o.ContentType
}

// sameDigest compares the stored object's MD5 with sum: OSS's Content-MD5
// when it reports one, else the ETag (the hex MD5 for a PutObject object).
func sameDigest(info storage.ObjectInfo, sum [md5.Size]byte) bool {
	if info.ContentMD5 != "" {
		return info.ContentMD5 == base64.StdEncoding.EncodeToString(sum[:])
	}
	return strings.EqualFold(info.ETag, hex.EncodeToString(sum[:]))
}
