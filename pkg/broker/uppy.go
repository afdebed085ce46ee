package broker

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// Uppy 6 (@uppy/aws-s3 6.x) signs every S3 request through one callback,
// signRequest({method, key, uploadId, partNumber}), then sends the request
// itself to the URL it gets back and reads S3's XML answer. Presigning the
// multipart control calls for OSS would hand the browser an upload id the
// broker never bound to the caller, a CompleteMultipartUpload no one checks
// against MAX_MULTIPART_BYTES, and an abort of anyone's upload under the
// prefix. So the broker signs only the byte-carrying requests for OSS
// (PutObject, UploadPart) and points the control calls at /v1/uppy/s3, an
// S3-shaped front of its own multipart routes: Uppy's "upload id" is the
// broker's sealed handle, and every guarantee of /v1/multipart holds.

// uppySignRequest is Uppy 6's PresignableRequest, plus overwrite, which a
// developer may add to replace existing objects (the overwrite scope).
type uppySignRequest struct {
	Method      string `json:"method"`
	Key         string `json:"key"`
	ContentType string `json:"contentType"`
	UploadID    string `json:"uploadId"`
	PartNumber  int64  `json:"partNumber"`
	ExpiresIn   *int64 `json:"expiresIn"`
	Overwrite   bool   `json:"overwrite"`
}

// uppySignResponse is Uppy 6's PresignedResponse. A URL on the broker is a
// path (resolve it against the broker's URL): behind FC's trigger or a
// custom domain the broker does not know the name it is reached by.
type uppySignResponse struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Key     string            `json:"key,omitempty"`
}

// uppySign is POST /v1/uppy/sign.
func (b *Broker) uppySign(w http.ResponseWriter, r *http.Request) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	var req uppySignRequest
	if aerr := decodeJSON(w, r, &req); aerr != nil {
		return aerr
	}
	// The control calls go to the broker; the glue adds the caller's own
	// token to them, so no token is ever echoed in a response body.
	self := map[string]string{}
	var res uppySignResponse
	switch {
	case req.Method == http.MethodPut && req.UploadID == "": // PutObject
		ps, aerr := b.presignOne(r, p, &presignRequest{Key: req.Key, ContentType: req.ContentType,
			Overwrite: req.Overwrite, ExpiresIn: req.ExpiresIn})
		if aerr != nil {
			return aerr
		}
		res = uppySignResponse{URL: ps.URL, Headers: liftLength(ps.Headers), Key: ps.Key}
	case req.Method == http.MethodPost && req.UploadID == "": // CreateMultipartUpload
		if b.cfg.Handles == nil {
			return errMultipartOff
		}
		// The key and scopes are judged now, so a refusal reaches Uppy
		// before it sends anything; the type comes with the request itself.
		if _, aerr := b.checkUpload(p, req.Overwrite, ""); aerr != nil {
			return aerr
		}
		if req.Key == "" {
			return errKeyRequired
		}
		key, aerr := b.resolveKey(r, req.Key, p, "")
		if aerr != nil {
			return aerr
		}
		q := url.Values{"key": {key}}
		if req.Overwrite {
			q.Set("overwrite", "true")
		}
		res = uppySignResponse{URL: uppyS3Path + "?" + q.Encode(), Headers: self, Key: key}
	case req.UploadID != "" && (req.Method == http.MethodPut || req.Method == http.MethodGet ||
		req.Method == http.MethodPost || req.Method == http.MethodDelete):
		c, aerr := b.openHandle(r, p, req.UploadID)
		if aerr != nil {
			return aerr
		}
		if req.Key != c.Key {
			return errorf(http.StatusBadRequest, "invalid_request", "key is not the key of this upload: give the key the upload was started with")
		}
		if req.Method != http.MethodPut { // ListParts, CompleteMultipartUpload, AbortMultipartUpload
			res = uppySignResponse{URL: uppyS3Path + "?" + url.Values{"uploadId": {req.UploadID}}.Encode(), Headers: self}
			break
		}
		last := int64(storage.MaxPartNumber)
		if c.Size > 0 {
			last = (c.Size + c.PartSize - 1) / c.PartSize
		}
		if req.PartNumber < 1 || req.PartNumber > last {
			return errorf(http.StatusBadRequest, "invalid_request", "partNumber must be within 1.."+strconv.FormatInt(last, 10))
		}
		ttl, aerr := b.ttl(req.ExpiresIn)
		if aerr != nil {
			return aerr
		}
		expires := b.now().Add(ttl)
		if c.Expires.Before(expires) {
			expires = c.Expires
		}
		ps, err := b.cfg.Storage.PresignPart(r.Context(), c.Key, c.UploadID, int32(req.PartNumber), 0, expires)
		if err != nil {
			return b.storageError(r.Context(), err)
		}
		res = uppySignResponse{URL: ps.URL, Headers: liftLength(ps.Headers)}
	default:
		return errorf(http.StatusBadRequest, "invalid_request",
			"the broker signs PUT (an object or a part), POST (start or complete a multipart upload), GET (list parts) and DELETE (abort an upload); it never deletes objects")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, &res)
	return nil
}

// The S3 XML documents of the calls /v1/uppy/s3 answers.
type (
	s3Initiated struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket   string
		Key      string
		UploadID string `xml:"UploadId"`
	}
	s3Part struct {
		PartNumber int64
		ETag       string
		Size       int64 `xml:",omitempty"`
	}
	s3ListParts struct {
		XMLName  xml.Name `xml:"ListPartsResult"`
		Bucket   string
		Key      string
		UploadID string   `xml:"UploadId"`
		Parts    []s3Part `xml:"Part"`
	}
	s3Complete struct {
		XMLName xml.Name `xml:"CompleteMultipartUpload"`
		Parts   []s3Part `xml:"Part"`
	}
	s3Completed struct {
		XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
		Location string
		Bucket   string
		Key      string
		ETag     string
	}
)

// uppyS3 serves /v1/uppy/s3, where /v1/uppy/sign points Uppy 6's multipart
// control calls: POST ?key= starts an upload (the type is the request's
// Content-Type), GET ?uploadId= lists its parts, POST ?uploadId= completes
// it (S3's XML part list), DELETE ?uploadId= aborts it. The upload id is
// the broker's handle; the checks are those of /v1/multipart/*.
func (b *Broker) uppyS3(w http.ResponseWriter, r *http.Request) *apiError {
	p, aerr := b.authenticate(r)
	if aerr != nil {
		return aerr
	}
	if b.cfg.Handles == nil {
		return errMultipartOff
	}
	q := r.URL.Query()
	handle := q.Get("uploadId")
	if r.Method == http.MethodPost && handle == "" {
		res, aerr := b.initiate(r, p, &multipartInitRequest{Key: q.Get("key"),
			ContentType: r.Header.Get("Content-Type"), Overwrite: q.Get("overwrite") == "true"})
		if aerr != nil {
			return aerr
		}
		writeXML(w, http.StatusOK, &s3Initiated{Bucket: res.Bucket, Key: res.Key, UploadID: res.Handle})
		return nil
	}
	if handle == "" {
		return errorf(http.StatusBadRequest, "invalid_request", "uploadId is required")
	}
	c, aerr := b.openHandle(r, p, handle)
	if aerr != nil {
		return aerr
	}
	switch r.Method {
	case http.MethodGet:
		parts, aerr := b.listParts(r, c)
		if aerr != nil {
			return aerr
		}
		out := s3ListParts{Bucket: c.Bucket, Key: c.Key, UploadID: handle, Parts: make([]s3Part, len(parts))}
		for i, pt := range parts {
			out.Parts[i] = s3Part{PartNumber: int64(pt.PartNumber), ETag: `"` + pt.ETag + `"`, Size: pt.Size}
		}
		w.Header().Set("Cache-Control", "no-store")
		writeXML(w, http.StatusOK, &out)
	case http.MethodPost:
		body, err := readBody(w, r, maxCompleteBody)
		switch {
		case errors.Is(err, errBodyTooLarge):
			return errorf(http.StatusRequestEntityTooLarge, "payload_too_large", "the request body is over "+sizeText(maxCompleteBody))
		case err != nil:
			return errorf(http.StatusBadRequest, "invalid_request", "the request body could not be read")
		}
		var doc s3Complete
		if err := xml.Unmarshal(body, &doc); err != nil {
			return errorf(http.StatusBadRequest, "invalid_request", "the body is not a CompleteMultipartUpload XML document")
		}
		req := completeRequest{Handle: handle}
		for _, pt := range doc.Parts {
			req.Parts = append(req.Parts, struct {
				PartNumber int64  `json:"partNumber"`
				ETag       string `json:"etag"`
			}{pt.PartNumber, pt.ETag})
		}
		res, aerr := b.complete(r, c, &req)
		if aerr != nil {
			return aerr
		}
		// With inspection on, the assembled object is judged as on the
		// broker's own complete route; Uppy reads no receipt, so a
		// rejection is an error answer (the object is deleted or tagged).
		if b.cfg.Inspector != nil {
			rec, aerr := b.inspect(r.Context(), inspect.Request{Bucket: c.Bucket, Key: c.Key, Size: c.Size, MaxSize: b.maxMultipartBytes(), ETag: res.ETag},
				requestid.From(r.Context()))
			if aerr != nil {
				return aerr
			}
			if rec.Verdict != inspect.Accepted {
				return errorf(http.StatusUnprocessableEntity, rec.Reason, "the upload was rejected ("+rec.Reason+", detected "+
					rec.DetectedType+"); the object was "+rec.Action)
			}
		}
		writeXML(w, http.StatusOK, &s3Completed{Location: b.cfg.Storage.ObjectURL(c.Key), Bucket: res.Bucket, Key: res.Key, ETag: `"` + res.ETag + `"`})
	case http.MethodDelete:
		if err := b.cfg.Storage.AbortMultipart(r.Context(), c.Key, c.UploadID); err != nil {
			return b.multipartError(r.Context(), err)
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// writeXML answers v as an S3 XML document.
func writeXML(w http.ResponseWriter, status int, v any) {
	body, _ := xml.Marshal(v)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(body)
}
