package broker

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/storage"
	"github.com/ossbroker/ossbroker/pkg/uploadhandle"
)

// Multipart defaults and limits.
const (
	// DefaultPartSize is the part size when the caller asks for none: big
	// enough for few requests, small enough for a browser to retry a part.
	DefaultPartSize = 8 << 20
	// DefaultMultipartTTL is how long a handle lives: long enough for a
	// large upload over a slow link. Part URLs live PRESIGN_TTL each.
	DefaultMultipartTTL = 24 * time.Hour
	// MaxMultipartObject is OSS's bound: 10000 parts of 5 GiB (48.8 TB).
	MaxMultipartObject = storage.MaxPartNumber * storage.MaxPartSize
	// maxPartsPerCall bounds one /v1/multipart/parts batch.
	maxPartsPerCall = 100
	// maxCompleteBody fits 10000 parts with their ETags.
	maxCompleteBody = 1 << 20
)

var (
	errInvalidHandle = errorf(http.StatusForbidden, "invalid_handle",
		"the upload handle is invalid, expired or belongs to another caller")
	errMultipartOff = errorf(http.StatusNotImplemented, "multipart_unavailable",
		"multipart uploads are not configured: set MULTIPART_HANDLE_SECRET (or an OSS AccessKey pair or JWT_HS256_SECRET to derive it from)")
)

func (b *Broker) multipartTTL() time.Duration {
	if b.cfg.MultipartTTL > 0 {
		return b.cfg.MultipartTTL
	}
	return DefaultMultipartTTL
}

func (b *Broker) maxMultipartBytes() int64 {
	if b.cfg.MaxMultipartBytes > 0 {
		return b.cfg.MaxMultipartBytes
	}
	return MaxMultipartObject
}

type multipartInitRequest struct {
	Key         string            `json:"key"`
	ContentType string            `json:"contentType"`
	Size        *int64            `json:"size"`
	PartSize    *int64            `json:"partSize"`
	Overwrite   bool              `json:"overwrite"`
	Metadata    map[string]string `json:"metadata"`
}

type multipartInitResponse struct {
	UploadID  string    `json:"uploadId"`
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	PartSize  int64     `json:"partSize"`
	PartCount int64     `json:"partCount,omitempty"`
	Handle    string    `json:"handle"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// partPlan picks the part size: the caller's, checked against OSS's limits,
// or [DefaultPartSize] raised (to whole MiB) until size fits in 10000 parts.
// It returns the part count when size is known.
func partPlan(size, partSize *int64) (ps, count int64, aerr *apiError) {
	ps = DefaultPartSize
	if partSize != nil {
		ps = *partSize
		if ps < storage.MinPartSize || ps > storage.MaxPartSize {
			return 0, 0, errorf(http.StatusBadRequest, "invalid_request",
				"partSize must be between "+strconv.Itoa(storage.MinPartSize)+" and "+strconv.Itoa(storage.MaxPartSize)+" bytes")
		}
	}
	if size == nil {
		return ps, 0, nil
	}
	need := (*size + storage.MaxPartNumber - 1) / storage.MaxPartNumber
	if ps < need {
		if partSize != nil {
			return 0, 0, errorf(http.StatusBadRequest, "invalid_request",
				"partSize is too small for size: OSS takes at most 10000 parts, so at least "+strconv.FormatInt(need, 10)+" bytes")
		}
		ps = (need + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return ps, (*size + ps - 1) / ps, nil
}

// multipartInitiate is POST /v1/multipart: the key and type are judged as
// for presign, the broker starts the upload with its own credentials and
// returns the handle that binds it to the caller.
func (b *Broker) multipartInitiate(w http.ResponseWriter, r *http.Request) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	if b.cfg.Handles == nil {
		return errMultipartOff
	}
	var req multipartInitRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		return aerr
	}
	res, aerr := b.initiate(r, p, &req)
	if aerr != nil {
		return aerr
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// initiate judges req for p, starts the OSS multipart upload and seals its
// handle: POST /v1/multipart, and Uppy 6's CreateMultipartUpload.
func (b *Broker) initiate(r *http.Request, p auth.Principal, req *multipartInitRequest) (*multipartInitResponse, *apiError) {
	var aerr *apiError
	if req.ContentType, aerr = b.checkUpload(p, req.Overwrite, req.ContentType); aerr != nil {
		return nil, aerr
	}
	if req.Key == "" {
		return nil, errKeyRequired
	}
	if req.Size != nil {
		switch n := *req.Size; {
		case n < 1:
			return nil, errorf(http.StatusBadRequest, "invalid_request", "size must be at least 1 byte (presign empty files)")
		case n > b.maxMultipartBytes():
			return nil, errorf(http.StatusRequestEntityTooLarge, "payload_too_large",
				"size is over the multipart limit of "+strconv.FormatInt(b.maxMultipartBytes(), 10)+" bytes")
		}
	}
	partSize, count, aerr := partPlan(req.Size, req.PartSize)
	if aerr != nil {
		return nil, aerr
	}
	meta, aerr := checkMetadata(req.Metadata)
	if aerr != nil {
		return nil, aerr
	}
	key, aerr := b.resolveKey(r, req.Key, p, req.ContentType)
	if aerr != nil {
		return nil, aerr
	}
	pinned, _ := b.pinUploader(meta, p)
	id, err := b.cfg.Storage.InitiateMultipart(r.Context(), storage.Upload{
		Key: key, ContentType: req.ContentType, Overwrite: req.Overwrite, Metadata: pinned,
	})
	if err != nil {
		return nil, b.multipartError(r.Context(), err)
	}
	c := uploadhandle.Claims{
		Bucket: b.cfg.Storage.Bucket(), Key: key, UploadID: id, Subject: p.Subject,
		ContentType: req.ContentType, Overwrite: req.Overwrite, PartSize: partSize,
		Expires: b.now().Add(b.multipartTTL()).Truncate(time.Second),
	}
	if req.Size != nil {
		c.Size = *req.Size
	}
	h, err := b.cfg.Handles.Seal(c)
	if err != nil {
		// Unreachable for claims the checks above let through (the handle's
		// bound is derived from theirs), but if it happens the caller has no
		// handle to abort with: the broker aborts what it started.
		b.log.LogAttrs(r.Context(), slog.LevelError, "sealing a handle failed",
			slog.String("requestId", requestid.From(r.Context())), slog.String("error", err.Error()))
		b.abortOrphan(r.Context(), key, id)
		return nil, errInternal
	}
	return &multipartInitResponse{
		UploadID: id, Bucket: c.Bucket, Key: key, PartSize: partSize, PartCount: count,
		Handle: h, ExpiresAt: c.Expires.UTC(),
	}, nil
}

// abortOrphan aborts an upload the broker started in this request when a
// later step failed, even if the request's context is done.
func (b *Broker) abortOrphan(ctx context.Context, key, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := b.cfg.Storage.AbortMultipart(ctx, key, id); err != nil {
		b.log.LogAttrs(ctx, slog.LevelError, "aborting an orphaned multipart upload failed",
			slog.String("requestId", requestid.From(ctx)), slog.String("error", err.Error()))
	}
}

// openHandle authenticates the caller and returns the claims of a handle
// they may act on: authentic, unexpired, sealed for their subject and this
// bucket, and with a key the key gate still allows them. Every refusal of
// the handle itself is the same 403.
func (b *Broker) openHandle(r *http.Request, p auth.Principal, h string) (uploadhandle.Claims, *apiError) {
	if b.cfg.Handles == nil {
		return uploadhandle.Claims{}, errMultipartOff
	}
	if aerr := b.requireScope(p, ScopeUpload); aerr != nil {
		return uploadhandle.Claims{}, aerr
	}
	c, err := b.cfg.Handles.Open(h, p.Subject, b.now())
	if err != nil || c.Bucket != b.cfg.Storage.Bucket() {
		reason := "forged, malformed, expired or another subject's"
		if err == nil {
			reason = "another bucket"
		}
		b.log.LogAttrs(r.Context(), slog.LevelInfo, "handle rejected",
			slog.String("requestId", requestid.From(r.Context())), slog.String("reason", reason))
		return uploadhandle.Claims{}, errInvalidHandle
	}
	// Defence in depth: the key is judged again, for this caller, now (the
	// prefix may have changed since the handle was sealed).
	if key, aerr := b.resolveKey(r, c.Key, p, c.ContentType); aerr != nil {
		return uploadhandle.Claims{}, aerr
	} else if key != c.Key {
		return uploadhandle.Claims{}, errInvalidHandle
	}
	if c.Overwrite {
		if aerr := b.requireScope(p, ScopeOverwrite); aerr != nil {
			return uploadhandle.Claims{}, aerr
		}
	}
	return c, nil
}

type partsRequest struct {
	Handle      string  `json:"handle"`
	PartNumbers []int64 `json:"partNumbers"`
	// ContentLength is the length the client will send for each listed
	// part (a browser cannot choose it: it is the body's). With a declared
	// size it must match the plan, so a mismatch is a clear 400 here and
	// not a SignatureDoesNotMatch at OSS; without one it pins the URLs.
	ContentLength *int64 `json:"contentLength"`
	ExpiresIn     *int64 `json:"expiresIn"`
}

// partURL is one presigned UploadPart. Headers holds only what the client
// must set itself; a pinned length is ContentLength, which the client's
// HTTP stack sends from the body (browsers refuse to set it).
type partURL struct {
	PartNumber    int64             `json:"partNumber"`
	Method        string            `json:"method"`
	URL           string            `json:"url"`
	Headers       map[string]string `json:"headers"`
	ContentLength int64             `json:"contentLength,omitempty"`
}

// liftLength takes Content-Length out of a signed header set: every HTTP
// client sends it from the body, and browsers refuse to set it by hand.
func liftLength(h map[string]string) map[string]string {
	delete(h, "Content-Length")
	return h
}

type partsResponse struct {
	Parts     []partURL `json:"parts"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// multipartParts is POST /v1/multipart/parts: presigned UploadPart URLs
// for up to 100 part numbers. When the size was declared, each URL takes
// exactly its part's bytes (the last part the remainder).
func (b *Broker) multipartParts(w http.ResponseWriter, r *http.Request) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	if b.cfg.Handles == nil {
		return errMultipartOff
	}
	var req partsRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		return aerr
	}
	c, aerr := b.openHandle(r, p, req.Handle)
	if aerr != nil {
		return aerr
	}
	if n := len(req.PartNumbers); n == 0 || n > maxPartsPerCall {
		return errorf(http.StatusBadRequest, "invalid_request", "partNumbers must hold 1 to "+strconv.Itoa(maxPartsPerCall)+" part numbers")
	}
	last := int64(storage.MaxPartNumber)
	if c.Size > 0 {
		last = (c.Size + c.PartSize - 1) / c.PartSize
	}
	seen := make(map[int64]bool, len(req.PartNumbers))
	for _, n := range req.PartNumbers {
		switch {
		case n < 1 || n > last:
			return errorf(http.StatusBadRequest, "invalid_request", "part number "+strconv.FormatInt(n, 10)+" is outside 1.."+strconv.FormatInt(last, 10))
		case seen[n]:
			return errorf(http.StatusBadRequest, "invalid_request", "part number "+strconv.FormatInt(n, 10)+" is given twice")
		}
		seen[n] = true
	}
	if req.ContentLength != nil {
		if n := *req.ContentLength; n < 1 || n > storage.MaxPartSize {
			return errorf(http.StatusBadRequest, "invalid_request",
				"contentLength must be between 1 and "+strconv.Itoa(storage.MaxPartSize)+" bytes (OSS's part size limit)")
		}
	}
	ttl, aerr := b.ttl(req.ExpiresIn)
	if aerr != nil {
		return aerr
	}
	expires := b.now().Add(ttl)
	if c.Expires.Before(expires) {
		expires = c.Expires
	}
	res := partsResponse{Parts: make([]partURL, 0, len(req.PartNumbers))}
	for _, n := range req.PartNumbers {
		var size int64
		if c.Size > 0 {
			size = c.PartSize
			if n == last {
				size = c.Size - (last-1)*c.PartSize
			}
			if req.ContentLength != nil && *req.ContentLength != size {
				return errorf(http.StatusBadRequest, "part_size_mismatch",
					"part "+strconv.FormatInt(n, 10)+" of this upload is "+strconv.FormatInt(size, 10)+" bytes, not "+
						strconv.FormatInt(*req.ContentLength, 10)+": the upload was started with size "+strconv.FormatInt(c.Size, 10)+
						" and partSize "+strconv.FormatInt(c.PartSize, 10)+" (give the client's part size as partSize to POST /v1/multipart)")
			}
		} else if req.ContentLength != nil {
			size = *req.ContentLength
		}
		ps, err := b.cfg.Storage.PresignPart(r.Context(), c.Key, c.UploadID, int32(n), size, expires)
		if err != nil {
			return b.storageError(r.Context(), err)
		}
		res.Parts = append(res.Parts, partURL{PartNumber: n, Method: ps.Method, URL: ps.URL, Headers: liftLength(ps.Headers), ContentLength: size})
		res.ExpiresAt = ps.Expires.UTC()
	}
	writeJSON(w, http.StatusOK, &res)
	return nil
}

type completeRequest struct {
	Handle string `json:"handle"`
	Parts  []struct {
		PartNumber int64  `json:"partNumber"`
		ETag       string `json:"etag"`
	} `json:"parts"`
}

// multipartComplete is POST /v1/multipart/complete: the broker checks the
// list against OSS's (so it knows the size, and can say which part is
// wrong), then has OSS assemble the object.
func (b *Broker) multipartComplete(w http.ResponseWriter, r *http.Request) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	if b.cfg.Handles == nil {
		return errMultipartOff
	}
	body, aerr := readJSON(w, r, maxCompleteBody)
	if aerr != nil {
		return aerr
	}
	var req completeRequest
	if aerr := unmarshalStrict(body, &req); aerr != nil {
		return aerr
	}
	c, aerr := b.openHandle(r, p, req.Handle)
	if aerr != nil {
		return aerr
	}
	res, aerr := b.complete(r, c, &req)
	if aerr != nil {
		return aerr
	}
	if b.cfg.Inspector != nil {
		return b.completeWithReceipt(w, r, c, res.ETag, p.Subject)
	}
	w.Header().Set("Location", objectsPrefix+escapeKey(c.Key))
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// complete checks req's part list against OSS's and has OSS assemble the
// object of handle c: POST /v1/multipart/complete, and Uppy 6's
// CompleteMultipartUpload.
func (b *Broker) complete(r *http.Request, c uploadhandle.Claims, req *completeRequest) (*objectResponse, *apiError) {
	if n := len(req.Parts); n == 0 || n > storage.MaxPartNumber {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "parts must hold 1 to 10000 parts")
	}
	parts := make([]storage.Part, len(req.Parts))
	seen := make(map[int64]bool, len(req.Parts))
	for i, pt := range req.Parts {
		num := strconv.FormatInt(pt.PartNumber, 10)
		switch {
		case pt.PartNumber < 1 || pt.PartNumber > storage.MaxPartNumber:
			return nil, errorf(http.StatusBadRequest, "invalid_request", "part number "+num+" is outside 1..10000")
		case seen[pt.PartNumber]:
			return nil, errorf(http.StatusBadRequest, "invalid_request", "part number "+num+" is given twice")
		case !validETag(pt.ETag):
			return nil, errorf(http.StatusBadRequest, "invalid_request", "part "+num+": etag must be the ETag OSS returned for the part")
		}
		seen[pt.PartNumber] = true
		parts[i] = storage.Part{Number: int32(pt.PartNumber), ETag: trimQuotes(pt.ETag)}
	}

	listed, err := b.cfg.Storage.ListParts(r.Context(), c.Key, c.UploadID)
	if err != nil {
		return nil, b.multipartError(r.Context(), err)
	}
	byNumber := make(map[int32]storage.Part, len(listed))
	for _, l := range listed {
		byNumber[l.Number] = l
	}
	var total int64
	for _, pt := range parts {
		l, ok := byNumber[pt.Number]
		num := strconv.Itoa(int(pt.Number))
		switch {
		case !ok:
			return nil, errorf(http.StatusBadRequest, "invalid_part", "part "+num+" was not uploaded")
		case !strings.EqualFold(l.ETag, pt.ETag):
			return nil, errorf(http.StatusBadRequest, "invalid_part", "part "+num+": the etag does not match the uploaded part")
		}
		total += l.Size
	}
	switch {
	case total > b.maxMultipartBytes():
		return nil, errorf(http.StatusRequestEntityTooLarge, "payload_too_large",
			"the parts add up to "+strconv.FormatInt(total, 10)+" bytes, over the multipart limit of "+strconv.FormatInt(b.maxMultipartBytes(), 10))
	case c.Size > 0 && total != c.Size:
		return nil, errorf(http.StatusBadRequest, "invalid_part",
			"the parts add up to "+strconv.FormatInt(total, 10)+" bytes, not the declared size of "+strconv.FormatInt(c.Size, 10))
	}
	etag, _, err := b.cfg.Storage.CompleteMultipart(r.Context(), c.Key, c.UploadID, parts, c.Overwrite)
	if err != nil {
		return nil, b.multipartError(r.Context(), err)
	}
	return &objectResponse{
		Bucket: c.Bucket, Key: c.Key, Size: total, ETag: etag, ContentType: c.ContentType,
	}, nil
}

// completeReceipt is the multipart complete answer with inspection on: the
// receipt an upload callback answers, plus the content type as before.
type completeReceipt struct {
	inspect.Receipt
	ContentType string `json:"contentType"`
}

// completeWithReceipt inspects the assembled object, as the callback route
// does for single uploads: 201 with the receipt when accepted, 200 with it
// when rejected (the object is then deleted or tagged). A failed inspection
// is an error answer, never "accepted".
func (b *Broker) completeWithReceipt(w http.ResponseWriter, r *http.Request, c uploadhandle.Claims, etag, sub string) *apiError {
	rec, aerr := b.inspect(r.Context(), inspect.Request{Bucket: c.Bucket, Key: c.Key, Size: c.Size, MaxSize: b.maxMultipartBytes(), ETag: etag},
		requestid.From(r.Context()))
	if aerr != nil {
		return aerr
	}
	b.notify(r.Context(), notify.Upload{Receipt: rec, Sub: sub, UploadID: inspect.MetaValue(rec.Metadata, notify.UploadMeta)})
	status := http.StatusOK
	if rec.Verdict == inspect.Accepted {
		status = http.StatusCreated
		w.Header().Set("Location", objectsPrefix+escapeKey(c.Key))
	}
	writeJSON(w, status, &completeReceipt{Receipt: rec, ContentType: c.ContentType})
	return nil
}

type abortRequest struct {
	Handle string `json:"handle"`
}

// multipartAbort is POST /v1/multipart/abort: OSS drops the parts.
func (b *Broker) multipartAbort(w http.ResponseWriter, r *http.Request) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	if b.cfg.Handles == nil {
		return errMultipartOff
	}
	var req abortRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		return aerr
	}
	c, aerr := b.openHandle(r, p, req.Handle)
	if aerr != nil {
		return aerr
	}
	if err := b.cfg.Storage.AbortMultipart(r.Context(), c.Key, c.UploadID); err != nil {
		return b.multipartError(r.Context(), err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type listRequest struct {
	Handle string `json:"handle"`
}

type listedPart struct {
	PartNumber int32  `json:"partNumber"`
	ETag       string `json:"etag"`
	Size       int64  `json:"size"`
}

type listResponse struct {
	Bucket    string       `json:"bucket"`
	Key       string       `json:"key"`
	PartSize  int64        `json:"partSize"`
	Size      int64        `json:"size,omitempty"`
	Parts     []listedPart `json:"parts"`
	ExpiresAt time.Time    `json:"expiresAt"`
}

// multipartList is POST /v1/multipart/list: the parts OSS holds for the
// handle's upload, so a client that lost its state (a reloaded page, a
// restarted app) sends only the missing ones.
func (b *Broker) multipartList(w http.ResponseWriter, r *http.Request) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	if b.cfg.Handles == nil {
		return errMultipartOff
	}
	var req listRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		return aerr
	}
	c, aerr := b.openHandle(r, p, req.Handle)
	if aerr != nil {
		return aerr
	}
	parts, aerr := b.listParts(r, c)
	if aerr != nil {
		return aerr
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, &listResponse{
		Bucket: c.Bucket, Key: c.Key, PartSize: c.PartSize, Size: c.Size, Parts: parts, ExpiresAt: c.Expires.UTC(),
	})
	return nil
}

// listParts is what OSS holds for handle c, in ascending part order.
func (b *Broker) listParts(r *http.Request, c uploadhandle.Claims) ([]listedPart, *apiError) {
	listed, err := b.cfg.Storage.ListParts(r.Context(), c.Key, c.UploadID)
	if err != nil {
		return nil, b.multipartError(r.Context(), err)
	}
	parts := make([]listedPart, len(listed))
	for i, l := range listed {
		parts[i] = listedPart{PartNumber: l.Number, ETag: l.ETag, Size: l.Size}
	}
	return parts, nil
}

// multipartError maps OSS's multipart refusals to the API, then falls back
// to storageError.
func (b *Broker) multipartError(ctx context.Context, err error) *apiError {
	switch {
	case errors.Is(err, storage.ErrNoSuchUpload):
		return errorf(http.StatusNotFound, "upload_not_found", "the multipart upload no longer exists: it was completed, aborted or expired")
	case errors.Is(err, storage.ErrInvalidPart):
		return errorf(http.StatusBadRequest, "invalid_part", "a listed part was not uploaded, or its etag does not match")
	case errors.Is(err, storage.ErrPartOrder):
		return errorf(http.StatusBadRequest, "invalid_part_order", "list each part once, in ascending part number order")
	case errors.Is(err, storage.ErrPartTooSmall):
		return errorf(http.StatusBadRequest, "part_too_small", "every part but the last must be at least 100 KiB")
	}
	return b.storageError(ctx, err)
}

// validETag accepts what OSS returns for a part: hex, optionally quoted.
func validETag(s string) bool {
	s = trimQuotes(s)
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			return false
		}
	}
	return true
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
