// Package ossemu is a local stand-in for Alibaba Cloud OSS that verifies V4
// signatures (header and presigned) exactly as OSS does, answers errors in
// OSS's format and keeps objects in memory or under a folder. It is strict
// on purpose: a request it accepts is one OSS would accept.
package ossemu

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
)

// Config configures a Server.
type Config struct {
	Region        string     // e.g. "cn-hangzhou"; the credential scope region must equal it
	Buckets       []string   // bucket names served
	Dir           string     // "" = in memory; else objects are kept under this folder and survive restart
	Users         []User     // key pairs accepted
	CORS          []CORSRule // applied to every bucket
	MaxObjectSize int64      // 0 = 5 GiB; caps a PutObject body and each part
	Now           func() time.Time
	Logger        *slog.Logger // nil = discard; secrets, signatures, tokens and query strings are never logged

	// Upload callbacks (callback.go). CallbackKey signs them (nil: a
	// 2048-bit key made on first use); CallbackKeyURL is the public key URL
	// they name (empty: [CallbackKeyPath] on the first Listen address);
	// CallbackTimeout bounds each (0: OSS's 5 s); CallbackClient sends them
	// (nil: a plain client that follows no redirect).
	CallbackKey     *rsa.PrivateKey
	CallbackKeyURL  string
	CallbackTimeout time.Duration
	CallbackClient  *http.Client

	// Triggers are local OSS triggers (events.go): each write of an
	// object they match sends an OSS event to them.
	Triggers []EventTrigger
}

// User is a key pair and the principal it stands for.
type User struct {
	AccessKeyID, AccessKeySecret string
	SecurityToken                string  // non-empty = STS-style credentials: the request must carry this token
	Policy                       *Policy // nil = account owner, full access
}

// Server is an OSS emulator; it implements [http.Handler].
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	users   map[string]*User
	buckets map[string]bool
	store   *store
	keys    keyCache
	mp      uploadTable

	cbOnce sync.Once
	cbKey  *rsa.PrivateKey

	mu       sync.Mutex
	addr     string // first Listen address
	srvs     []*http.Server
	inflight atomic.Int64 // handlers running; lets tests wait without sleeping
}

const defaultMaxObjectSize = 5 << 30

// bucketName is OSS's bucket naming rule: 3-63 lowercase letters, digits
// and hyphens, not starting or ending with a hyphen.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// New validates cfg and opens the store (loading a folder store's objects).
func New(cfg Config) (*Server, error) {
	if cfg.Region == "" {
		return nil, errors.New("ossemu: Region is required")
	}
	if len(cfg.Buckets) == 0 {
		return nil, errors.New("ossemu: at least one bucket is required")
	}
	s := &Server{cfg: cfg, users: map[string]*User{}, buckets: map[string]bool{}}
	for _, b := range cfg.Buckets {
		if !bucketName.MatchString(b) {
			return nil, fmt.Errorf("ossemu: invalid bucket name %q", b)
		}
		s.buckets[b] = true
	}
	for i := range cfg.Users {
		u := cfg.Users[i]
		if u.AccessKeyID == "" || u.AccessKeySecret == "" || strings.Contains(u.AccessKeyID, "/") {
			return nil, fmt.Errorf("ossemu: user %d: invalid key pair", i)
		}
		if _, dup := s.users[u.AccessKeyID]; dup {
			return nil, fmt.Errorf("ossemu: duplicate access key id %q", u.AccessKeyID)
		}
		s.users[u.AccessKeyID] = &u
	}
	if s.cfg.MaxObjectSize <= 0 {
		s.cfg.MaxObjectSize = defaultMaxObjectSize
	}
	s.now = cfg.Now
	if s.now == nil {
		s.now = time.Now
	}
	s.log = cfg.Logger
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st, err := newStore(cfg.Dir, cfg.Buckets)
	if err != nil {
		return nil, err
	}
	s.store = st
	s.mp.uploads = map[string]*upload{}
	return s, nil
}

// Listen serves on addr in the background and returns the bound address.
func (s *Server) Listen(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	s.mu.Lock()
	s.srvs = append(s.srvs, srv)
	if s.addr == "" {
		s.addr = ln.Addr().String()
	}
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("ossemu: serve", "err", err)
		}
	}()
	return ln.Addr(), nil
}

// Close stops every listener started by Listen and drops pending
// multipart uploads' temp data.
func (s *Server) Close() error {
	s.mu.Lock()
	srvs := s.srvs
	s.srvs = nil
	s.mu.Unlock()
	var err error
	for _, srv := range srvs {
		err = errors.Join(err, srv.Close())
	}
	s.mp.discardAll()
	return err
}

// target is what a request addresses.
type target struct {
	bucket, key string
	hasKey      bool // a path with a key segment, even if empty ("/b/")
}

// resolve finds bucket and key. Path style wins when the first segment
// names a served bucket (ali-oss with sldEnable sends path style with a
// virtual-host Host); else the bucket comes from the Host's first label.
func (s *Server) resolve(r *http.Request) target {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	first, rest, hasRest := strings.Cut(p[1:], "/")
	if s.buckets[first] {
		return target{bucket: first, key: rest, hasKey: hasRest && rest != ""}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if label, _, ok := strings.Cut(host, "."); ok && s.buckets[label] {
		return target{bucket: label, key: p[1:], hasKey: p != "/"}
	}
	return target{bucket: first, key: rest, hasKey: hasRest && rest != ""}
}

// ServeHTTP authenticates, authorizes and dispatches one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	reqID := requestid.New()
	h := w.Header()
	h.Set("Server", "AliyunOSS")
	h.Set("Date", s.now().UTC().Format(http.TimeFormat))
	h.Set("x-oss-request-id", reqID)
	defer func() {
		// No request may crash the emulator; answer 500 instead.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("ossemu: panic", "request_id", reqID, "panic", fmt.Sprint(v))
			s.writeError(w, r, reqID, errInternal())
		}
	}()
	if r.URL.Path == CallbackKeyPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		s.serveCallbackKey(w, r)
		return
	}
	t := s.resolve(r)
	s.log.Debug("ossemu request", "request_id", reqID, "method", r.Method, "bucket", t.bucket, "key", t.key)

	if r.Method == http.MethodOptions {
		if !s.buckets[t.bucket] {
			s.writeError(w, r, reqID, errNoSuchBucket())
			return
		}
		s.preflight(w, r, reqID)
		return
	}
	s.addCORS(w, r)
	if t.bucket == "" {
		s.writeError(w, r, reqID, errMethodNotAllowed())
		return
	}
	if !s.buckets[t.bucket] {
		s.writeError(w, r, reqID, errNoSuchBucket())
		return
	}
	if r.Method == http.MethodPost && !t.hasKey && isMultipartForm(r) {
		s.postObject(w, r, reqID, t.bucket)
		return
	}
	who, e := s.authenticate(r, t.bucket, t.key)
	if e != nil {
		s.writeError(w, r, reqID, e)
		return
	}
	op, e := s.route(r, t)
	if e != nil {
		s.writeError(w, r, reqID, e)
		return
	}
	if e := s.authorize(who, op.action, op.resource); e != nil {
		s.writeError(w, r, reqID, e)
		return
	}
	if op.source != "" {
		if e := s.authorize(who, "oss:GetObject", op.source); e != nil {
			s.writeError(w, r, reqID, e)
			return
		}
	}
	if e := op.run(w, r, reqID); e != nil {
		s.writeError(w, r, reqID, e)
	}
}

// operation is a routed request: the RAM action it needs and its handler.
type operation struct {
	action, resource string
	run              func(w http.ResponseWriter, r *http.Request, reqID string) *ossError
	source           string // CopyObject: the source object's ARN, which needs oss:GetObject
}

// unsupported subresources are refused rather than mistaken for plain
// object operations.
var unsupported = []string{"acl", "symlink", "append", "restore", "cors", "lifecycle",
	"referer", "logging", "website", "policy", "versioning", "versions", "versionId", "x-oss-process",
	"location", "bucketInfo", "stat", "qos", "encryption", "replication", "worm", "inventory", "delete", "callback"}

func (s *Server) route(r *http.Request, t target) (operation, *ossError) {
	q := r.URL.Query()
	for _, sub := range unsupported {
		if q.Has(sub) {
			return operation{}, errNotImplemented()
		}
	}
	b, k := t.bucket, t.key
	if !t.hasKey {
		switch {
		case r.Method == http.MethodGet && q.Has("uploads"):
			return operation{"oss:ListMultipartUploads", s.bucketARN(b), func(w http.ResponseWriter, r *http.Request, id string) *ossError {
				return s.listUploads(w, r, b)
			}, ""}, nil
		case r.Method == http.MethodGet:
			return operation{"oss:ListObjects", s.bucketARN(b), func(w http.ResponseWriter, r *http.Request, id string) *ossError {
				return s.listObjects(w, r, b)
			}, ""}, nil
		}
		return operation{}, errMethodNotAllowed()
	}
	if e := checkKey(k); e != nil {
		return operation{}, e
	}
	arn := s.objectARN(b, k)
	upID := q.Get("uploadId")
	op := func(action string, f func(w http.ResponseWriter, r *http.Request, reqID string) *ossError) (operation, *ossError) {
		return operation{action, arn, f, ""}, nil
	}
	if q.Has("tagging") {
		switch r.Method {
		case http.MethodPut:
			return op("oss:PutObjectTagging", func(w http.ResponseWriter, r *http.Request, _ string) *ossError {
				return s.putTagging(w, r, b, k)
			})
		case http.MethodGet:
			return op("oss:GetObjectTagging", func(w http.ResponseWriter, r *http.Request, _ string) *ossError {
				return s.getTagging(w, b, k)
			})
		case http.MethodDelete:
			return op("oss:DeleteObjectTagging", func(w http.ResponseWriter, r *http.Request, _ string) *ossError {
				return s.deleteTagging(w, b, k)
			})
		}
		return operation{}, errMethodNotAllowed()
	}
	switch r.Method {
	case http.MethodPut:
		if v := r.Header.Get("x-oss-copy-source"); v != "" {
			sb, sk, e := copySource(v)
			if e != nil {
				return operation{}, e
			}
			return operation{"oss:PutObject", arn, func(w http.ResponseWriter, r *http.Request, reqID string) *ossError {
				return s.copyObject(w, r, b, k, sb, sk, reqID)
			}, s.objectARN(sb, sk)}, nil
		}
		if q.Has("uploadId") || q.Has("partNumber") {
			return op("oss:PutObject", func(w http.ResponseWriter, r *http.Request, _ string) *ossError {
				return s.uploadPart(w, r, b, k, upID, q.Get("partNumber"), q.Has("partNumber"))
			})
		}
		return op("oss:PutObject", func(w http.ResponseWriter, r *http.Request, reqID string) *ossError {
			return s.putObject(w, r, b, k, reqID)
		})
	case http.MethodGet, http.MethodHead:
		if q.Has("uploadId") && r.Method == http.MethodGet {
			return op("oss:ListParts", func(w http.ResponseWriter, r *http.Request, _ string) *ossError {
				return s.listParts(w, r, b, k, upID)
			})
		}
		return op("oss:GetObject", func(w http.ResponseWriter, r *http.Request, _ string) *ossError {
			return s.getObject(w, r, b, k)
		})
	case http.MethodDelete:
		if q.Has("uploadId") {
			return op("oss:AbortMultipartUpload", func(w http.ResponseWriter, r *http.Request, _ string) *ossError {
				return s.abortUpload(w, b, k, upID)
			})
		}
		return op("oss:DeleteObject", func(w http.ResponseWriter, r *http.Request, _ string) *ossError {
			return s.deleteObject(w, b, k)
		})
	case http.MethodPost:
		if q.Has("uploads") {
			return op("oss:PutObject", func(w http.ResponseWriter, r *http.Request, _ string) *ossError {
				return s.initiateUpload(w, r, b, k)
			})
		}
		if q.Has("uploadId") {
			return op("oss:PutObject", func(w http.ResponseWriter, r *http.Request, reqID string) *ossError {
				return s.completeUpload(w, r, b, k, upID, reqID)
			})
		}
	}
	return operation{}, errMethodNotAllowed()
}

// authorize applies RAM: owners may do anything, RAM users what their
// policy allows (explicit Deny wins), anonymous callers nothing (the
// emulator has no public-read ACLs).
func (s *Server) authorize(who principal, action, resource string) *ossError {
	if who.user == nil {
		return newErr(403, "AccessDenied", "Anonymous user has no right to access this object.", "")
	}
	if who.user.Policy == nil {
		return nil
	}
	switch who.user.Policy.evaluate(action, resource) {
	case allowed:
		return nil
	case explicitDeny:
		e := newErr(403, "AccessDenied", "You have no right to access this object because of explicit deny.", "0003-00000201")
		e.AccessDeniedDetail = &accessDeniedDetail{PolicyType: "AccountLevelIdentityBasedPolicy", NoPermissionType: "ExplicitDeny", AuthAction: action}
		return e
	default:
		e := newErr(403, "AccessDenied", "You have no right to access this object.", "0003-00000202")
		e.AccessDeniedDetail = &accessDeniedDetail{PolicyType: "AccountLevelIdentityBasedPolicy", NoPermissionType: "ImplicitDeny", AuthAction: action}
		return e
	}
}
