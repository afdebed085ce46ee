package broker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// Upload callbacks (POST /v1/callbacks/oss).
//
// With Config.CallbackURL set, every presigned PUT carries x-oss-callback
// and x-oss-callback-var as signed headers (listed in the presign answer's
// headers), and every PostObject form carries them as fields its policy
// pins: the uploader can change neither. After the write, OSS POSTs the
// callback body below to CallbackURL, signed with its RSA key; this route
// verifies the signature (osscallback), checks bucket and key, inspects the
// object (inspect) and answers 200 with the receipt, which OSS hands to the
// uploader as the upload's response. Anything not signed by OSS, for
// another bucket or outside the prefix is 403 and nothing else happens.

// callbackBody is the template OSS fills in (application/json: OSS puts
// each variable in as a JSON value). x: variables are the broker's, signed
// with the upload.
const callbackBody = `{"bucket":${bucket},"key":${object},"etag":${etag},"size":${size},"mimeType":${mimeType},` +
	`"crc64":${crc64},"sub":${x:sub},"contentType":${x:content_type},"requestId":${x:request_id},` +
	`"pinnedSize":${x:pinned_size},"maxSize":${x:max_size}}`

// callbackFields are the fields of callbackBody the route uses. Size, ETag,
// type and CRC-64 come from OSS itself at inspection (one ranged GET), so
// how OSS writes numbers in the body does not matter.
type callbackFields struct {
	Bucket     string `json:"bucket"`
	Key        string `json:"key"`
	RequestID  string `json:"requestId"`
	Sub        string `json:"sub"`
	PinnedSize string `json:"pinnedSize"`
	MaxSize    string `json:"maxSize"`
}

// maxCallbackBody bounds the callback request: the filled template is well
// under 4 KiB (a key is at most 1023 bytes).
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

// callbackVars is the x-oss-callback-var value of one upload: who, what was
// declared, the request that presigned it, the pinned size (nil: none) and
// the size limit.
func callbackVars(r *http.Request, p auth.Principal, contentType string, pinned *int64, maxSize int64) map[string]string {
	v := map[string]string{
		"x:sub":          p.Subject,
		"x:content_type": contentType,
		"x:request_id":   requestid.From(r.Context()),
		"x:pinned_size":  "",
		"x:max_size":     strconv.FormatInt(maxSize, 10),
	}
	if pinned != nil {
		v["x:pinned_size"] = strconv.FormatInt(*pinned, 10)
	}
	return v
}

func encodeVars(v map[string]string) string {
	js, _ := json.Marshal(v)
	return base64.StdEncoding.EncodeToString(js)
}

var errForgedCallback = errorf(http.StatusForbidden, "invalid_callback",
	"not an upload callback signed by OSS for this bucket and prefix")

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
		// The reason, never the signature or the key URL.
		b.log.LogAttrs(ctx, slog.LevelWarn, "callback refused",
			slog.String("requestId", requestid.From(ctx)), slog.String("reason", reason))
		return errForgedCallback
	}
	if err := b.cfg.CallbackVerifier.Verify(ctx, r, body); err != nil {
		return refuse(err.Error())
	}
	var f callbackFields
	if err := json.Unmarshal(body, &f); err != nil {
		return refuse("the signed body is not the broker's callback template")
	}
	if f.Bucket != b.cfg.Storage.Bucket() {
		return refuse("another bucket")
	}
	if err := b.cfg.Keys.Within(f.Key); err != nil {
		return refuse(err.Error())
	}
	req := inspect.Request{Bucket: f.Bucket, Key: f.Key}
	req.Size, _ = strconv.ParseInt(f.PinnedSize, 10, 64)
	req.MaxSize, _ = strconv.ParseInt(f.MaxSize, 10, 64)
	rec, aerr := b.inspect(ctx, req, f.RequestID)
	if aerr != nil {
		return aerr
	}
	b.notify(ctx, rec, f.Sub)
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
func (b *Broker) notify(ctx context.Context, rec inspect.Receipt, sub string) {
	if b.cfg.Notifier == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), NotifyTimeout)
	defer cancel()
	id, err := b.cfg.Notifier.Send(ctx, notify.Upload{Receipt: rec, Sub: sub})
	if err != nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "notification not delivered; the inspector function will retry",
			slog.String("requestId", requestid.From(ctx)), slog.String("notificationId", id), slog.String("error", err.Error()))
		return
	}
	b.log.LogAttrs(ctx, slog.LevelInfo, "notification delivered",
		slog.String("requestId", requestid.From(ctx)), slog.String("notificationId", id), slog.String("verdict", rec.Verdict))
}

// inspect runs the inspector and logs the verdict.
func (b *Broker) inspect(ctx context.Context, req inspect.Request, presignID string) (inspect.Receipt, *apiError) {
	rec, err := b.cfg.Inspector.Inspect(ctx, req)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return rec, errorf(http.StatusNotFound, "not_found", "the object is no longer there")
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
