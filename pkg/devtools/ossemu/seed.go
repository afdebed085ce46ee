package ossemu

import (
	"bytes"
	"errors"
	"strings"
	"time"
)

// Seed stores an object as an earlier write would have left it, under the
// given ETag instead of the MD5 of body: for tests that replay a provider's
// documented event, whose ETag no bytes of ours hash to. It sends no event
// and no callback, and replaces what is stored under the key.
func (s *Server) Seed(bucket, key, contentType string, body []byte, etag string) error {
	s.store.mu.RLock()
	_, ok := s.store.obj[bucket]
	s.store.mu.RUnlock()
	if !ok {
		return errors.New("ossemu: seed: no bucket " + bucket)
	}
	b, err := s.store.writeBlob(bytes.NewReader(body), s.cfg.MaxObjectSize)
	if err != nil {
		return err
	}
	m := &objMeta{Bucket: bucket, Key: key, Type: "Normal", ContentType: contentType, MD5: b.md5,
		ETag: `"` + strings.ToUpper(strings.Trim(etag, `"`)) + `"`, LastModified: s.now().UTC().Truncate(time.Second)}
	return s.store.commit(b, m, false)
}
