package ossemu

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"sort"
)

// Object tagging (PutObjectTagging, GetObjectTagging, DeleteObjectTagging):
// at most 10 tags, keys of 1-128 and values of at most 256 bytes, as OSS
// documents.
const (
	maxTags        = 10
	maxTagKey      = 128
	maxTagValue    = 256
	maxTaggingBody = 64 << 10
)

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Tags    []xmlTag `xml:"TagSet>Tag"`
}

func errBadTag(msg string) *ossError {
	return newErr(400, "InvalidTag", msg, "")
}

func (s *Server) putTagging(w http.ResponseWriter, r *http.Request, bucket, key string) *ossError {
	if _, ok := s.store.head(bucket, key); !ok {
		return errNoSuchKey()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxTaggingBody+1))
	var t tagging
	if err != nil || len(body) > maxTaggingBody || xml.Unmarshal(body, &t) != nil {
		return errMalformedXML()
	}
	if len(t.Tags) > maxTags {
		return errBadTag("Object tags cannot be greater than 10.")
	}
	tags := make(map[string]string, len(t.Tags))
	for _, tg := range t.Tags {
		switch {
		case tg.Key == "" || len(tg.Key) > maxTagKey:
			return errBadTag("The TagKey you have provided is invalid.")
		case len(tg.Value) > maxTagValue:
			return errBadTag("The TagValue you have provided is invalid.")
		}
		if _, dup := tags[tg.Key]; dup {
			return errBadTag("Cannot provide multiple Tags with the same key.")
		}
		tags[tg.Key] = tg.Value
	}
	if e := s.writeTags(bucket, key, tags); e != nil {
		return e
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) writeTags(bucket, key string, tags map[string]string) *ossError {
	if err := s.store.setTags(bucket, key, tags); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errNoSuchKey()
		}
		s.log.Error("ossemu: tagging", "err", err)
		return errInternal()
	}
	return nil
}

func (s *Server) getTagging(w http.ResponseWriter, bucket, key string) *ossError {
	m, ok := s.store.head(bucket, key)
	if !ok {
		return errNoSuchKey()
	}
	t := tagging{Tags: []xmlTag{}}
	for k, v := range m.Tags {
		t.Tags = append(t.Tags, xmlTag{Key: k, Value: v})
	}
	sort.Slice(t.Tags, func(i, j int) bool { return t.Tags[i].Key < t.Tags[j].Key })
	return writeXML(w, http.StatusOK, t)
}

func (s *Server) deleteTagging(w http.ResponseWriter, bucket, key string) *ossError {
	if e := s.writeTags(bucket, key, nil); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
