package ossemu

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	maxPartNumber  = 10000
	minPartSize    = 100 << 10 // every part but the last
	maxCompleteXML = 4 << 20
)

// uploadTable holds in-progress uploads. They live in memory only (their
// parts are temp blobs), so they do not survive a restart.
type uploadTable struct {
	mu      sync.Mutex
	uploads map[string]*upload
}

// upload is one multipart upload. mu is held for the whole of a complete,
// so parts cannot change or vanish while they are being assembled.
type upload struct {
	mu        sync.Mutex
	id        string
	bucket    string
	key       string
	meta      *objMeta // template from the initiate request
	forbid    bool     // x-oss-forbid-overwrite given at initiate
	initiated time.Time
	parts     map[int]*part
	done      bool
}

type part struct {
	num          int
	etag         string
	size         int64
	crc          uint64
	md5          []byte
	lastModified time.Time
	b            *blob
}

func (mp *uploadTable) get(id, bucket, key string) *upload {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	u := mp.uploads[id]
	if u == nil || u.bucket != bucket || u.key != key {
		return nil
	}
	return u
}

func (mp *uploadTable) remove(id string) {
	mp.mu.Lock()
	delete(mp.uploads, id)
	mp.mu.Unlock()
}

func (mp *uploadTable) discardAll() {
	mp.mu.Lock()
	ups := mp.uploads
	mp.uploads = map[string]*upload{}
	mp.mu.Unlock()
	for _, u := range ups {
		u.mu.Lock()
		u.finish()
		u.mu.Unlock()
	}
}

// finish marks u done and drops its parts; u.mu must be held.
func (u *upload) finish() {
	u.done = true
	for _, p := range u.parts {
		p.b.discard()
	}
	u.parts = nil
}

func newUploadID() string {
	var b [16]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

type initiateResult struct {
	XMLName      xml.Name `xml:"InitiateMultipartUploadResult"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	UploadID     string   `xml:"UploadId"`
	EncodingType *string  `xml:"EncodingType,omitempty"`
}

func (s *Server) initiateUpload(w http.ResponseWriter, r *http.Request, bucket, key string) *ossError {
	enc, encType, e := encoder(r)
	if e != nil {
		return e
	}
	m, e := newMeta(r, bucket, key)
	if e != nil {
		return e
	}
	m.Type = "Multipart"
	forbid := forbidOverwrite(r)
	if _, exists := s.store.head(bucket, key); exists && forbid {
		return errFileExists("0026-00000002")
	}
	u := &upload{id: newUploadID(), bucket: bucket, key: key, meta: m, forbid: forbid,
		initiated: s.now().UTC(), parts: map[int]*part{}}
	s.mp.mu.Lock()
	s.mp.uploads[u.id] = u
	s.mp.mu.Unlock()
	return writeXML(w, http.StatusOK, initiateResult{Bucket: bucket, Key: enc(key), UploadID: u.id, EncodingType: encType})
}

func errPartNumber(v string) *ossError {
	return invalidArg("", "Part number must be an integer between 1 and 10000, inclusive.", "partNumber", v)
}

func (s *Server) uploadPart(w http.ResponseWriter, r *http.Request, bucket, key, id, pn string, hasPN bool) *ossError {
	if !hasPN {
		return invalidArg("0017-00000219", "partNumber is required for UploadPart.", "partNumber", "")
	}
	num, err := strconv.Atoi(pn)
	if err != nil || num < 1 || num > maxPartNumber {
		return errPartNumber(pn)
	}
	if id == "" {
		return invalidArg("", "uploadId is required for UploadPart.", "uploadId", "")
	}
	want, e := contentMD5(r)
	if e != nil {
		return e
	}
	u := s.mp.get(id, bucket, key)
	if u == nil {
		return errNoSuchUpload()
	}
	b, e := s.readBody(r, want)
	if e != nil {
		return e
	}
	p := &part{num: num, etag: etagOf(b.md5), size: b.size, crc: b.crc, md5: b.md5, lastModified: s.now().UTC(), b: b}
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		b.discard()
		return errNoSuchUpload()
	}
	if old := u.parts[num]; old != nil {
		old.b.discard()
	}
	u.parts[num] = p
	u.mu.Unlock()
	h := w.Header()
	setDigests(h, p.etag, p.md5, p.crc)
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName      xml.Name `xml:"CompleteMultipartUploadResult"`
	EncodingType *string  `xml:"EncodingType,omitempty"`
	Location     string   `xml:"Location"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	ETag         string   `xml:"ETag"`
}

func errMalformedXML() *ossError {
	return newErr(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.", "")
}

// completeUpload checks the part list as OSS does (ascending numbers,
// known parts with matching ETags, non-last parts >= 100 KiB), assembles
// the object and commits it, honouring forbid-overwrite.
func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request, bucket, key, id, reqID string) *ossError {
	enc, encType, e := encoder(r)
	if e != nil {
		return e
	}
	cb, e := parseCallback(r.Header.Get("x-oss-callback"), r.Header.Get("x-oss-callback-var"))
	if e != nil {
		return e
	}
	u := s.mp.get(id, bucket, key)
	if u == nil {
		return errNoSuchUpload()
	}
	completeAll := strings.EqualFold(r.Header.Get("x-oss-complete-all"), "yes")
	var req completeRequest
	if !completeAll {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxCompleteXML+1))
		if err != nil || len(body) > maxCompleteXML || xml.Unmarshal(body, &req) != nil || len(req.Parts) == 0 {
			return errMalformedXML()
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return errNoSuchUpload()
	}
	var parts []*part
	if completeAll {
		for _, p := range u.parts {
			parts = append(parts, p)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i].num < parts[j].num })
		if len(parts) == 0 {
			return newErr(400, "InvalidPart", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.", "")
		}
	} else {
		prev := 0
		for _, rp := range req.Parts {
			if rp.PartNumber <= prev {
				return newErr(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.", "0042-00000209")
			}
			prev = rp.PartNumber
			p := u.parts[rp.PartNumber]
			if p == nil || !strings.EqualFold(strings.Trim(strings.TrimSpace(rp.ETag), `"`), strings.Trim(p.etag, `"`)) {
				return newErr(400, "InvalidPart", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.", "")
			}
			parts = append(parts, p)
		}
	}
	for i, p := range parts {
		if i < len(parts)-1 && p.size < minPartSize {
			return newErr(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size.", "0042-00000213")
		}
	}
	forbid := u.forbid || forbidOverwrite(r)
	if _, exists := s.store.head(bucket, key); exists && forbid {
		return errFileExists("0042-00000214")
	}

	readers := make([]io.Reader, 0, len(parts))
	sums := md5.New()
	for _, p := range parts {
		rc, err := p.b.open()
		if err != nil {
			return errInternal()
		}
		defer rc.Close()
		readers = append(readers, rc)
		sums.Write(p.md5)
	}
	b, err := s.store.writeBlob(io.MultiReader(readers...), 1<<62)
	if err != nil {
		s.log.Error("ossemu: assemble", "err", err)
		return errInternal()
	}
	m := *u.meta
	m.ETag = `"` + strings.ToUpper(hex.EncodeToString(sums.Sum(nil))) + "-" + strconv.Itoa(len(parts)) + `"`
	m.LastModified = s.now().UTC().Truncate(time.Second)
	if err := s.store.commit(b, &m, forbid); err != nil {
		if errors.Is(err, errExists) {
			return errFileExists("0042-00000214")
		}
		s.log.Error("ossemu: commit", "err", err)
		return errInternal()
	}
	u.finish()
	s.mp.remove(id)
	defer s.emit(r, &m, reqID, "CompleteMultipartUpload") // after the answer, as put does
	w.Header().Set("ETag", m.ETag)
	w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	if cb != nil {
		s.callback(w, r, cb, s.sysVars(r, &m, reqID, "CompleteMultipartUpload"))
		return nil
	}
	loc := "http://" + r.Host + "/" + bucket + "/" + escape(key, false)
	return writeXML(w, http.StatusOK, completeResult{EncodingType: encType, Location: loc, Bucket: bucket, Key: enc(key), ETag: m.ETag})
}

func (s *Server) abortUpload(w http.ResponseWriter, bucket, key, id string) *ossError {
	u := s.mp.get(id, bucket, key)
	if u == nil {
		return errNoSuchUpload()
	}
	u.mu.Lock()
	done := u.done
	u.finish()
	u.mu.Unlock()
	if done {
		return errNoSuchUpload()
	}
	s.mp.remove(id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type xmlPart struct {
	PartNumber    int    `xml:"PartNumber"`
	LastModified  string `xml:"LastModified"`
	ETag          string `xml:"ETag"`
	HashCrc64ecma string `xml:"HashCrc64ecma"`
	Size          int64  `xml:"Size"`
}

type listPartsResult struct {
	XMLName              xml.Name  `xml:"ListPartsResult"`
	EncodingType         *string   `xml:"EncodingType,omitempty"`
	Bucket               string    `xml:"Bucket"`
	Key                  string    `xml:"Key"`
	UploadID             string    `xml:"UploadId"`
	StorageClass         string    `xml:"StorageClass"`
	PartNumberMarker     int       `xml:"PartNumberMarker"`
	NextPartNumberMarker int       `xml:"NextPartNumberMarker"`
	MaxParts             int       `xml:"MaxParts"`
	IsTruncated          bool      `xml:"IsTruncated"`
	Parts                []xmlPart `xml:"Part"`
}

func (s *Server) listParts(w http.ResponseWriter, r *http.Request, bucket, key, id string) *ossError {
	enc, encType, e := encoder(r)
	if e != nil {
		return e
	}
	q := r.URL.Query()
	maxParts, marker := 1000, 0
	if v := q.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return invalidArg("", "max-parts must be an integer between 1 and 1000.", "max-parts", v)
		}
		maxParts = n
	}
	if v := q.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalidArg("", "part-number-marker must be a non-negative integer.", "part-number-marker", v)
		}
		marker = n
	}
	u := s.mp.get(id, bucket, key)
	if u == nil {
		return errNoSuchUpload()
	}
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		return errNoSuchUpload()
	}
	nums := make([]int, 0, len(u.parts))
	for n := range u.parts {
		if n > marker {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	res := listPartsResult{EncodingType: encType, Bucket: bucket, Key: enc(key), UploadID: id, StorageClass: "Standard",
		PartNumberMarker: marker, MaxParts: maxParts}
	for i, n := range nums {
		if i == maxParts {
			res.IsTruncated = true
			break
		}
		p := u.parts[n]
		res.Parts = append(res.Parts, xmlPart{PartNumber: n, LastModified: fmtTime(p.lastModified), ETag: p.etag,
			HashCrc64ecma: strconv.FormatUint(p.crc, 10), Size: p.size})
		res.NextPartNumberMarker = n
	}
	u.mu.Unlock()
	return writeXML(w, http.StatusOK, res)
}

type xmlUpload struct {
	Key       string `xml:"Key"`
	UploadID  string `xml:"UploadId"`
	Initiated string `xml:"Initiated"`
}

type listUploadsResult struct {
	XMLName            xml.Name    `xml:"ListMultipartUploadsResult"`
	EncodingType       *string     `xml:"EncodingType,omitempty"`
	Bucket             string      `xml:"Bucket"`
	KeyMarker          string      `xml:"KeyMarker"`
	UploadIDMarker     string      `xml:"UploadIdMarker"`
	NextKeyMarker      string      `xml:"NextKeyMarker"`
	NextUploadIDMarker string      `xml:"NextUploadIdMarker"`
	Delimiter          string      `xml:"Delimiter"`
	Prefix             string      `xml:"Prefix"`
	MaxUploads         int         `xml:"MaxUploads"`
	IsTruncated        bool        `xml:"IsTruncated"`
	Uploads            []xmlUpload `xml:"Upload"`
}

// listUploads is a minimal ListMultipartUploads: prefix filter, sorted by
// key then upload id, at most 1000, no paging markers.
func (s *Server) listUploads(w http.ResponseWriter, r *http.Request, bucket string) *ossError {
	enc, encType, e := encoder(r)
	if e != nil {
		return e
	}
	prefix := r.URL.Query().Get("prefix")
	s.mp.mu.Lock()
	var ups []*upload
	for _, u := range s.mp.uploads {
		if u.bucket == bucket && strings.HasPrefix(u.key, prefix) {
			ups = append(ups, u)
		}
	}
	s.mp.mu.Unlock()
	sort.Slice(ups, func(i, j int) bool {
		if ups[i].key != ups[j].key {
			return ups[i].key < ups[j].key
		}
		return ups[i].id < ups[j].id
	})
	res := listUploadsResult{EncodingType: encType, Bucket: bucket, Prefix: enc(prefix), MaxUploads: 1000}
	for i, u := range ups {
		if i == 1000 {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, xmlUpload{Key: enc(u.key), UploadID: u.id, Initiated: fmtTime(u.initiated)})
	}
	return writeXML(w, http.StatusOK, res)
}
