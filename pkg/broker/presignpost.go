package broker

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/storage"
)

type presignPostRequest struct {
	Key         string `json:"key"`
	ContentType string `json:"contentType"`
	MaxBytes    *int64 `json:"maxBytes"`
	Overwrite   bool   `json:"overwrite"`
	ExpiresIn   *int64 `json:"expiresIn"`
	// ContentDisposition and CacheControl, when given, are form fields the
	// policy pins with "eq".
	ContentDisposition string `json:"contentDisposition"`
	CacheControl       string `json:"cacheControl"`
}

type presignPostResponse struct {
	URL       string            `json:"url"`
	Fields    map[string]string `json:"fields"`
	Bucket    string            `json:"bucket"`
	Key       string            `json:"key"`
	MaxBytes  int64             `json:"maxBytes"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

// presignPost is POST /v1/presign-post: an OSS PostObject form whose V4
// policy pins the key, the content type, forbid-overwrite (unless
// overwrite) and a content-length-range of [0, maxBytes] that OSS enforces.
// The browser posts the fields, then the file as the last field.
func (b *Broker) presignPost(w http.ResponseWriter, r *http.Request) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	var req presignPostRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		return aerr
	}
	if req.ContentType, aerr = b.checkUpload(p, req.Overwrite, req.ContentType); aerr != nil {
		return aerr
	}
	if req.Key == "" {
		return errKeyRequired
	}
	// OSS replaces ${filename} in a form's key with the uploaded file's
	// name, which the uploader picks: never let a key carry it.
	if strings.Contains(req.Key, "${") {
		return errorf(http.StatusBadRequest, "invalid_key", "a form key must not contain \"${\" (OSS would substitute the file name)")
	}
	limit := b.cfg.MaxUploadBytes
	if req.MaxBytes != nil {
		switch n := *req.MaxBytes; {
		case n < 1:
			return errorf(http.StatusBadRequest, "invalid_request", "maxBytes must be at least 1")
		case n > b.cfg.MaxUploadBytes:
			return errorf(http.StatusRequestEntityTooLarge, "payload_too_large",
				"maxBytes is over the limit of "+strconv.FormatInt(b.cfg.MaxUploadBytes, 10)+" bytes")
		default:
			limit = n
		}
	}
	if aerr := checkStoredHeaders(req.ContentDisposition, req.CacheControl); aerr != nil {
		return aerr
	}
	ttl, aerr := b.ttl(req.ExpiresIn)
	if aerr != nil {
		return aerr
	}
	key, aerr := b.resolveKey(r, req.Key, p, req.ContentType)
	if aerr != nil {
		return aerr
	}
	meta, upload := b.pinUploader(nil, p)
	pu := storage.PostUpload{
		Key: key, ContentType: req.ContentType, MaxBytes: limit, Overwrite: req.Overwrite,
		ContentDisposition: req.ContentDisposition, CacheControl: req.CacheControl,
		Metadata: meta,
	}
	if b.cbParam != "" {
		pu.Callback = b.cbParam
		if pu.CallbackVars, aerr = b.callbackVars(r, p, key, req.ContentType, upload, nil, limit, b.now().Add(ttl)); aerr != nil {
			return aerr
		}
	}
	f, err := b.cfg.Storage.PresignPost(r.Context(), pu, ttl)
	if err != nil {
		return b.storageError(r.Context(), err)
	}
	writeJSON(w, http.StatusOK, &presignPostResponse{
		URL: f.URL, Fields: f.Fields, Bucket: b.cfg.Storage.Bucket(), Key: key, MaxBytes: limit, ExpiresAt: f.Expires,
	})
	return nil
}
