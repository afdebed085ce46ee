package broker

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/internal/jsonstring"
	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/notify"
	"github.com/ossbroker/ossbroker/pkg/storage"
	"github.com/ossbroker/ossbroker/pkg/uploadticket"
)

const (
	maxJSONBody      = 64 << 10 // a presign request is small; more is abuse
	maxMetadataBytes = 8 << 10  // OSS's limit on user metadata
)

type presignRequest struct {
	Key           string            `json:"key"`
	ContentType   string            `json:"contentType"`
	ContentLength *int64            `json:"contentLength"`
	ContentMD5    string            `json:"contentMD5"`
	Overwrite     bool              `json:"overwrite"`
	ExpiresIn     *int64            `json:"expiresIn"`
	Metadata      map[string]string `json:"metadata"`
	// ContentDisposition and CacheControl, when given, are signed: the
	// uploader must send exactly them, and OSS stores them.
	ContentDisposition string `json:"contentDisposition"`
	CacheControl       string `json:"cacheControl"`
}

// presignResponse is one signed PUT. Headers holds only what the client
// must set itself; a pinned length is ContentLength (every HTTP client
// sends Content-Length from the body, and browsers refuse to set it).
type presignResponse struct {
	Method        string            `json:"method"`
	URL           string            `json:"url"`
	Headers       map[string]string `json:"headers"`
	ContentLength *int64            `json:"contentLength,omitempty"` // nil: not pinned; 0 pins an empty object
	Bucket        string            `json:"bucket"`
	Key           string            `json:"key"`
	ExpiresAt     time.Time         `json:"expiresAt"`
}

// appendJSON appends the bytes json.Marshal(r) gives, without reflection:
// this is the answer to nearly every call.
func (r *presignResponse) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"method":`...)
	dst = jsonstring.Append(dst, r.Method)
	dst = append(dst, `,"url":`...)
	dst = jsonstring.Append(dst, r.URL)
	dst = append(dst, `,"headers":`...)
	dst = jsonstring.AppendMap(dst, r.Headers)
	if r.ContentLength != nil {
		dst = append(dst, `,"contentLength":`...)
		dst = strconv.AppendInt(dst, *r.ContentLength, 10)
	}
	dst = append(dst, `,"bucket":`...)
	dst = jsonstring.Append(dst, r.Bucket)
	dst = append(dst, `,"key":`...)
	dst = jsonstring.Append(dst, r.Key)
	dst = append(dst, `,"expiresAt":"`...)
	dst = r.ExpiresAt.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, `"}`...)
}

// Batch presign (POST /v1/presign with {"files":[...]}).
const (
	maxBatchFiles = 100
	// maxBatchBody bounds a batch request: 100 items with long keys and
	// metadata. A single presign keeps the 64 KiB bound.
	maxBatchBody = 1 << 20
)

// presignEnvelope is either one presign request (top-level fields) or a
// batch (files), never both.
type presignEnvelope struct {
	presignRequest
	Files []json.RawMessage `json:"files"`
}

// batchItem is one entry of a batch answer: the presign response, or the
// error that item got.
type batchItem struct {
	*presignResponse
	Error *itemError `json:"error,omitempty"`
}

type itemError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (b *Broker) presign(w http.ResponseWriter, r *http.Request) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	body, aerr := readJSON(w, r, maxBatchBody)
	if aerr != nil {
		return aerr
	}
	var env presignEnvelope
	if !decodePresign(body, &env.presignRequest) {
		if aerr := unmarshalStrict(body, &env); aerr != nil {
			return aerr
		}
	}
	if env.Files == nil {
		if len(body) > maxJSONBody {
			return errorf(http.StatusRequestEntityTooLarge, "payload_too_large", "the request body is over 64 KiB")
		}
		res, aerr := b.presignOne(r, p, &env.presignRequest)
		if aerr != nil {
			return aerr
		}
		writeBody(w, http.StatusOK, res.appendJSON(make([]byte, 0, 128+len(res.URL)+len(res.Key))))
		return nil
	}
	if !reflect.ValueOf(env.presignRequest).IsZero() {
		return errorf(http.StatusBadRequest, "invalid_request", "give either files or the fields of one upload, not both")
	}
	if n := len(env.Files); n == 0 || n > maxBatchFiles {
		return errorf(http.StatusBadRequest, "invalid_request", "files must hold 1 to "+strconv.Itoa(maxBatchFiles)+" items")
	}
	// The caller may upload at all; each item is then judged on its own.
	if aerr := b.requireScope(p, ScopeUpload); aerr != nil {
		return aerr
	}
	out := make([]batchItem, len(env.Files))
	for i, raw := range env.Files {
		var req presignRequest
		aerr := unmarshalStrict(raw, &req)
		var res *presignResponse
		if aerr == nil {
			res, aerr = b.presignOne(r, p, &req)
		}
		if aerr != nil {
			if aerr.status >= 500 {
				// Storage failing fails the whole batch, as it would each item.
				return aerr
			}
			out[i].Error = &itemError{Code: aerr.code, Message: aerr.message}
			continue
		}
		out[i].presignResponse = res
	}
	writeJSON(w, http.StatusOK, map[string]any{"uploads": out})
	return nil
}

// presignOne checks and signs one upload.
func (b *Broker) presignOne(r *http.Request, p auth.Principal, req *presignRequest) (*presignResponse, *apiError) {
	var aerr *apiError
	if req.ContentType, aerr = b.checkUpload(p, req.Overwrite, req.ContentType); aerr != nil {
		return nil, aerr
	}
	if req.Key == "" {
		return nil, errKeyRequired
	}
	u := storage.Upload{ContentType: req.ContentType, Overwrite: req.Overwrite}
	n, aerr := b.pinnedLength(req.ContentLength)
	if aerr != nil {
		return nil, aerr
	}
	u.ContentLength = n
	if req.ContentMD5 != "" {
		if !validMD5(req.ContentMD5) {
			return nil, errBadMD5("contentMD5")
		}
		u.ContentMD5 = req.ContentMD5
	}
	meta, aerr := checkMetadata(req.Metadata)
	if aerr != nil {
		return nil, aerr
	}
	var upload string
	u.Metadata, upload = b.pinUploader(meta, p)
	if aerr := checkStoredHeaders(req.ContentDisposition, req.CacheControl); aerr != nil {
		return nil, aerr
	}
	u.ContentDisposition, u.CacheControl = req.ContentDisposition, req.CacheControl

	key, aerr := b.resolveKey(r, req.Key, p, req.ContentType)
	if aerr != nil {
		return nil, aerr
	}
	u.Key = key
	ttl, aerr := b.ttl(req.ExpiresIn)
	if aerr != nil {
		return nil, aerr
	}
	if b.cbParam != "" {
		vars, aerr := b.callbackVars(r, p, key, req.ContentType, upload, u.ContentLength, b.cfg.MaxUploadBytes, b.now().Add(ttl))
		if aerr != nil {
			return nil, aerr
		}
		u.Callback, u.CallbackVar = b.cbParam, encodeVars(vars)
	}
	ps, err := b.cfg.Storage.PresignPut(r.Context(), u, ttl)
	if err != nil {
		return nil, b.storageError(r.Context(), err)
	}
	return &presignResponse{
		Method:        ps.Method,
		URL:           ps.URL,
		Headers:       liftLength(ps.Headers),
		ContentLength: u.ContentLength,
		Bucket:        b.cfg.Storage.Bucket(),
		Key:           key,
		ExpiresAt:     ps.Expires.UTC(),
	}, nil
}

// maxStoredHeader bounds contentDisposition and cacheControl.
const maxStoredHeader = 1 << 10

// checkStoredHeaders checks the optional contentDisposition and
// cacheControl a presign or form pins: header values sent byte for byte
// ([mediatype.CheckHeaderValue]'s rule: printable ASCII, no leading or
// trailing space), at most 1 KiB.
func checkStoredHeaders(disposition, cacheControl string) *apiError {
	for _, f := range []struct{ name, v string }{{"contentDisposition", disposition}, {"cacheControl", cacheControl}} {
		if len(f.v) > maxStoredHeader {
			return errorf(http.StatusBadRequest, "invalid_request", f.name+" is over 1 KiB")
		}
		if err := mediatype.CheckHeaderValue(f.v); err != nil {
			return errorf(http.StatusBadRequest, "invalid_request", f.name+" "+err.Error())
		}
	}
	return nil
}

// validMD5 reports whether s is the padded base64 of exactly 16 bytes, as
// a Content-MD5 header carries it: 24 characters of the standard alphabet
// ending in "==". base64's decoders skip CR and LF (even Strict), so
// decoding alone would let line breaks through into a signed header.
func validMD5(s string) bool {
	if len(s) != 24 || s[22:] != "==" {
		return false
	}
	for i := 0; i < 22; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	d, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && len(d) == 16
}

func errBadMD5(field string) *apiError {
	return errorf(http.StatusBadRequest, "invalid_request", field+" must be the base64 of a 16-byte MD5 digest (24 characters ending in \"==\")")
}

// pinnedLength checks a presign's contentLength. Given, it is signed as
// Content-Length, so the URL takes exactly that many bytes (0: an empty
// object); it must be 0..MAX_UPLOAD_BYTES. Left out, the URL takes any
// size up to OSS's single-PUT limit, which a presigned PUT cannot lower:
// so when MAX_UPLOAD_BYTES is below that limit, the length is required.
func (b *Broker) pinnedLength(n *int64) (*int64, *apiError) {
	switch {
	case n == nil && b.cfg.MaxUploadBytes < storage.MaxPutSize:
		return nil, errorf(http.StatusBadRequest, "invalid_request",
			"contentLength is required: this deployment limits uploads to "+strconv.FormatInt(b.cfg.MaxUploadBytes, 10)+
				" bytes, which a presigned PUT can only enforce by pinning the length; for a size not known in advance use "+
				"POST /v1/presign-post (maxBytes) or POST /v1/multipart")
	case n == nil:
		return nil, nil
	case *n < 0:
		return nil, errorf(http.StatusBadRequest, "invalid_request", "contentLength must not be negative")
	case *n > b.cfg.MaxUploadBytes:
		return nil, errorf(http.StatusRequestEntityTooLarge, "payload_too_large",
			"contentLength is over the limit of "+strconv.FormatInt(b.cfg.MaxUploadBytes, 10)+" bytes")
	}
	v := *n
	return &v, nil
}

// ttl is a requested expiresIn (1 s to PresignMaxTTL), or PresignTTL when
// none was asked. Anything else is refused, not clamped: the URL's
// lifetime is what the caller asked for or nothing.
func (b *Broker) ttl(expiresIn *int64) (time.Duration, *apiError) {
	if expiresIn == nil {
		return b.cfg.PresignTTL, nil
	}
	// Clamped to [1, PRESIGN_MAX_TTL], as the API reference says.
	secs := min(max(*expiresIn, 1), int64(b.cfg.PresignMaxTTL/time.Second))
	return time.Duration(secs) * time.Second, nil
}

// decodeJSON reads one JSON object strictly: a bounded body (64 KiB), no
// unknown fields, nothing after the object.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	body, aerr := readJSON(w, r, maxJSONBody)
	if aerr != nil {
		return aerr
	}
	return unmarshalStrict(body, v)
}

// readJSON reads a JSON request body of at most limit bytes that must
// decode without replacement ([jsonstring.Lossless]).
func readJSON(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
			return nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "the request body must be application/json")
		}
	}
	tooLarge := errorf(http.StatusRequestEntityTooLarge, "payload_too_large", "the request body is over "+sizeText(limit))
	// A declared length over the limit is refused unread (behind FC the
	// body has not even been base64-decoded yet).
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, errorf(http.StatusBadRequest, "invalid_request", "the request body could not be read")
	}
	// encoding/json would quietly turn invalid UTF-8, and \u escapes of
	// unpaired surrogates, into U+FFFD: many different keys would become one
	// instead of being refused. Checked once here, for every field, before
	// the fast path and encoding/json.
	if !jsonstring.Lossless(body) {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "the request body is not valid Unicode (invalid UTF-8, or a \\u escape of an unpaired surrogate)")
	}
	return body, nil
}

// unmarshalStrict decodes one JSON object: no unknown fields, nothing after
// it.
func unmarshalStrict(body []byte, v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "invalid_request", "the request body is not valid JSON for this route: "+jsonProblem(err))
	}
	if dec.More() || dec.InputOffset() != int64(len(bytes.TrimRight(body, " \t\r\n"))) {
		return errorf(http.StatusBadRequest, "invalid_request", "the request body has data after the JSON object")
	}
	return nil
}

// sizeText writes a byte limit for messages: "64 KiB", "1 MiB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// jsonProblem says what is wrong without echoing the input.
func jsonProblem(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		return "field " + quote(ute.Field) + " has the wrong type"
	case errors.As(err, &se):
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + quote(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	case errors.Is(err, io.EOF):
		return "empty body"
	default:
		return "malformed"
	}
}

// pinUploader adds what the broker pins on every upload it authorises
// while notifications or inspection are on: the uploader's subject
// ([notify.SubMeta], read by the OSS-triggered inspector) and a fresh upload
// id ([notify.UploadMeta], in the callback's ticket and the notification id),
// which it returns. checkMetadata keeps callers off those names.
func (b *Broker) pinUploader(meta map[string]string, p auth.Principal) (map[string]string, string) {
	if b.cfg.Notifier == nil && b.cfg.Inspector == nil {
		return meta, ""
	}
	out := make(map[string]string, len(meta)+2)
	for k, v := range meta {
		out[k] = v
	}
	upload := uploadticket.NewUploadID()
	out[notify.UploadMeta] = upload
	if b.cfg.Notifier != nil {
		out[notify.SubMeta] = notify.EncodeSub(p.Subject)
	}
	return out, upload
}

// reservedMeta and reservedWebhookMeta start the metadata names only the
// broker sets: the uploader's sub ([notify.SubMeta]) and what the webhook
// sink stores with a delivery (the inspector skips objects that carry
// webhook-source, so no upload may).
const (
	reservedMeta        = "ossbroker-"
	reservedWebhookMeta = "webhook-"
)

// checkMetadata validates x-oss-meta-* names ([a-z0-9-], which no proxy
// drops) and values:
// printable ASCII values (OSS stores them as HTTP headers) and at most 8 KiB.
func checkMetadata(m map[string]string) (map[string]string, *apiError) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	total := 0
	for k, v := range m {
		lk := strings.ToLower(k)
		if lk == "" || !isToken(lk) {
			return nil, errorf(http.StatusBadRequest, "invalid_request", "metadata name "+quote(k)+" is not a valid header name")
		}
		if strings.HasPrefix(lk, reservedMeta) || strings.HasPrefix(lk, reservedWebhookMeta) {
			return nil, errorf(http.StatusBadRequest, "invalid_request", "metadata names starting with "+quote(reservedMeta)+" or "+quote(reservedWebhookMeta)+" are the broker's")
		}
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] > 0x7e {
				return nil, errorf(http.StatusBadRequest, "invalid_request", "metadata "+quote(k)+" must be printable ASCII")
			}
		}
		if _, dup := out[lk]; dup {
			return nil, errorf(http.StatusBadRequest, "invalid_request", "metadata name "+quote(k)+" is given twice")
		}
		total += len(lk) + len(v)
		out[lk] = strings.TrimSpace(v)
	}
	if total > maxMetadataBytes {
		return nil, errorf(http.StatusBadRequest, "invalid_request", "metadata is over OSS's 8 KiB limit")
	}
	return out, nil
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
