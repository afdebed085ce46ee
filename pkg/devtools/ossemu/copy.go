package ossemu

import (
	"encoding/xml"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// CopyObject: PUT /<key> with x-oss-copy-source: /<bucket>/<url-encoded
// key>. OSS needs oss:GetObject on the source and oss:PutObject on the
// destination (both are authorized, copySource below), evaluates
// x-oss-copy-source-if-match and -if-none-match against the source's ETag
// (412 PreconditionFailed / 304), keeps the source's type, headers and
// metadata unless x-oss-metadata-directive is REPLACE, keeps its tags
// unless x-oss-tagging-directive is REPLACE, and answers
// CopyObjectResult with the new object's ETag.

// copySource parses x-oss-copy-source: "/bucket/key", the key
// URL-encoded.
func copySource(v string) (bucket, key string, e *ossError) {
	bad := invalidArg("", "Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.", "x-oss-copy-source", v)
	p, err := url.PathUnescape(v)
	if err != nil || !strings.HasPrefix(p, "/") {
		return "", "", bad
	}
	bucket, key, ok := strings.Cut(p[1:], "/")
	if !ok || bucket == "" || key == "" {
		return "", "", bad
	}
	if e := checkKey(key); e != nil {
		return "", "", e
	}
	return bucket, key, nil
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	ETag         string
	LastModified string
}

func (s *Server) copyObject(w http.ResponseWriter, r *http.Request, bucket, key, srcBucket, srcKey, reqID string) *ossError {
	if !s.buckets[srcBucket] {
		return errNoSuchBucket()
	}
	src, body, err := s.store.open(srcBucket, srcKey)
	if errors.Is(err, os.ErrNotExist) {
		return errNoSuchKey()
	}
	if err != nil {
		s.log.Error("ossemu: copy", "err", err)
		return errInternal()
	}
	defer body.Close()
	etagEq := func(v string) bool {
		return v == "*" || strings.EqualFold(strings.Trim(strings.TrimSpace(v), `"`), strings.Trim(src.ETag, `"`))
	}
	if v := r.Header.Get("x-oss-copy-source-if-match"); v != "" && !etagEq(v) {
		return newErr(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.", "")
	}
	if v := r.Header.Get("x-oss-copy-source-if-none-match"); v != "" && etagEq(v) {
		return &ossError{Status: http.StatusNotModified}
	}
	m := &objMeta{Bucket: bucket, Key: key, Type: "Normal", ContentType: src.ContentType, Headers: maps.Clone(src.Headers),
		UserMeta: maps.Clone(src.UserMeta), Tags: maps.Clone(src.Tags)}
	if strings.EqualFold(r.Header.Get("x-oss-metadata-directive"), "REPLACE") {
		var e *ossError
		if m, e = newMeta(r, bucket, key); e != nil {
			return e
		}
		m.Tags = maps.Clone(src.Tags)
	}
	if strings.EqualFold(r.Header.Get("x-oss-tagging-directive"), "REPLACE") {
		m.Tags = nil
	}
	forbid := forbidOverwrite(r)
	if _, exists := s.store.head(bucket, key); exists && forbid {
		return errFileExists("0026-00000002")
	}
	b, err := s.store.writeBlob(body, s.cfg.MaxObjectSize)
	if err != nil {
		s.log.Error("ossemu: copy", "err", err)
		return errInternal()
	}
	if e := s.commitObject(b, m, forbid); e != nil {
		return e
	}
	defer s.emit(r, m, reqID, "CopyObject")
	return writeXML(w, http.StatusOK, copyObjectResult{ETag: m.ETag, LastModified: m.LastModified.Format("2006-01-02T15:04:05.000Z")})
}
