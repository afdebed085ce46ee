package ossemu

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

var crcTable = crc64.MakeTable(crc64.ECMA)

var (
	errTooLarge = errors.New("ossemu: object too large")
	errExists   = errors.New("ossemu: object exists")
)

// objMeta is what is kept about an object; in a folder store it is also
// the JSON sidecar, which carries the key so that file names never need to.
type objMeta struct {
	Bucket       string
	Key          string
	Size         int64
	ETag         string // quoted
	MD5          []byte `json:",omitempty"` // nil for multipart objects
	CRC64        uint64
	Type         string // Normal | Multipart
	ContentType  string
	Headers      map[string]string `json:",omitempty"` // Cache-Control etc., canonical names
	UserMeta     map[string]string `json:",omitempty"` // x-oss-meta-*, lowercase names
	Tags         map[string]string `json:",omitempty"` // object tagging
	LastModified time.Time
	DataFile     string `json:",omitempty"` // folder store: file name in the bucket folder

	data []byte // memory store
}

// blob is verified-later data waiting to become an object or a part:
// bytes in memory, or a temp file in a folder store.
type blob struct {
	size int64
	md5  []byte
	crc  uint64
	data []byte
	path string
}

// store holds objects in memory or under a folder. Writes go to a blob
// first and are committed under the lock, so a failed or refused write
// leaves nothing behind and readers never see partial data.
type store struct {
	dir string
	mu  sync.RWMutex
	obj map[string]map[string]*objMeta // bucket -> key -> meta
}

func newStore(dir string, buckets []string) (*store, error) {
	st := &store{dir: dir, obj: map[string]map[string]*objMeta{}}
	for _, b := range buckets {
		st.obj[b] = map[string]*objMeta{}
	}
	if dir == "" {
		return st, nil
	}
	// Temp files of an earlier run are debris by definition.
	if err := os.RemoveAll(filepath.Join(dir, "tmp")); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	for _, b := range buckets {
		if err := st.load(b); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (st *store) bucketDir(b string) string { return filepath.Join(st.dir, "objects", b) }

// keyName is the file-name stem of a key: hex SHA-256, so key bytes never
// reach the file system.
func keyName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// load reads the sidecars of one bucket and removes data files no sidecar
// refers to (left by a crash between rename and sidecar write).
func (st *store) load(bucket string) error {
	d := st.bucketDir(bucket)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(d)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, name))
		if err != nil {
			return err
		}
		var m objMeta
		if err := json.Unmarshal(b, &m); err != nil || m.Bucket != bucket || keyName(m.Key)+".json" != name ||
			m.DataFile == "" || filepath.Base(m.DataFile) != m.DataFile {
			return fmt.Errorf("ossemu: bad sidecar %s", filepath.Join(d, name))
		}
		if _, err := os.Stat(filepath.Join(d, m.DataFile)); err != nil {
			return fmt.Errorf("ossemu: data of %s: %w", filepath.Join(d, name), err)
		}
		used[m.DataFile] = true
		st.obj[bucket][m.Key] = &m
	}
	for _, e := range ents {
		if n := e.Name(); !strings.HasSuffix(n, ".json") && !used[n] {
			os.RemoveAll(filepath.Join(d, n))
		}
	}
	return nil
}

// writeBlob reads r fully (at most max bytes), hashing as it goes. A short
// or failing body, or one over max, leaves nothing behind.
func (st *store) writeBlob(r io.Reader, max int64) (*blob, error) {
	b := &blob{}
	hm := md5.New()
	hc := crc64.New(crcTable)
	var dst io.Writer
	var f *os.File
	var buf bytes.Buffer
	if st.dir == "" {
		dst = &buf
	} else {
		var err error
		f, err = os.CreateTemp(filepath.Join(st.dir, "tmp"), "put-*")
		if err != nil {
			return nil, err
		}
		b.path = f.Name()
		dst = f
	}
	n, err := io.Copy(io.MultiWriter(dst, hm, hc), io.LimitReader(r, max+1))
	if err == nil && n > max {
		err = errTooLarge
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		b.discard()
		return nil, err
	}
	b.size, b.md5, b.crc, b.data = n, hm.Sum(nil), hc.Sum64(), buf.Bytes()
	return b, nil
}

func (b *blob) discard() {
	if b != nil && b.path != "" {
		os.Remove(b.path)
		b.path = ""
	}
	if b != nil {
		b.data = nil
	}
}

func (b *blob) open() (io.ReadCloser, error) {
	if b.path != "" {
		return os.Open(b.path)
	}
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

// commit makes b the content of m.Bucket/m.Key. Existence check and swap
// happen under one lock, so of concurrent forbid-overwrite puts exactly
// one wins. On error b is discarded.
func (st *store) commit(b *blob, m *objMeta, forbidOverwrite bool) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	objs := st.obj[m.Bucket]
	old, exists := objs[m.Key]
	if exists && forbidOverwrite {
		b.discard()
		return errExists
	}
	m.Size = b.size
	m.CRC64 = b.crc
	if st.dir == "" {
		m.data = b.data
		objs[m.Key] = m
		return nil
	}
	stem := keyName(m.Key)
	var rnd [8]byte
	rand.Read(rnd[:])
	m.DataFile = stem + "." + hex.EncodeToString(rnd[:]) + ".data"
	bd := st.bucketDir(m.Bucket)
	if err := os.Rename(b.path, filepath.Join(bd, m.DataFile)); err != nil {
		b.discard()
		return err
	}
	b.path = ""
	if err := st.writeSidecar(m); err != nil {
		os.Remove(filepath.Join(bd, m.DataFile))
		return err
	}
	objs[m.Key] = m
	if exists {
		// Readers that already opened the old file keep their handle.
		os.Remove(filepath.Join(bd, old.DataFile))
	}
	return nil
}

func (st *store) writeSidecar(m *objMeta) error {
	js, err := json.Marshal(m)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Join(st.dir, "tmp"), "meta-*")
	if err != nil {
		return err
	}
	_, err = f.Write(js)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(st.bucketDir(m.Bucket), keyName(m.Key)+".json"))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// head returns a copy of the object's metadata.
func (st *store) head(bucket, key string) (*objMeta, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	m, ok := st.obj[bucket][key]
	if !ok {
		return nil, false
	}
	c := *m
	return &c, true
}

// readSeekCloser is an object body.
type readSeekCloser interface {
	io.ReadSeeker
	io.Closer
}

type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }

// open returns metadata and body together; opening under the read lock
// guarantees the file is not yet replaced or deleted.
func (st *store) open(bucket, key string) (*objMeta, readSeekCloser, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	m, ok := st.obj[bucket][key]
	if !ok {
		return nil, nil, os.ErrNotExist
	}
	c := *m
	if st.dir == "" {
		return &c, nopSeekCloser{bytes.NewReader(m.data)}, nil
	}
	f, err := os.Open(filepath.Join(st.bucketDir(bucket), m.DataFile))
	if err != nil {
		return nil, nil, err
	}
	return &c, f, nil
}

func (st *store) delete(bucket, key string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	m, ok := st.obj[bucket][key]
	if !ok {
		return nil
	}
	if st.dir != "" {
		bd := st.bucketDir(bucket)
		if err := os.Remove(filepath.Join(bd, keyName(key)+".json")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		os.Remove(filepath.Join(bd, m.DataFile))
	}
	delete(st.obj[bucket], key)
	return nil
}

// setTags replaces the object's tags (nil removes them).
func (st *store) setTags(bucket, key string, tags map[string]string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	m, ok := st.obj[bucket][key]
	if !ok {
		return os.ErrNotExist
	}
	c := *m
	c.Tags = tags
	if st.dir != "" {
		if err := st.writeSidecar(&c); err != nil {
			return err
		}
	}
	st.obj[bucket][key] = &c
	return nil
}

// listing is a sorted snapshot of a bucket's keys with prefix.
func (st *store) listing(bucket, prefix string) []*objMeta {
	st.mu.RLock()
	out := make([]*objMeta, 0, len(st.obj[bucket]))
	for k, m := range st.obj[bucket] {
		if strings.HasPrefix(k, prefix) {
			c := *m
			c.data = nil
			out = append(out, &c)
		}
	}
	st.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
