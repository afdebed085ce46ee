package broker

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

type objectResponse struct {
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	ETag        string `json:"etag"`
	ContentType string `json:"contentType"`
}

// putObject stores the request body. rawKey is the still-encoded path after
// /v1/objects/; it is decoded exactly once, here, and the decoded key is
// what the key gate judges.
func (b *Broker) putObject(w http.ResponseWriter, r *http.Request, rawKey string) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	key, err := url.PathUnescape(rawKey)
	if err != nil {
		return errorf(http.StatusBadRequest, "invalid_key", "the key is not validly percent-encoded")
	}
	folder := strings.HasSuffix(key, "/")
	switch {
	case r.Method == http.MethodPut && folder:
		return errorf(http.StatusBadRequest, "invalid_key", "PUT needs a full key; POST to a folder (ending in /) to have a name picked")
	case r.Method == http.MethodPost && !folder:
		return errorf(http.StatusBadRequest, "invalid_key", "POST needs a folder ending in /; PUT to a full key")
	}
	// Exactly "true" or "false", as documented: strconv.ParseBool would also
	// take "1", "t", "TRUE" and the like.
	var overwrite bool
	if q := r.URL.Query(); q.Has("overwrite") {
		switch v := q["overwrite"]; {
		case len(v) == 1 && v[0] == "true":
			overwrite = true
		case len(v) == 1 && v[0] == "false":
		default:
			return errorf(http.StatusBadRequest, "invalid_request", "overwrite must be true or false")
		}
	}
	ct, aerr := b.checkUpload(p, overwrite, r.Header.Get("Content-Type"))
	if aerr != nil {
		return aerr
	}
	md5 := r.Header.Get("Content-MD5")
	if md5 != "" && !validMD5(md5) {
		return errBadMD5("Content-MD5")
	}
	if r.ContentLength > b.cfg.MaxDirectUploadBytes {
		return b.tooLarge()
	}
	key, aerr = b.resolveKey(r, key, p, ct)
	if aerr != nil {
		return aerr
	}

	// One buffer of the body's size; at most one byte past the limit.
	body, err := readBody(w, r, b.cfg.MaxDirectUploadBytes)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return b.tooLarge()
	case errors.Is(err, errBodyLength):
		return errorf(http.StatusBadRequest, "invalid_request", "the body is shorter than its Content-Length")
	case err != nil:
		return errorf(http.StatusBadRequest, "invalid_request", "the request body could not be read")
	}
	if b.cfg.Inspector != nil {
		// Inspection on: judge the bytes before they are stored, by the
		// rule the callback route applies, so nothing is stored to undo.
		if detected, reason := b.cfg.Inspector.Judge(key, ct, body, int64(len(body)), b.cfg.MaxDirectUploadBytes); reason != "" {
			return contentRefused(reason, ct, detected)
		}
	}
	pinned, _ := b.pinUploader(nil, p)
	obj, err := b.cfg.Storage.Put(r.Context(), storage.Upload{
		Key: key, ContentType: ct, ContentMD5: md5, Overwrite: overwrite, Metadata: pinned,
	}, body)
	if err != nil {
		return b.storageError(r.Context(), err)
	}
	w.Header().Set("Location", objectsPrefix+escapeKey(obj.Key))
	writeJSON(w, http.StatusCreated, &objectResponse{
		Bucket: obj.Bucket, Key: obj.Key, Size: obj.Size, ETag: obj.ETag, ContentType: obj.ContentType,
	})
	return nil
}

// contentRefused is the 415 of a direct upload whose bytes inspection
// refuses.
func contentRefused(reason, declared, detected string) *apiError {
	if reason == inspect.ReasonTypeMismatch {
		return errorf(http.StatusUnsupportedMediaType, reason, "the content is "+quote(detected)+", not the declared "+quote(declared))
	}
	return errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "the content is "+quote(detected)+", which is not allowed")
}

func (b *Broker) tooLarge() *apiError {
	return errorf(http.StatusRequestEntityTooLarge, "payload_too_large",
		"a direct upload takes at most "+strconv.FormatInt(b.cfg.MaxDirectUploadBytes, 10)+" bytes; presign larger files")
}

// escapeKey percent-encodes a key for a URL path, keeping its slashes.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
