package inspect

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/storage"
)

// ReadBytes is how much of an object inspection reads: mimetype's own
// detection limit, so no byte read goes unused.
const ReadBytes = 4096

// Verdicts.
const (
	Accepted = "accepted"
	Rejected = "rejected"
)

// Reason codes of a rejection. They are the API's error codes (openapi.yaml
// lists them).
const (
	ReasonTypeMismatch = "content_type_mismatch"  // detected content is not the declared type
	ReasonTypeRefused  = "unsupported_media_type" // the declared or detected type is not in ALLOWED_CONTENT_TYPES
	ReasonTooLarge     = "payload_too_large"      // over the size limit
	ReasonSizeMismatch = "size_mismatch"          // not the pinned length
)

// Action is what happens to a rejected object.
type Action string

// Actions.
const (
	Delete Action = "delete" // the default: the object is removed
	Tag    Action = "tag"    // kept and tagged ossbroker-verdict=rejected, ossbroker-reason=<code>
)

// Tag keys set in Tag mode.
const (
	TagVerdict = "ossbroker-verdict"
	TagReason  = "ossbroker-reason"
)

// Store is the part of [storage.Client] inspection uses.
type Store interface {
	Bucket() string
	ReadStart(ctx context.Context, key string, n int) (storage.Start, error)
	Delete(ctx context.Context, key string) error
	Tag(ctx context.Context, key string, tags map[string]string) error
}

// Config configures an Inspector. Build it once per instance.
type Config struct {
	Store   Store
	Allowed mediatype.Allowlist // ALLOWED_CONTENT_TYPES
	MaxSize int64               // default size limit (MAX_UPLOAD_BYTES)
	Action  Action              // "" means Delete
}

// Inspector inspects objects of one bucket.
type Inspector struct{ cfg Config }

// New checks cfg.
func New(cfg Config) (*Inspector, error) {
	if cfg.Store == nil || cfg.MaxSize <= 0 {
		return nil, errors.New("inspect: Store and a positive MaxSize are required")
	}
	switch cfg.Action {
	case "":
		cfg.Action = Delete
	case Delete, Tag:
	default:
		return nil, fmt.Errorf("inspect: unknown action %q", cfg.Action)
	}
	return &Inspector{cfg: cfg}, nil
}

// Action returns what a rejection does.
func (in *Inspector) Action() Action { return in.cfg.Action }

// Request names the object and what was promised about it.
type Request struct {
	Bucket, Key string
	// Size, when positive, is the length the upload was pinned to.
	Size int64
	// MaxSize, when positive, replaces Config.MaxSize (multipart objects
	// have their own limit).
	MaxSize int64
	// ETag and Meta, when set, name the object version to judge: its ETag
	// (quotes and case aside) and metadata values it must carry. Any other
	// version is [ErrOtherVersion], judged and touched not at all.
	ETag string
	Meta map[string]string
}

// Receipt is what an upload's uploader gets back: the object, the two
// types and the verdict. It is the JSON the callback route answers OSS
// with, which OSS hands to the uploader as the upload's response.
type Receipt struct {
	Bucket       string `json:"bucket"`
	Key          string `json:"key"`
	Size         int64  `json:"size"`
	ETag         string `json:"etag"`
	CRC64        string `json:"crc64,omitempty"`
	DeclaredType string `json:"declaredType"`
	DetectedType string `json:"detectedType"`
	Verdict      string `json:"verdict"`
	// Reason is one of the Reason codes, when rejected.
	Reason string `json:"reason,omitempty"`
	// Action is "deleted" or "tagged", when rejected.
	Action string `json:"action,omitempty"`
	// Metadata is the object's x-oss-meta-* as read (not part of the
	// receipt's JSON): the OSS-triggered inspector finds the uploader
	// there (notify.SubMeta).
	Metadata map[string]string `json:"-"`
}

// Errors of Inspect besides the store's.
var (
	ErrForeignBucket = errors.New("inspect: the object is not in this broker's bucket")
	ErrOtherVersion  = errors.New("inspect: the object is not the version asked about")
)

// Inspect reads the object's first bytes, judges it and acts on the
// verdict. An error means no verdict: the object is as it was, or (if the
// delete or tagging failed) its fate is undecided; the caller must not
// answer "accepted".
func (in *Inspector) Inspect(ctx context.Context, req Request) (Receipt, error) {
	if req.Bucket != in.cfg.Store.Bucket() {
		return Receipt{}, ErrForeignBucket
	}
	st, err := in.cfg.Store.ReadStart(ctx, req.Key, ReadBytes)
	if err != nil {
		return Receipt{}, fmt.Errorf("inspect %q: %w", req.Key, err)
	}
	if !req.matches(st) {
		return Receipt{}, fmt.Errorf("inspect %q: %w", req.Key, ErrOtherVersion)
	}
	maxSize := in.cfg.MaxSize
	if req.MaxSize > 0 {
		maxSize = req.MaxSize
	}
	r := Receipt{Bucket: req.Bucket, Key: req.Key, Size: st.Size, ETag: st.ETag, CRC64: st.CRC64, DeclaredType: st.ContentType, Metadata: st.Metadata}
	r.DetectedType, r.Reason = Judge(in.cfg.Allowed, st.ContentType, st.Bytes, st.Size, req.Size, maxSize)
	if r.Reason == "" {
		r.Verdict = Accepted
		return r, nil
	}
	r.Verdict = Rejected
	switch in.cfg.Action {
	case Tag:
		if err := in.cfg.Store.Tag(ctx, req.Key, map[string]string{TagVerdict: Rejected, TagReason: r.Reason}); err != nil {
			return Receipt{}, fmt.Errorf("inspect %q: tagging the rejected object: %w", req.Key, err)
		}
		r.Action = "tagged"
	default:
		if err := in.cfg.Store.Delete(ctx, req.Key); err != nil {
			return Receipt{}, fmt.Errorf("inspect %q: deleting the rejected object: %w", req.Key, err)
		}
		r.Action = "deleted"
	}
	return r, nil
}

// matches reports whether st is the version req names.
func (req Request) matches(st storage.Start) bool {
	if req.ETag != "" && !SameETag(req.ETag, st.ETag) {
		return false
	}
	for k, want := range req.Meta {
		if MetaValue(st.Metadata, k) != want {
			return false
		}
	}
	return true
}

// SameETag reports whether a and b name the same ETag, as OSS spells it in
// headers (quoted), events and callbacks (upper or lower case hex).
func SameETag(a, b string) bool {
	a, b = strings.Trim(a, `"`), strings.Trim(b, `"`)
	return a != "" && strings.EqualFold(a, b)
}

// MetaValue is the value of metadata name in m, in any case (the SDK keeps
// the header's spelling).
func MetaValue(m map[string]string, name string) string {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Judge is Judge with this inspector's allowlist: for bytes at hand (a
// direct upload, before it is stored).
func (in *Inspector) Judge(declared string, body []byte, size, maxSize int64) (detected, reason string) {
	return Judge(in.cfg.Allowed, declared, body, size, 0, maxSize)
}

// Judge is the verdict without I/O: the detected type of head (an object's
// first bytes, at most [ReadBytes] are looked at) and the reason to reject,
// "" to accept. pinned > 0 is the length the upload was pinned to.
func Judge(allowed mediatype.Allowlist, declared string, head []byte, size, pinned, maxSize int64) (detected, reason string) {
	m := mimetype.Detect(head)
	detected = baseType(m.String())
	switch {
	case size > maxSize:
		return detected, ReasonTooLarge
	case pinned > 0 && size != pinned:
		return detected, ReasonSizeMismatch
	}
	decl := baseType(declared)
	if decl == "" {
		decl = octetStream
	}
	if !allowed.Allows(decl) || (decl == octetStream && !allowed.Allows(detected)) {
		return detected, ReasonTypeRefused
	}
	if !Compatible(decl, m) {
		return detected, ReasonTypeMismatch
	}
	return detected, ""
}

const octetStream = "application/octet-stream"

// Compatible is the compatibility rule between a declared media type and
// the type detected from the content:
//
//  1. The same type, or one of its aliases (image/jpg for image/jpeg,
//     application/x-zip-compressed for application/zip), is compatible.
//  2. A declared application/octet-stream claims nothing: any content is
//     compatible (ALLOWED_CONTENT_TYPES then judges the detected type).
//  3. Content that is a more specific kind of the declared type is
//     compatible: a DOCX, XLSX, JAR or EPUB declared as application/zip,
//     JSON or CSV declared as text/plain. Except active content — HTML,
//     SVG, XHTML, XML, JavaScript — which browsers run or render: it is
//     compatible only with its own type, so an HTML page declared as
//     text/plain is rejected.
//  4. A declared text type (text/*, JSON, XML-free +json types, YAML, CSV…)
//     accepts content detected as plain text: whether text is CSV or
//     Markdown cannot be told from its bytes. Not for active types: an
//     SVG or HTML declaration needs content detected as such.
//  5. A declared zip-based type (DOCX, XLSX, PPTX, ODF, EPUB, JAR, APK…)
//     accepts content detected as plain application/zip: the entry that
//     names the format may come after the first 4 KiB.
//  6. Anything else is a mismatch: HTML bytes declared as image/png, a
//     PDF declared as image/jpeg, a PNG declared as image/gif.
//
// Parameters (charset) and case are ignored.
func Compatible(declared string, detected *mimetype.MIME) bool {
	decl := baseType(declared)
	if a, ok := aliases[decl]; ok {
		decl = a
	}
	if detected.Is(decl) || decl == octetStream {
		return true
	}
	if !isActive(baseType(detected.String())) {
		for p := detected.Parent(); p != nil; p = p.Parent() {
			if p.Is(decl) && baseType(p.String()) != octetStream {
				return true
			}
		}
	}
	if detected.Is("text/plain") && isText(decl) && !isActive(decl) {
		return true
	}
	if detected.Is("application/zip") && isZipBased(decl) {
		return true
	}
	return false
}

// baseType is the lower-case media type without parameters, or "" when s
// is not a media type.
func baseType(s string) string {
	mt, _, err := mime.ParseMediaType(s)
	if err != nil {
		return ""
	}
	return mt
}

// aliases are common non-standard names browsers and tools send, which
// mimetype does not list as aliases.
var aliases = map[string]string{
	"image/jpg":                    "image/jpeg",
	"image/pjpeg":                  "image/jpeg",
	"audio/x-wav":                  "audio/wav",
	"application/x-zip-compressed": "application/zip",
	"application/x-gzip":           "application/gzip",
}

// active types run or render in a browser.
var active = map[string]bool{
	"text/html": true, "application/xhtml+xml": true, "image/svg+xml": true,
	"text/xml": true, "application/xml": true, "text/javascript": true,
	"application/javascript": true, "application/x-javascript": true,
	"text/x-component": true, "application/x-shockwave-flash": true,
}

func isActive(mt string) bool { return active[mt] }

// isText: types whose content is plain text in some syntax.
func isText(mt string) bool {
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+yaml") {
		return true
	}
	switch mt {
	case "application/json", "application/ld+json", "application/x-ndjson", "application/yaml",
		"application/x-yaml", "application/toml", "application/sql", "application/x-sh":
		return true
	}
	return false
}

// isZipBased: declared types whose files are zip archives.
func isZipBased(mt string) bool {
	if strings.HasPrefix(mt, "application/vnd.openxmlformats-officedocument.") ||
		strings.HasPrefix(mt, "application/vnd.oasis.opendocument.") {
		return true
	}
	switch mt {
	case "application/epub+zip", "application/java-archive", "application/x-java-archive",
		"application/vnd.android.package-archive", "application/vnd.google-earth.kmz",
		"application/x-xpinstall", "application/vnd.ms-xpsdocument", "model/vnd.usdz+zip":
		return true
	}
	return false
}
