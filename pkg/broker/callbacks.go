package broker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/storage"
	"github.com/ossbroker/ossbroker/pkg/uploadticket"
)

// Upload callbacks (POST /v1/callbacks/oss).
//
// With Config.CallbackURL set, every presigned PUT carries x-oss-callback
// and x-oss-callback-var as signed headers (listed in the presign answer's
// headers), and every PostObject form carries them as fields its policy
// pins: the uploader can change neither. After the write, OSS POSTs the
// callback body below to CallbackURL, signed with its RSA key.
//
// That signature proves only that OSS sent the request: OSS signs every
// customer's callbacks with one key, and anyone can have it send a body of
// literals naming this bucket, another user's key and any sub. So the route
// acts only on the ticket (uploadticket), a MAC under the broker's own key
// minted when it authorised the upload: bucket, key, sub, declared type,
// pinned and maximum size, upload id, expiry. It judges only the object
// version the callback names: the object's ETag must be the callback's and
// its pinned upload id (notify.UploadMeta) the ticket's, checked on the same
// read that judges it, before anything is done to it. No valid ticket, or
// expired: 403 and nothing is read, touched or notified.

// callbackBody is the template OSS fills in (application/json: OSS puts
// each variable in as a JSON value). The route acts on the ticket; bucket
// and key must name the ticket's object, etag the version to judge.
const callbackBody = `{"bucket":${bucket},"key":${object},"etag":${etag},"size":${size},"mimeType":${mimeType},` +
	`"crc64":${crc64},"ticket":${x:ticket}}`

// callbackFields are the fields of callbackBody the route reads.
type callbackFields struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	ETag   string `json:"etag"`
	Ticket string `json:"ticket"`
}

// ticketGrace is how long after its URL or form expires an upload's
// callback is still taken: the upload may start just before expiry and
// take a while. Later, the route refuses it (OSS answers the uploader 203)
// and the OSS-triggered inspector judges the object.
const ticketGrace = time.Hour

// maxCallbackBody bounds the callback request: the filled template with a
// ticket is well under it (a key is at most 1023 bytes).
const maxCallbackBody = 16 << 10

// callbackParam is the x-oss-callback value, the same for every upload.
func callbackParam(url string) string {
	js, err := json.Marshal(map[string]string{
		"callbackUrl": url, "callbackBody": callbackBody, "callbackBodyType": "application/json",
	})
	if err != nil {
		panic("broker: callback param: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(js)
}

// callbackVars is the x-oss-callback-var value of one upload: its ticket,
// over who, what was declared, the pinned size (nil: none), the size limit
// and the upload id pinned on the object, valid until expires.
func (b *Broker) callbackVars(r *http.Request, p auth.Principal, key, contentType, upload string, pinned *int64, maxSize int64,
	expires time.Time) (map[string]string, *apiError) {
	c := uploadticket.Claims{Bucket: b.cfg.Storage.Bucket(), Key: key, Subject: p.Subject, ContentType: contentType,
		Pinned: -1, MaxSize: maxSize, Upload: upload, RequestID: requestid.From(r.Context()), Expires: expires.Add(ticketGrace)}
	if pinned != nil {
		c.Pinned = *pinned
	}
	t, err := b.cfg.Tickets.Seal(c)
	if err != nil {
		// Unreachable for inputs the checks let through.
		return nil, b.storageError(r.Context(), fmt.Errorf("callback ticket: %w", err))
	}
	return map[string]string{"x:ticket": t}, nil
}

func encodeVars(v map[string]string) string {
	js, _ := json.Marshal(v)
	return base64.StdEncoding.EncodeToString(js)
}

var (
	errForgedCallback = errorf(http.StatusForbidden, "invalid_callback",
		"not an upload callback signed by OSS with a valid ticket of this broker")
	errStaleVersion = errorf(http.StatusConflict, "version_changed",
		"the object is no longer the version this upload wrote (overwritten since); no verdict about another version")
)

// ossCallback is POST /v1/callbacks/oss.
func (b *Broker) ossCallback(w http.ResponseWriter, r *http.Request) *apiError {
	if b.cfg.Inspector == nil || b.cfg.CallbackVerifier == nil {
		return errNotFound
	}
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
	if err != nil {
		return errorf(http.StatusRequestEntityTooLarge, "payload_too_large", "the callback body is over "+sizeText(maxCallbackBody))
	}
	refuse := func(reason string) *apiError {
		// The reason, never the signature, the ticket or the key URL.
		b.log.LogAttrs(ctx, slog.LevelWarn, "callback refused",
			slog.String("requestId", requestid.From(ctx)), slog.String("reason", reason))
		return errForgedCallback
	}
	// The ticket first: a request without one costs no key fetch.
	var f callbackFields
	if err := json.Unmarshal(body, &f); err != nil {
		return refuse("the body is not the broker's callback template")
	}
	t, err := b.cfg.Tickets.Open(f.Ticket, b.now())
	if err != nil {
		return refuse("no valid ticket")
	}
	if f.Bucket != t.Bucket || f.Key != t.Key || f.ETag == "" {
		return refuse("the body does not name its ticket's object and version")
	}
	if err := b.cfg.CallbackVerifier.Verify(ctx, r, body); err != nil {
		return refuse(err.Error())
	}
	if t.Bucket != b.cfg.Storage.Bucket() {
		return refuse("another bucket")
	}
	if err := b.cfg.Keys.Within(t.Key); err != nil {
		return refuse(err.Error())
	}
	req := inspect.Request{Bucket: t.Bucket, Key: t.Key, MaxSize: t.MaxSize, ETag: f.ETag,
		Meta: map[string]string{notify.UploadMeta: t.Upload}}
	if t.Pinned >= 0 {
		// inspect reads Size 0 as "not pinned": an empty pinned upload is
		// judged against its limit only.
		req.Size = t.Pinned
	}
	rec, aerr := b.inspect(ctx, req, t.RequestID)
	if aerr != nil {
		return aerr
	}
	b.notify(ctx, notify.Upload{Receipt: rec, Sub: t.Subject, UploadID: t.Upload})
	writeJSON(w, http.StatusOK, &rec)
	return nil
}

// NotifyTimeout bounds the one notification attempt of the callback and
// multipart complete routes. OSS gives the whole callback 5 s; inspection
// takes a few milliseconds, so 2 s keeps the receipt well inside it. A
// notification that fails here is sent again by the OSS-triggered
// inspector (same webhook-id), which FC retries.
const NotifyTimeout = 2 * time.Second

// notify sends rec's notification once (when notifications are on) and
// logs the outcome; it never fails the request.
func (b *Broker) notify(ctx context.Context, u notify.Upload) {
	if b.cfg.Notifier == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), NotifyTimeout)
	defer cancel()
	id, err := b.cfg.Notifier.Send(ctx, u)
	if err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "notification not delivered; the inspector function will retry",
			slog.String("requestId", requestid.From(ctx)), slog.String("notificationId", id), slog.String("error", err.Error()))
		return
	}
	b.log.LogAttrs(ctx, slog.LevelInfo, "notification delivered",
		slog.String("requestId", requestid.From(ctx)), slog.String("notificationId", id), slog.String("verdict", u.Verdict))
}

// inspect runs the inspector and logs the verdict.
func (b *Broker) inspect(ctx context.Context, req inspect.Request, presignID string) (inspect.Receipt, *apiError) {
	rec, err := b.verdict(ctx, req)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return rec, errorf(http.StatusNotFound, "not_found", "the object is no longer there")
		}
		if errors.Is(err, inspect.ErrOtherVersion) {
			return rec, errStaleVersion
		}
		return rec, b.storageError(ctx, err)
	}
	b.log.LogAttrs(ctx, slog.LevelInfo, "upload inspected",
		slog.String("requestId", requestid.From(ctx)), slog.String("presignRequestId", presignID),
		slog.String("key", rec.Key), slog.Int64("size", rec.Size),
		slog.String("declaredType", rec.DeclaredType), slog.String("detectedType", rec.DetectedType),
		slog.String("verdict", rec.Verdict), slog.String("reason", rec.Reason), slog.String("action", rec.Action))
	return rec, nil
}
