package ossemu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// V4 signing as OSS defines it (OSS documentation: signature version 4). These
// functions are pure so that tests, the verifier and other packages can reproduce any signature.
const (
	// Algorithm is the only signature version the emulator accepts.
	Algorithm = "OSS4-HMAC-SHA256"
	// UnsignedPayload is the only hashed payload OSS accepts.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// Terminator ends every credential scope.
	Terminator = "aliyun_v4_request"
	// Product is the product part of the scope for OSS.
	Product = "oss"
	// TimeFormat is the x-oss-date format (ISO 8601 basic, UTC).
	TimeFormat = "20060102T150405Z"
	// DateFormat is the scope date format.
	DateFormat = "20060102"
)

// SigningKey derives the V4 signing key: HMAC chain over date, region,
// product and the terminator, keyed by "aliyun_v4"+secret.
func SigningKey(secret, date, region, product string) []byte {
	k := hmacSHA256([]byte("aliyun_v4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, product)
	return hmacSHA256(k, Terminator)
}

// Scope is "<date>/<region>/<product>/aliyun_v4_request".
func Scope(date, region, product string) string {
	return date + "/" + region + "/" + product + "/" + Terminator
}

// StringToSign joins the algorithm, timestamp, scope and the hex SHA-256 of
// the canonical request.
func StringToSign(timestamp, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return Algorithm + "\n" + timestamp + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// Signature is the lowercase hex HMAC-SHA256 of msg under signingKey. It
// serves both the canonical-request string to sign and a POST policy
// (whose string to sign is the base64 policy itself).
func Signature(signingKey []byte, msg string) string {
	return hex.EncodeToString(hmacSHA256(signingKey, msg))
}

// CanonicalURI is "/bucket/key" (or "/bucket/", "/") from the decoded key,
// every byte but unreserved ones and '/' percent-encoded in upper-case hex.
func CanonicalURI(bucket, key string) string {
	if bucket == "" {
		return "/"
	}
	return "/" + escape(bucket, false) + "/" + escape(key, false)
}

// CanonicalQuery encodes decoded query values strictly (RFC 3986, %20),
// sorts by encoded name and writes "k=v", or a bare "k" for an empty
// value, as the SDK does. For a repeated name the last value counts (SDK
// behaviour); the verifier refuses repeats before it gets here.
func CanonicalQuery(q url.Values) string {
	type kv struct{ k, v string }
	items := make([]kv, 0, len(q))
	for k, vs := range q {
		v := ""
		if len(vs) > 0 {
			v = vs[len(vs)-1]
		}
		items = append(items, kv{escape(k, true), escape(v, true)})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].k < items[j].k })
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(it.k)
		if it.v != "" {
			b.WriteByte('=')
			b.WriteString(it.v)
		}
	}
	return b.String()
}

// IsDefaultSignedHeader reports whether a lowercase header name is signed
// whether or not it is listed: x-oss-*, content-type, content-md5.
func IsDefaultSignedHeader(lower string) bool {
	return strings.HasPrefix(lower, "x-oss-") || lower == "content-type" || lower == "content-md5"
}

// NormalizeAdditionalHeaders lowercases, drops default-signed names and
// blanks, deduplicates and sorts, giving the AdditionalHeaders line.
func NormalizeAdditionalHeaders(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" || IsDefaultSignedHeader(n) || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// CanonicalHeaders writes "name:value\n" for every default-signed header
// and every header named in additional (already normalized), sorted by
// lowercase name; several values of one header are joined with ",".
func CanonicalHeaders(h http.Header, additional []string) string {
	add := make(map[string]bool, len(additional))
	for _, a := range additional {
		add[a] = true
	}
	vals := map[string][]string{}
	var names []string
	for k, vs := range h {
		low := strings.ToLower(k)
		if !IsDefaultSignedHeader(low) && !add[low] {
			continue
		}
		if _, ok := vals[low]; !ok {
			names = append(names, low)
		}
		for _, v := range vs {
			vals[low] = append(vals[low], strings.TrimSpace(v))
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strings.Join(vals[n], ","))
		b.WriteByte('\n')
	}
	return b.String()
}

// HashedPayload is x-oss-content-sha256 when present, else UNSIGNED-PAYLOAD.
func HashedPayload(h http.Header) string {
	if v := h.Get("x-oss-content-sha256"); v != "" {
		return v
	}
	return UnsignedPayload
}

// CanonicalRequest builds the six-line canonical request. query must not
// contain x-oss-signature; additional must be normalized
// ([NormalizeAdditionalHeaders]).
func CanonicalRequest(method, bucket, key string, query url.Values, header http.Header, additional []string) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte('\n')
	b.WriteString(CanonicalURI(bucket, key))
	b.WriteByte('\n')
	b.WriteString(CanonicalQuery(query))
	b.WriteByte('\n')
	b.WriteString(CanonicalHeaders(header, additional))
	b.WriteByte('\n')
	b.WriteString(strings.Join(additional, ";"))
	b.WriteByte('\n')
	b.WriteString(HashedPayload(header))
	return b.String()
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

const upperHex = "0123456789ABCDEF"

// escape percent-encodes everything but RFC 3986 unreserved bytes (and '/'
// unless encodeSlash).
func escape(s string, encodeSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !keep(s[i], encodeSlash) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c, encodeSlash) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return string(b)
}

func keep(c byte, encodeSlash bool) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	case c == '-' || c == '.' || c == '_' || c == '~':
		return true
	case c == '/':
		return !encodeSlash
	}
	return false
}
