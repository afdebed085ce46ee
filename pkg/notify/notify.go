// Package notify tells the application what became of an upload: it POSTs
// each inspection verdict to NOTIFICATION_URL, signed per Standard
// Webhooks (the scheme pkg/webhook verifies on the broker's own sink) with
// NOTIFICATION_SECRET.
//
// One upload has one notification id (ID), whichever path sends it: the
// broker's OSS callback route, the multipart complete route, the
// OSS-triggered inspector function, and each of FC's retries of the latter;
// two uploads never share one. A receiver that dedupes on webhook-id
// therefore sees each upload once, although it may be POSTed several times
// (at least once).
//
// Send makes one attempt, bounded by its context and Config.Timeout, and
// follows no redirect; retrying is the caller's business (the callback
// route does not retry, FC retries the inspector).
package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// Event types.
const (
	Completed = "upload.completed" // stored and accepted by inspection
	Rejected  = "upload.rejected"  // stored, then rejected (deleted or tagged)
)

// Config configures a Notifier. Build it once per instance.
type Config struct {
	URL    string         // where notifications go (http or https)
	Signer webhook.Source // a Standard Webhooks source holding NOTIFICATION_SECRET
	// Timeout bounds one attempt, connection to last byte of the answer
	// (0: [DefaultTimeout]). A receiver that hangs cannot hold the caller
	// longer.
	Timeout time.Duration
	Client  *http.Client // nil: a client that follows no redirect
	Now     func() time.Time
}

// DefaultTimeout bounds one delivery when Config.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// Notifier sends notifications.
type Notifier struct {
	cfg Config
}

// New checks cfg.
func New(cfg Config) (*Notifier, error) {
	if cfg.URL == "" || cfg.Signer.Scheme() != webhook.Standard {
		return nil, errors.New("notify: a URL and a Standard Webhooks secret are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Notifier{cfg: cfg}, nil
}

// Upload is the data of a notification: the receipt of the inspection and
// the uploader's JWT subject, as the broker pinned it with the upload.
type Upload struct {
	inspect.Receipt
	Sub string `json:"sub"`
	// UploadID is the broker's id of the upload ([UploadMeta]): part of the
	// notification id, not of the body.
	UploadID string `json:"-"`
}

// FromObject is the Upload of a receipt whose metadata was read from the
// object: the sub and upload id the broker pinned there.
func FromObject(r inspect.Receipt) Upload {
	return Upload{Receipt: r, Sub: DecodeSub(inspect.MetaValue(r.Metadata, SubMeta)), UploadID: inspect.MetaValue(r.Metadata, UploadMeta)}
}

// Payload is the notification body: Standard Webhooks' envelope of the
// event type and the data. It has no send time (the signed
// webhook-timestamp header carries it), so that every path and every retry
// sends the same bytes for one object version and verdict: a receiver that
// stores by id (such as the broker's own sink) sees an identical
// redelivery, not a conflict.
type Payload struct {
	Type string `json:"type"`
	Data Upload `json:"data"`
}

// TypeOf is the event type of a verdict.
func TypeOf(verdict string) string {
	if verdict == inspect.Accepted {
		return Completed
	}
	return Rejected
}

// ID is the notification id (webhook-id) of one upload: "upl_" and the hex
// SHA-256 of bucket, key, ETag and upload id (NUL-separated; none can contain
// NUL; the ETag without quotes, upper case, as OSS events and GET answers
// spell it).
//
// The upload id is the value the broker minted when it authorised the upload
// and pinned on the object as the metadata [UploadMeta] (and in the callback's
// MAC-covered ticket): every path that reports on the same upload finds the
// same id there (the callback route in its ticket, the multipart complete
// route and the OSS-triggered inspector on the object they read). The ETag
// tells apart two writes of one authorisation (a reused overwrite URL); the
// upload id tells apart two uploads of the same bytes to the same key, by
// different users or at different times. An object the broker did not pin
// (written by the owner directly) has upload id "": its id is its version's.
// The id is a safe key segment (the broker's sink stores under it).
func ID(bucket, key, etag, upload string) string {
	h := sha256.New()
	for i, s := range []string{bucket, key, strings.ToUpper(strings.Trim(etag, `"`)), upload} {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(s))
	}
	return "upl_" + hex.EncodeToString(h.Sum(nil))
}

// Send POSTs the notification of u once and returns its id. Any answer
// but 2xx or 409, a timeout or a connection failure is an error.
func (n *Notifier) Send(ctx context.Context, u Upload) (string, error) {
	now := n.cfg.Now()
	u.ETag = strings.ToUpper(strings.Trim(u.ETag, `"`))
	id := ID(u.Bucket, u.Key, u.ETag, u.UploadID)
	body, err := json.Marshal(Payload{Type: TypeOf(u.Verdict), Data: u})
	if err != nil {
		return id, fmt.Errorf("notify: encoding: %w", err)
	}
	ts := now.Unix()
	sig, err := n.cfg.Signer.Sign(id, ts, body)
	if err != nil {
		return id, err
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return id, fmt.Errorf("notify: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Webhook-Id", id)
	req.Header.Set("Webhook-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("Webhook-Signature", sig)
	req.Header.Set("User-Agent", "ossbroker-notify/1")
	res, err := n.cfg.Client.Do(req)
	if err != nil {
		// url.Error names the URL; the cause alone keeps it out of logs.
		if cause := errors.Unwrap(err); cause != nil {
			err = cause
		}
		return id, fmt.Errorf("notify %s: %w", id, err)
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	// 409 Conflict: the receiver already holds this webhook-id (with
	// other bytes: the object was gone when a later path looked, see
	// uploadevent). Receivers dedupe on the id, so it is delivered.
	if (res.StatusCode < 200 || res.StatusCode > 299) && res.StatusCode != http.StatusConflict {
		return id, fmt.Errorf("notify %s: the receiver answered %d", id, res.StatusCode)
	}
	return id, nil
}

// SubMeta is the x-oss-meta-* name (without the prefix) under which the
// broker stores the uploader's JWT subject with every upload while
// notifications are on. The broker pins it: a presigned PUT signs it, a
// PostObject policy requires it exactly, multipart and direct uploads set
// it themselves, and no caller metadata may use the "ossbroker-" names.
// So the OSS-triggered inspector, which gets only the bucket event, reads
// who uploaded from the object itself, and that value is the broker's.
const SubMeta = "ossbroker-sub"

// UploadMeta is the x-oss-meta-* name (without the prefix) under which the
// broker pins the id it minted for each upload it authorises, pinned like
// [SubMeta]. The callback route judges only an object carrying the id of its
// ticket, and ID includes it.
const UploadMeta = "ossbroker-upload"

// EncodeSub makes a JWT subject (any Unicode) a printable ASCII header
// value: percent-encoding as in a URL path segment.
func EncodeSub(sub string) string { return url.PathEscape(sub) }

// DecodeSub is the inverse of [EncodeSub]; a value it cannot decode is
// returned as is.
func DecodeSub(v string) string {
	s, err := url.PathUnescape(v)
	if err != nil {
		return v
	}
	return s
}
