package broker

import (
	"errors"
	"net/http"
	"strings"

	"github.com/ossbroker/ossbroker/pkg/inspect"

	"github.com/ossbroker/ossbroker/pkg/storage"
)

// maxDisposition bounds responseContentDisposition.
const maxDisposition = 1 << 10

type presignGetRequest struct {
	Key                        string `json:"key"`
	ExpiresIn                  *int64 `json:"expiresIn"`
	ResponseContentDisposition string `json:"responseContentDisposition"`
}

// presignGet is POST /v1/presign-get: a V4 presigned GET URL for a key the
// key gate allows the caller (the same prefix as uploads), with an optional
// signed response-content-disposition. It needs the download scope when
// scopes are required, and exists only with AllowDownloads.
func (b *Broker) presignGet(w http.ResponseWriter, r *http.Request) *apiError {
	if !b.cfg.AllowDownloads {
		return errorf(http.StatusNotFound, "not_found", "downloads are not enabled (ALLOW_DOWNLOADS)")
	}
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	var req presignGetRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		return aerr
	}
	if aerr := b.requireScope(p, ScopeDownload); aerr != nil {
		return aerr
	}
	if req.Key == "" {
		return errKeyRequired
	}
	if strings.HasSuffix(req.Key, "/") {
		return errorf(http.StatusBadRequest, "invalid_key", "a download needs a full key, not a folder")
	}
	if d := req.ResponseContentDisposition; len(d) > maxDisposition || !printableASCII(d) {
		return errorf(http.StatusBadRequest, "invalid_request", "responseContentDisposition must be printable ASCII, at most 1 KiB")
	}
	ttl, aerr := b.ttl(req.ExpiresIn)
	if aerr != nil {
		return aerr
	}
	key, aerr := b.resolveKey(r, req.Key, p, "")
	if aerr != nil {
		return aerr
	}
	if aerr := b.refuseRejected(r, key); aerr != nil {
		return aerr
	}
	ps, err := b.cfg.Storage.PresignGet(r.Context(), storage.Download{Key: key, ContentDisposition: req.ResponseContentDisposition}, ttl)
	if err != nil {
		return b.storageError(r.Context(), err)
	}
	writeJSON(w, http.StatusOK, &presignResponse{
		Method: ps.Method, URL: ps.URL, Headers: ps.Headers, Bucket: b.cfg.Storage.Bucket(), Key: key, ExpiresAt: ps.Expires.UTC(),
	})
	return nil
}

// refuseRejected is presign-get's check that a rejected upload is not
// served. A quarantined one is out of reach already: it left the prefix
// (the key gate refuses its quarantine key) and its key holds nothing. A
// tagged one (REJECTED_UPLOADS=tag) stays in place: its tags are read
// (oss:GetObjectTagging) and a rejection is 403 rejected.
func (b *Broker) refuseRejected(r *http.Request, key string) *apiError {
	if b.cfg.Inspector == nil || b.cfg.Inspector.Action() != inspect.Tag {
		return nil
	}
	tags, err := b.cfg.Storage.Tags(r.Context(), key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil // nothing to serve; the URL will answer 404
	case err != nil:
		return b.storageError(r.Context(), err)
	case tags[inspect.TagVerdict] == inspect.Rejected:
		return errorf(http.StatusForbidden, "rejected", "the upload was rejected by inspection ("+tags[inspect.TagReason]+") and is not served")
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
