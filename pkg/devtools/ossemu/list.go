package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ossTime is OSS's XML timestamp format.
const ossTime = "2006-01-02T15:04:05.000Z"

type xmlOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

type xmlContents struct {
	Key          string    `xml:"Key"`
	LastModified string    `xml:"LastModified"`
	ETag         string    `xml:"ETag"`
	Type         string    `xml:"Type"`
	Size         int64     `xml:"Size"`
	StorageClass string    `xml:"StorageClass"`
	Owner        *xmlOwner `xml:"Owner,omitempty"`
}

type xmlPrefix struct {
	Prefix string `xml:"Prefix"`
}

type listResult struct {
	XMLName               xml.Name      `xml:"ListBucketResult"`
	Name                  string        `xml:"Name"`
	Prefix                string        `xml:"Prefix"`
	Marker                *string       `xml:"Marker"`
	StartAfter            *string       `xml:"StartAfter"`
	ContinuationToken     *string       `xml:"ContinuationToken"`
	MaxKeys               int           `xml:"MaxKeys"`
	Delimiter             string        `xml:"Delimiter"`
	IsTruncated           bool          `xml:"IsTruncated"`
	NextMarker            *string       `xml:"NextMarker"`
	NextContinuationToken *string       `xml:"NextContinuationToken"`
	EncodingType          *string       `xml:"EncodingType"`
	Contents              []xmlContents `xml:"Contents"`
	CommonPrefixes        []xmlPrefix   `xml:"CommonPrefixes"`
	KeyCount              *int          `xml:"KeyCount"`
}

func writeXML(w http.ResponseWriter, status int, v any) *ossError {
	out, err := xml.Marshal(v)
	if err != nil {
		return errInternal()
	}
	out = append([]byte(xml.Header), out...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	w.Write(out)
	return nil
}

// encoder returns the function applied to names in a response: identity,
// or URL encoding for encoding-type=url ('/' kept, space as %20, which both
// Go's QueryUnescape and JS decodeURIComponent read back).
func encoder(r *http.Request) (func(string) string, *string, *ossError) {
	switch et := r.URL.Query().Get("encoding-type"); et {
	case "":
		return func(s string) string { return s }, nil, nil
	case "url":
		return func(s string) string { return escape(s, false) }, &et, nil
	default:
		return nil, nil, invalidArg("", "The encoding-type you specified is not valid.", "encoding-type", et)
	}
}

// listObjects serves ListObjects (marker) and ListObjectsV2 (list-type=2).
// Keys are grouped by delimiter into common prefixes; paging resumes after
// the last returned key or common prefix.
func (s *Server) listObjects(w http.ResponseWriter, r *http.Request, bucket string) *ossError {
	q := r.URL.Query()
	v2 := q.Get("list-type") == "2"
	if lt := q.Get("list-type"); lt != "" && lt != "2" {
		return invalidArg("", "The list-type you specified is not valid.", "list-type", lt)
	}
	enc, encType, e := encoder(r)
	if e != nil {
		return e
	}
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	if len(prefix) > 1023 {
		return invalidArg("", "The prefix is too long.", "prefix", "")
	}
	maxKeys := 100
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return invalidArg("", "Argument max-keys must be an integer between 1 and 1000.", "max-keys", v)
		}
		maxKeys = n
	}
	res := listResult{Name: bucket, Prefix: enc(prefix), MaxKeys: maxKeys, Delimiter: enc(delim), EncodingType: encType}
	after := ""
	if v2 {
		if q.Has("start-after") {
			sa := q.Get("start-after")
			after = sa
			res.StartAfter = ptr(enc(sa))
		}
		if q.Has("continuation-token") {
			tok := q.Get("continuation-token")
			raw, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				return invalidArg("", "The continuation token provided is incorrect.", "continuation-token", tok)
			}
			if string(raw) > after {
				after = string(raw)
			}
			res.ContinuationToken = ptr(tok)
		}
	} else {
		after = q.Get("marker")
		res.Marker = ptr(enc(after))
	}
	fetchOwner := !v2 || q.Get("fetch-owner") == "true"

	last := ""
	count := 0
	for _, m := range s.store.listing(bucket, prefix) {
		group := m.Key
		if delim != "" {
			if i := strings.Index(m.Key[len(prefix):], delim); i >= 0 {
				group = m.Key[:len(prefix)+i+len(delim)]
			}
		}
		if group <= after || group == last {
			continue
		}
		if count == maxKeys {
			res.IsTruncated = true
			break
		}
		last = group
		count++
		if group != m.Key {
			res.CommonPrefixes = append(res.CommonPrefixes, xmlPrefix{enc(group)})
			continue
		}
		c := xmlContents{Key: enc(m.Key), LastModified: m.LastModified.UTC().Format(ossTime), ETag: m.ETag,
			Type: m.Type, Size: m.Size, StorageClass: "Standard"}
		if fetchOwner {
			c.Owner = &xmlOwner{ID: accountID, DisplayName: accountID}
		}
		res.Contents = append(res.Contents, c)
	}
	if res.IsTruncated {
		if v2 {
			res.NextContinuationToken = ptr(base64.RawURLEncoding.EncodeToString([]byte(last)))
		} else {
			res.NextMarker = ptr(enc(last))
		}
	}
	if v2 {
		res.KeyCount = &count
	}
	return writeXML(w, http.StatusOK, res)
}

func ptr[T any](v T) *T { return &v }

func fmtTime(t time.Time) string { return t.UTC().Format(ossTime) }
