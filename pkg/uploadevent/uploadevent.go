// Package uploadevent is the OSS-triggered inspector's handler: for each
// object-created event of FC's OSS trigger (events.OssEvent) it decides
// whether the object is the broker's, inspects it with pkg/inspect (the
// verdict the callback route reaches, from the same code) and notifies the
// application with pkg/notify. functions/inspector hands it to fc.Start;
// local mode runs it behind the local OSS server's trigger.
//
// Delivery is at least once: a notification that fails makes Handle fail,
// so FC retries the whole invocation (maxAsyncRetryAttempts in s.yaml).
// Every step is idempotent, so a retry, a duplicate event or the callback
// route having been first changes nothing but the number of POSTs, all
// with the same webhook-id ([notify.ID]):
//   - an accepted object is inspected again and accepted again (Judge is
//     a pure function of the bytes and the configuration);
//   - an object tagged rejected (REJECTED_UPLOADS=tag) is reported
//     rejected with the tag's reason and not judged again, so a later
//     change of ALLOWED_CONTENT_TYPES cannot turn it "accepted";
//   - an object quarantined (REJECTED_UPLOADS=quarantine, the default: the
//     callback route, or an earlier attempt, rejected and moved it) is
//     judged again from its quarantined copy: the same verdict and reason;
//   - an object that is gone (REJECTED_UPLOADS=delete: the callback
//     route, or an earlier attempt, rejected and deleted it) is reported
//     rejected with reason object_gone and the event's size, ETag and type:
//     it is not available, and never will be under this ETag;
//   - the event's version is the only one read, judged and acted on: the
//     ranged GET carries If-Match with the event's ETag, and the action is
//     conditional on it (pkg/inspect), so an event whose ETag is no longer
//     the object's (overwritten since) is skipped before anything is
//     judged, and a newer version is never touched or reported by it.
//
// What is not the broker's is skipped without error (FC must not retry
// it): another bucket, a key outside UPLOAD_PREFIX, the webhooks folder
// (the broker's own writes of verified webhooks), events other than the
// three object-created ones the broker's uploads cause.
package uploadevent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/objectkey"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// Events are the OSS events the inspector acts on: the writes the broker's
// routes cause (presigned PUT and direct upload, PostObject form,
// multipart complete), spelled as a trigger configuration names them.
// s.yaml's trigger subscribes to exactly these. The events FC delivers
// name them without the "oss:" prefix (eventName ObjectCreated:PutObject);
// see [EventName].
var Events = []string{
	"oss:ObjectCreated:PutObject",
	"oss:ObjectCreated:PostObject",
	"oss:ObjectCreated:CompleteMultipartUpload",
}

// WebhookMeta is the metadata name the broker's webhook sink stores every
// delivery with (webhook.Source.Metadata).
const WebhookMeta = "webhook-source"

// NotifyTimeout bounds one notification attempt of the inspector: a
// receiver that hangs fails the invocation (FC retries) long before the
// function's timeout (s.yaml: 30 s).
const NotifyTimeout = 10 * time.Second

// Store is what the handler needs of [storage.Client] besides inspect's.
type Store interface {
	inspect.Store
	Tags(ctx context.Context, key string) (map[string]string, error)
	Head(ctx context.Context, key string) (storage.ObjectInfo, error)
}

// Config configures a Handler. Build it once per instance.
type Config struct {
	Store     Store
	Inspector *inspect.Inspector
	Keys      *objectkey.Policy
	// Skip is the webhooks folder, where the broker stores verified
	// webhooks; "" for none. An object there is skipped when its metadata
	// says the broker's webhook sink wrote it (webhook-source, a name no
	// uploader may set: the broker refuses "webhook-" and "ossbroker-"
	// metadata names), and inspected like any upload otherwise.
	Skip string
	// MaxSize and MaxMultipartSize are the size limits of single and
	// multipart uploads.
	MaxSize, MaxMultipartSize int64
	Notifier                  *notify.Notifier // nil: verdicts are logged only
	Logger                    *slog.Logger
}

// Handler handles OSS events.
type Handler struct{ cfg Config }

// New checks cfg.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil || cfg.Inspector == nil || cfg.Keys == nil {
		return nil, errors.New("uploadevent: Store, Inspector and Keys are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Handler{cfg: cfg}, nil
}

// Outcome is what happened to one event record.
type Outcome struct {
	Key            string `json:"key,omitempty"`
	Skipped        string `json:"skipped,omitempty"` // why, when not the broker's
	Verdict        string `json:"verdict,omitempty"`
	Reason         string `json:"reason,omitempty"`
	NotificationID string `json:"notificationId,omitempty"`
}

// Handle is the function's handler: the outcome of each record, or an
// error (FC retries) when any record's inspection or notification failed.
func (h *Handler) Handle(ctx context.Context, ev events.OssEvent) ([]Outcome, error) {
	out := make([]Outcome, 0, len(ev.Events))
	var errs []error
	for _, rec := range ev.Events {
		o, err := h.one(ctx, rec)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, o)
	}
	return out, errors.Join(errs...)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (h *Handler) skip(ctx context.Context, key, why string) Outcome {
	h.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "event skipped", slog.String("key", key), slog.String("reason", why))
	return Outcome{Key: key, Skipped: why}
}

func (h *Handler) one(ctx context.Context, rec *events.OssEventRecord) (Outcome, error) {
	if rec == nil || rec.Oss == nil || rec.Oss.Bucket == nil || rec.Oss.Object == nil {
		return h.skip(ctx, "", "not an OSS object event"), nil
	}
	name, bucket, key := str(rec.EventName), str(rec.Oss.Bucket.Name), str(rec.Oss.Object.Key)
	obj := rec.Oss.Object
	switch {
	case !isEvent(name):
		return h.skip(ctx, key, "event "+name+" is not an upload"), nil
	case bucket != h.cfg.Store.Bucket():
		return h.skip(ctx, key, "another bucket"), nil
	case h.cfg.Keys.Within(key) != nil:
		return h.skip(ctx, key, "outside the upload prefix"), nil
	}
	if h.cfg.Skip != "" && strings.HasPrefix(key, h.cfg.Skip) {
		info, err := h.cfg.Store.Head(ctx, key)
		if err == nil && hasMeta(info.Metadata, WebhookMeta) {
			return h.skip(ctx, key, "the broker's own write (a verified webhook)"), nil
		}
	}
	etag := strings.ToUpper(strings.Trim(str(obj.ETag), `"`))
	maxSize := h.cfg.MaxSize
	if EventName(name) == "ObjectCreated:CompleteMultipartUpload" && h.cfg.MaxMultipartSize > 0 {
		maxSize = h.cfg.MaxMultipartSize
	}

	r, err := h.verdict(ctx, bucket, key, etag, maxSize)
	if errors.Is(err, storage.ErrNotFound) && etag != "" && h.cfg.Inspector.Action() == inspect.Quarantine {
		// Gone from the prefix: quarantined by the path that rejected it
		// (the same verdict again), or overwritten and its successor
		// rejected (then it is not in the quarantine: skipped below).
		r, err = h.cfg.Inspector.Quarantined(ctx, inspect.Request{Bucket: bucket, Key: key, ETag: etag, MaxSize: maxSize})
		if errors.Is(err, storage.ErrNotFound) {
			return h.skip(ctx, key, "gone since the event, and not in the quarantine"), nil
		}
	}
	switch {
	case errors.Is(err, storage.ErrChanged):
		return h.skip(ctx, key, "overwritten since the event (another ETag)"), nil
	case errors.Is(err, storage.ErrNotFound) && h.cfg.Inspector.Action() == inspect.Delete:
		r = inspect.Receipt{Bucket: bucket, Key: key, ETag: etag, Verdict: inspect.Rejected, Reason: inspect.ReasonGone, Action: inspect.ActionDeleted}
		if obj.Size != nil {
			r.Size = int64(*obj.Size)
		}
		if obj.ObjectMeta != nil {
			r.DeclaredType = str(obj.ObjectMeta.MimeType)
		}
	case errors.Is(err, storage.ErrNotFound):
		return h.skip(ctx, key, "gone since the event"), nil
	case err != nil:
		return Outcome{Key: key}, fmt.Errorf("inspect %q: %w", key, err)
	case r.Verdict == inspect.Rejected && r.Action == inspect.ActionOverwritten:
		return h.skip(ctx, key, "overwritten while its rejection was carried out (another ETag)"), nil
	}
	r.ETag = etag // the event's spelling, so every path names the version alike
	h.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "upload inspected",
		slog.String("key", key), slog.Int64("size", r.Size), slog.String("declaredType", r.DeclaredType),
		slog.String("detectedType", r.DetectedType), slog.String("verdict", r.Verdict), slog.String("reason", r.Reason))
	o := Outcome{Key: key, Verdict: r.Verdict, Reason: r.Reason}
	if h.cfg.Notifier == nil {
		return o, nil
	}
	id, err := h.cfg.Notifier.Send(ctx, notify.FromObject(r))
	o.NotificationID = id
	if err != nil {
		return o, fmt.Errorf("notification of %q: %w", key, err)
	}
	h.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "notification delivered", slog.String("key", key), slog.String("notificationId", id), slog.String("verdict", r.Verdict))
	return o, nil
}

// verdict inspects the object, unless it already carries a rejection tag:
// then the tag's verdict stands (and the object is only read, for the
// receipt's fields).
func (h *Handler) verdict(ctx context.Context, bucket, key, etag string, maxSize int64) (inspect.Receipt, error) {
	if h.cfg.Inspector.Action() == inspect.Tag {
		tags, err := h.cfg.Store.Tags(ctx, key)
		if err != nil {
			return inspect.Receipt{}, err
		}
		if tags[inspect.TagVerdict] == inspect.Rejected {
			st, err := h.cfg.Store.ReadStart(ctx, key, inspect.ReadBytes, etag)
			if err != nil {
				return inspect.Receipt{}, err
			}
			detected, _ := inspect.Judge(mediatype.Allowlist{}, key, st.ContentType, st.Bytes, st.Size, 0, maxSize)
			return inspect.Receipt{Bucket: bucket, Key: key, Size: st.Size, ETag: st.ETag, CRC64: st.CRC64,
				DeclaredType: st.ContentType, DetectedType: detected, Verdict: inspect.Rejected,
				Reason: tags[inspect.TagReason], Action: "tagged", Metadata: st.Metadata}, nil
		}
	}
	return h.cfg.Inspector.Inspect(ctx, inspect.Request{Bucket: bucket, Key: key, MaxSize: maxSize, ETag: etag})
}

// EventName is the eventName an event record carries for the trigger
// configuration's event name e: e without its "oss:" prefix.
func EventName(e string) string { return strings.TrimPrefix(e, "oss:") }

// isEvent reports whether a record's eventName is one of [Events]. The
// configuration's prefixed spelling is accepted too: FC does not send it,
// and it means the same event.
func isEvent(name string) bool {
	for _, e := range Events {
		if EventName(e) == EventName(name) {
			return true
		}
	}
	return false
}

// hasMeta reports whether metadata has name (in any case: the SDK keeps
// the header's spelling).
func hasMeta(m map[string]string, name string) bool {
	for k, v := range m {
		if strings.EqualFold(k, name) && v != "" {
			return true
		}
	}
	return false
}
