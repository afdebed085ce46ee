package ossemu

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const maxUserMeta = 8 << 10

// storedHeaders are standard headers kept with an object and returned on
// GET/HEAD.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

// checkKey applies OSS's object name rules (OSS documentation: object naming).
func checkKey(key string) *ossError {
	bad := func(ec string) *ossError {
		return newErr(400, "InvalidObjectName", "The specified object is not valid.", ec)
	}
	switch {
	case key == "":
		return bad("0016-00000001")
	case len(key) > 1023:
		return bad("0016-00000003")
	case !utf8.ValidString(key):
		return bad("0016-00000002")
	case key[0] == '/' || key[0] == '\\':
		return bad("0016-00000005")
	}
	return nil
}

func etagOf(sum []byte) string { return `"` + strings.ToUpper(hex.EncodeToString(sum)) + `"` }

func errEntityTooLarge() *ossError {
	return newErr(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", "")
}

func errFileExists(ec string) *ossError {
	return newErr(409, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.", ec)
}

func forbidOverwrite(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("x-oss-forbid-overwrite")), "true")
}

// contentMD5 parses the Content-MD5 header; nil when absent.
func contentMD5(r *http.Request) ([]byte, *ossError) {
	v := r.Header.Get("Content-MD5")
	if v == "" {
		return nil, nil
	}
	sum, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sum) != md5.Size {
		return nil, newErr(400, "InvalidDigest", "The Content-MD5 you specified was invalid.", "0017-00000502")
	}
	return sum, nil
}

// newMeta collects what a write request says about the object-to-be:
// content type, stored headers and user metadata (8 KiB total).
func newMeta(r *http.Request, bucket, key string) (*objMeta, *ossError) {
	m := &objMeta{Bucket: bucket, Key: key, Type: "Normal", ContentType: r.Header.Get("Content-Type")}
	if m.ContentType == "" {
		m.ContentType = "application/octet-stream"
	}
	for _, h := range storedHeaders {
		if v := r.Header.Get(h); v != "" {
			if m.Headers == nil {
				m.Headers = map[string]string{}
			}
			m.Headers[h] = v
		}
	}
	total := 0
	for k, vs := range r.Header {
		low := strings.ToLower(k)
		if !strings.HasPrefix(low, "x-oss-meta-") {
			continue
		}
		v := strings.TrimSpace(strings.Join(vs, ","))
		total += len(low) + len(v)
		if m.UserMeta == nil {
			m.UserMeta = map[string]string{}
		}
		m.UserMeta[low] = v
	}
	if total > maxUserMeta {
		return nil, invalidArg("0011-00000002", "The user metadata (x-oss-meta-*) exceeds 8 KB.", "x-oss-meta-*", "")
	}
	if v := r.Header.Get("x-oss-object-acl"); v != "" && v != "default" && v != "private" && v != "public-read" && v != "public-read-write" {
		return nil, invalidArg("", "The ACL you provided is not valid.", "x-oss-object-acl", v)
	}
	return m, nil
}

// readBody stores the request body as a blob, mapping size and transport
// failures to OSS errors, and checks it against want (a Content-MD5, when
// not nil). Nothing is left behind on failure.
func (s *Server) readBody(r *http.Request, want []byte) (*blob, *ossError) {
	if r.ContentLength > s.cfg.MaxObjectSize {
		return nil, errEntityTooLarge()
	}
	b, err := s.store.writeBlob(r.Body, s.cfg.MaxObjectSize)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, errEntityTooLarge()
	case err != nil:
		s.log.Info("ossemu: body read failed", "err", err)
		// S3's code; OSS documents none for a body cut short.
		return nil, newErr(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.", "")
	}
	if want != nil && string(want) != string(b.md5) {
		b.discard()
		return nil, newErr(400, "InvalidDigest", "The Content-MD5 you specified did not match what we received.", "0017-00000503")
	}
	return b, nil
}

// commitObject stores b as the object m describes: the one place an object
// becomes visible, atomically, refused when forbid is set and the key exists.
func (s *Server) commitObject(b *blob, m *objMeta, forbid bool) *ossError {
	m.MD5 = b.md5
	m.ETag = etagOf(b.md5)
	m.LastModified = s.now().UTC().Truncate(time.Second)
	if err := s.store.commit(b, m, forbid); err != nil {
		if errors.Is(err, errExists) {
			return errFileExists("0026-00000002")
		}
		s.log.Error("ossemu: commit", "err", err)
		return errInternal()
	}
	return nil
}

func (s *Server) putObject(w http.ResponseWriter, r *http.Request, bucket, key, reqID string) *ossError {
	want, e := contentMD5(r)
	if e != nil {
		return e
	}
	cb, e := parseCallback(r.Header.Get("x-oss-callback"), r.Header.Get("x-oss-callback-var"))
	if e != nil {
		return e
	}
	m, e := newMeta(r, bucket, key)
	if e != nil {
		return e
	}
	forbid := forbidOverwrite(r)
	if _, exists := s.store.head(bucket, key); exists && forbid {
		return errFileExists("0026-00000002")
	}
	b, e := s.readBody(r, want)
	if e != nil {
		return e
	}
	if e := s.commitObject(b, m, forbid); e != nil {
		return e
	}
	// After the answer (and its callback): OSS delivers events
	// asynchronously, well after a callback that runs within the request.
	defer s.emit(r, m, reqID, "PutObject")
	h := w.Header()
	setDigests(h, m.ETag, m.MD5, m.CRC64)
	if cb != nil {
		s.callback(w, r, cb, s.sysVars(r, m, reqID, "PutObject"))
		return nil
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// setDigests sets the headers OSS answers a write with: what it stored,
// as ETag, Content-MD5 and CRC-64 (which the SDKs check).
func setDigests(h http.Header, etag string, md5 []byte, crc uint64) {
	h.Set("ETag", etag)
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(md5))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc, 10))
}

// responseOverrides are GET query parameters that replace response headers.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func setObjectHeaders(h http.Header, m *objMeta) {
	h.Set("Content-Type", m.ContentType)
	h.Set("ETag", m.ETag)
	h.Set("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
	h.Set("x-oss-object-type", m.Type)
	h.Set("x-oss-storage-class", "Standard")
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	h.Set("Accept-Ranges", "bytes")
	if m.MD5 != nil {
		h.Set("Content-MD5", base64.StdEncoding.EncodeToString(m.MD5))
	}
	for k, v := range m.Headers {
		h.Set(k, v)
	}
	for k, v := range m.UserMeta {
		h[k] = []string{v} // lowercase, as OSS sends them
	}
}

// getObject serves GET and HEAD, with Range and conditional headers.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, bucket, key string) *ossError {
	m, body, err := s.store.open(bucket, key)
	if err != nil {
		return errNoSuchKey()
	}
	defer body.Close()
	if e := checkConditions(r, m); e != nil {
		if e.Status == http.StatusNotModified {
			w.Header().Set("ETag", m.ETag)
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		return e
	}
	h := w.Header()
	setObjectHeaders(h, m)
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		for p, hn := range responseOverrides {
			if v := q.Get(p); v != "" {
				h.Set(hn, v)
			}
		}
	}
	start, n, partial, e := parseRange(r.Header.Get("Range"), m.Size, r.Header.Get("x-oss-range-behavior"))
	if e != nil {
		return e
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+strconv.FormatInt(start+n-1, 10)+"/"+strconv.FormatInt(m.Size, 10))
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	if _, err := body.Seek(start, io.SeekStart); err != nil {
		return errInternal()
	}
	w.WriteHeader(status)
	io.CopyN(w, body, n)
	return nil
}

// parseRange handles a single "bytes=a-b" range. As OSS does, an invalid
// or unsatisfiable range returns the whole object, unless the client asked
// for x-oss-range-behavior: standard, which gets 416 InvalidRange.
func parseRange(v string, size int64, behavior string) (start, n int64, partial bool, e *ossError) {
	full := func() (int64, int64, bool, *ossError) { return 0, size, false, nil }
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return full()
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return full()
	}
	invalid := func() (int64, int64, bool, *ossError) {
		if strings.EqualFold(behavior, "standard") {
			return 0, 0, false, newErr(416, "InvalidRange", "The requested range cannot be satisfied.", "")
		}
		return full()
	}
	var first, last int64
	var err error
	switch {
	case a == "" && b == "":
		return full()
	case a == "":
		k, err := strconv.ParseInt(b, 10, 64)
		if err != nil || k <= 0 {
			return full()
		}
		if size == 0 {
			return invalid()
		}
		if k > size {
			k = size
		}
		return size - k, k, true, nil
	default:
		first, err = strconv.ParseInt(a, 10, 64)
		if err != nil || first < 0 {
			return full()
		}
		last = size - 1
		if b != "" {
			last, err = strconv.ParseInt(b, 10, 64)
			if err != nil || last < first {
				return full()
			}
		}
	}
	if first >= size {
		return invalid()
	}
	if last >= size {
		last = size - 1
	}
	return first, last - first + 1, true, nil
}

// checkConditions evaluates If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since; a 304 comes back as an error with that status.
func checkConditions(r *http.Request, m *objMeta) *ossError {
	etagEq := func(v string) bool {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.EqualFold(strings.Trim(t, `"`), strings.Trim(m.ETag, `"`)) {
				return true
			}
		}
		return false
	}
	failed := newErr(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.", "")
	if v := r.Header.Get("If-Match"); v != "" && !etagEq(v) {
		return failed
	}
	if v := r.Header.Get("If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && m.LastModified.After(t) {
			return failed
		}
	}
	if v := r.Header.Get("If-None-Match"); v != "" && etagEq(v) {
		return &ossError{Status: http.StatusNotModified}
	}
	if v := r.Header.Get("If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !m.LastModified.After(t) {
			return &ossError{Status: http.StatusNotModified}
		}
	}
	return nil
}

func (s *Server) deleteObject(w http.ResponseWriter, bucket, key string) *ossError {
	if err := s.store.delete(bucket, key); err != nil {
		s.log.Error("ossemu: delete", "err", err)
		return errInternal()
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
