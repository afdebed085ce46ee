package inspect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/mediatype"
	"github.com/ossbroker/ossbroker/pkg/objectkey"
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
	// ReasonGone: a rejection removed this version from the prefix
	// before it could be judged here (deleted, or quarantined by a
	// judgement the configuration now in force would not reach): it is
	// not available, and never will be under this ETag.
	ReasonGone = "object_gone"
)

// Action is what happens to a rejected object.
type Action string

// Actions. Each acts only on the version judged (its ETag).
const (
	// Quarantine, the default, moves the object out of the upload prefix
	// to QuarantineKey, where no uploader can read or write and a bucket
	// lifecycle rule expires it: a copy conditional on the judged ETag
	// (x-oss-copy-source-if-match), then a delete of the original.
	Quarantine Action = "quarantine"
	Delete     Action = "delete" // opt-in: the object is removed
	Tag        Action = "tag"    // kept in place and tagged ossbroker-verdict=rejected, ossbroker-reason=<code>
)

// QuarantineFolder is where Quarantine moves rejected objects: a folder of
// its own at the bucket's root, which config refuses to let UPLOAD_PREFIX
// cover.
const QuarantineFolder = config.QuarantineFolder

// QuarantineKey is where the version etag of key goes when rejected:
// QuarantineFolder, the ETag, then the key (its SHA-256 when the whole
// would exceed OSS's 1023 bytes), so two rejected versions of one key
// never collide.
func QuarantineKey(key, etag string) string {
	q := QuarantineFolder + strings.ToUpper(strings.Trim(etag, `"`)) + "/"
	if len(q)+len(key) > objectkey.MaxKeyBytes {
		sum := sha256.Sum256([]byte(key))
		return q + hex.EncodeToString(sum[:])
	}
	return q + key
}

// Receipt actions: what happened to a rejected object.
const (
	ActionQuarantined = "quarantined"
	ActionDeleted     = "deleted"
	ActionTagged      = "tagged"
	// ActionOverwritten: the judged version was replaced by a newer one
	// before it could be acted on; the newer one was left alone (it has
	// its own verdict).
	ActionOverwritten = "overwritten"
)

// Tag keys set in Tag mode.
const (
	TagVerdict = "ossbroker-verdict"
	TagReason  = "ossbroker-reason"
)

// Store is the part of [storage.Client] inspection uses.
type Store interface {
	Bucket() string
	ReadStart(ctx context.Context, key string, n int, etag string) (storage.Start, error)
	Head(ctx context.Context, key string) (storage.ObjectInfo, error)
	Copy(ctx context.Context, src, dst, etag string) error
	Delete(ctx context.Context, key string) error
	Tag(ctx context.Context, key string, tags map[string]string) error
}

// Config configures an Inspector. Build it once per instance.
type Config struct {
	Store   Store
	Allowed mediatype.Allowlist // ALLOWED_CONTENT_TYPES
	MaxSize int64               // default size limit (MAX_UPLOAD_BYTES)
	Action  Action              // "" means Quarantine
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
		cfg.Action = Quarantine
	case Quarantine, Delete, Tag:
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
	// (quotes and case aside; the read is If-Match on it) and metadata
	// values it must carry. Any other version is [ErrOtherVersion], judged
	// and touched not at all.
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
	// Action is what happened to a rejected object: "quarantined",
	// "deleted", "tagged" or "overwritten" (the Action constants).
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
// verdict, on the version judged only. An error means no verdict: the
// object is as it was, or (if the action failed) its fate is undecided; the
// caller must not answer "accepted". With req.ETag or req.Meta set and the
// object another version, the error wraps [ErrOtherVersion] (and
// [storage.ErrChanged] when OSS refused the If-Match read).
func (in *Inspector) Inspect(ctx context.Context, req Request) (Receipt, error) {
	if req.Bucket != in.cfg.Store.Bucket() {
		return Receipt{}, ErrForeignBucket
	}
	st, err := in.cfg.Store.ReadStart(ctx, req.Key, ReadBytes, req.ETag)
	if errors.Is(err, storage.ErrChanged) {
		return Receipt{}, fmt.Errorf("inspect %q: %w: %w", req.Key, ErrOtherVersion, err)
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("inspect %q: %w", req.Key, err)
	}
	if !req.matches(st) {
		return Receipt{}, fmt.Errorf("inspect %q: %w", req.Key, ErrOtherVersion)
	}
	r := in.judge(req, st)
	if r.Verdict == Accepted {
		return r, nil
	}
	r.Action, err = in.act(ctx, req.Key, st.ETag, r.Reason)
	if err != nil {
		return Receipt{}, fmt.Errorf("inspect %q: acting on the rejection: %w", req.Key, err)
	}
	return r, nil
}

func (in *Inspector) judge(req Request, st storage.Start) Receipt {
	maxSize := in.cfg.MaxSize
	if req.MaxSize > 0 {
		maxSize = req.MaxSize
	}
	r := Receipt{Bucket: req.Bucket, Key: req.Key, Size: st.Size, ETag: st.ETag, CRC64: st.CRC64, DeclaredType: st.ContentType, Metadata: st.Metadata}
	r.DetectedType, r.Reason = Judge(in.cfg.Allowed, req.Key, st.ContentType, st.Bytes, st.Size, req.Size, maxSize)
	r.Verdict = Accepted
	if r.Reason != "" {
		r.Verdict = Rejected
	}
	return r
}

// act carries out a rejection on the version etag of key and says what
// happened. OSS has no conditional delete or tagging: those check the
// version with a HEAD just before (see [Inspector.ifCurrent]); the copy to
// the quarantine is conditional at OSS itself.
func (in *Inspector) act(ctx context.Context, key, etag, reason string) (string, error) {
	st := in.cfg.Store
	switch in.cfg.Action {
	case Tag:
		if err := in.ifCurrent(ctx, key, etag, func() error {
			return st.Tag(ctx, key, map[string]string{TagVerdict: Rejected, TagReason: reason})
		}); err != nil {
			return overwritten(err)
		}
		return ActionTagged, nil
	case Delete:
		if err := in.ifCurrent(ctx, key, etag, func() error { return st.Delete(ctx, key) }); err != nil {
			return overwritten(err)
		}
		return ActionDeleted, nil
	default:
		if err := st.Copy(ctx, key, QuarantineKey(key, etag), etag); err != nil {
			return overwritten(err)
		}
		if err := in.ifCurrent(ctx, key, etag, func() error { return st.Delete(ctx, key) }); err != nil &&
			!errors.Is(err, storage.ErrChanged) && !errors.Is(err, storage.ErrNotFound) {
			return "", err
		}
		return ActionQuarantined, nil
	}
}

// overwritten maps a failed action: the version gone or replaced is
// ActionOverwritten (the newer version is untouched), anything else an
// error.
func overwritten(err error) (string, error) {
	if errors.Is(err, storage.ErrChanged) || errors.Is(err, storage.ErrNotFound) {
		return ActionOverwritten, nil
	}
	return "", err
}

// ifCurrent runs f if key is still the version etag, by a HEAD right
// before it: the window in which a new version can land between the check
// and f is one request's time at OSS (BenchmarkActWindow measures it
// against the local OSS server). Otherwise it returns storage.ErrChanged.
func (in *Inspector) ifCurrent(ctx context.Context, key, etag string, f func() error) error {
	info, err := in.cfg.Store.Head(ctx, key)
	if err != nil {
		return err
	}
	if !SameETag(info.ETag, etag) {
		return fmt.Errorf("%q: %w", key, storage.ErrChanged)
	}
	return f()
}

// Quarantined is the verdict on the version etag of key when key no longer
// holds it but the quarantine does: the copy judged again under the
// original name (Judge is a function of the bytes, the name and the
// configuration, so the verdict is the one reached before; a copy that
// would now be accepted is still rejected, ReasonGone). An error
// wrapping storage.ErrNotFound means the quarantine does not hold it.
func (in *Inspector) Quarantined(ctx context.Context, req Request) (Receipt, error) {
	st, err := in.cfg.Store.ReadStart(ctx, QuarantineKey(req.Key, req.ETag), ReadBytes, "")
	if err != nil {
		return Receipt{}, fmt.Errorf("inspect %q in the quarantine: %w", req.Key, err)
	}
	r := in.judge(req, st)
	r.ETag = req.ETag
	if r.Verdict != Rejected {
		// Only a rejection quarantines: under a configuration loosened
		// since, the copy is still out of the uploader's reach.
		r.Verdict, r.Reason = Rejected, ReasonGone
	}
	r.Action = ActionQuarantined
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
// direct upload to key, before it is stored).
func (in *Inspector) Judge(key, declared string, body []byte, size, maxSize int64) (detected, reason string) {
	return Judge(in.cfg.Allowed, key, declared, body, size, 0, maxSize)
}

// Judge is the verdict without I/O: the detected type of head (an object's
// first bytes, at most [ReadBytes] are looked at) and the reason to reject,
// "" to accept. name is the object key; pinned > 0 is the length the upload
// was pinned to.
//
// It rejects what is dangerous or not allowed, not what is merely
// mislabelled:
//   - active content ([mediatype.Active]: HTML, SVG, XML, JavaScript,
//     executables, scripts) unless it was declared as exactly that type
//     (or an alias) and allowed by name: ReasonTypeMismatch when declared
//     as something else, ReasonTypeRefused when the allowlist does not name
//     it (a wildcard never does);
//   - a name that an operating system or browser runs by its extension
//     ([mediatype.ActiveName]: .js, .bat, .exe, .html...), or a script with
//     an interpreter line ("#!") detection has no name for, unless the declared
//     type is active and named by the allowlist: ReasonTypeMismatch, or
//     ReasonTypeRefused when it is declared active but not named;
//   - a declared type the allowlist refuses, or a detected type it refuses
//     that is not a more specific reading of the declared one ([Compatible]):
//     ReasonTypeRefused. Content detection cannot name (plain
//     application/octet-stream) is judged by its declared type.
//
// Any other disagreement (a CSV declared application/vnd.ms-excel, a
// TypeScript file declared video/mp2t, a HEIC photo declared image/jpeg) is
// accepted; the receipt names both types.
func Judge(allowed mediatype.Allowlist, name, declared string, head []byte, size, pinned, maxSize int64) (detected, reason string) {
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
	if IsActive(m) {
		if a, ok := aliases[decl]; ok {
			decl = a
		}
		if decl == octetStream || !m.Is(decl) {
			return detected, ReasonTypeMismatch
		}
		if !allowed.Allows(decl) {
			return detected, ReasonTypeRefused
		}
		return detected, ""
	}
	if mediatype.ActiveName(name) || bytes.HasPrefix(head, []byte("#!")) {
		if !mediatype.Active(decl) {
			return detected, ReasonTypeMismatch
		}
		if !allowed.Allows(decl) {
			return detected, ReasonTypeRefused
		}
		return detected, ""
	}
	if !allowed.Allows(decl) {
		return detected, ReasonTypeRefused
	}
	if detected != octetStream && !allowed.Allows(detected) && (decl == octetStream || !Compatible(decl, m)) {
		return detected, ReasonTypeRefused
	}
	return detected, ""
}

// IsActive reports whether detected content is active: its type or one of
// the types it is a kind of ([mimetype.MIME.Parent]) is [mediatype.Active]
// (an RSS feed is a kind of XML, a shared library a kind of ELF).
func IsActive(m *mimetype.MIME) bool {
	for n := m; n != nil; n = n.Parent() {
		if mediatype.Active(baseType(n.String())) {
			return true
		}
	}
	return false
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
	if !IsActive(detected) {
		for p := detected.Parent(); p != nil; p = p.Parent() {
			if p.Is(decl) && baseType(p.String()) != octetStream {
				return true
			}
		}
	}
	if detected.Is("text/plain") && isText(decl) && !mediatype.Active(decl) {
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
