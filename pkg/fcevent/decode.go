package fcevent

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossbroker/ossbroker/pkg/internal/jsonstring"
)

// The fast path. Each function here either decodes its whole input exactly
// as encoding/json would, or reports false and leaves the answer to
// encoding/json; none of them returns an error.

// eventStore is what a decoded event's pointers point at: one allocation
// instead of one per field.
type eventStore struct {
	version, rawPath, body              string
	isBase64Encoded                     bool
	headers, queryParameters            map[string]string
	accountID, domainName, domainPrefix string
	method, path, protocol, sourceIP    string
	userAgent                           string
	requestID, time, timeEpoch          string
}

// decodeEvent decodes s into *ev, which is zero, or reports false.
func decodeEvent(s string, ev *events.HTTPTriggerEvent) bool {
	d := decoder{s: s}
	st := new(eventStore)
	var seen uint
	return d.object(func(key string) bool {
		switch key {
		case "version":
			return once(&seen, 1<<0) && d.stringPtr(&ev.Version, &st.version)
		case "rawPath":
			return once(&seen, 1<<1) && d.stringPtr(&ev.RawPath, &st.rawPath)
		case "body":
			return once(&seen, 1<<2) && d.stringPtr(&ev.Body, &st.body)
		case "isBase64Encoded":
			ev.IsBase64Encoded = &st.isBase64Encoded
			return once(&seen, 1<<3) && d.bool(&st.isBase64Encoded)
		case "headers":
			ev.Headers = &st.headers
			return once(&seen, 1<<4) && d.stringMap(&st.headers)
		case "queryParameters":
			ev.QueryParameters = &st.queryParameters
			return once(&seen, 1<<5) && d.stringMap(&st.queryParameters)
		case "requestContext":
			return once(&seen, 1<<6) && d.requestContext(&ev.TriggerContext, st)
		}
		return false
	}) && d.end()
}

func (d *decoder) requestContext(c *events.HTTPTriggerRequestContext, st *eventStore) bool {
	var seen uint
	return d.object(func(key string) bool {
		switch key {
		case "accountId":
			return once(&seen, 1<<0) && d.stringPtr(&c.AccountId, &st.accountID)
		case "domainName":
			return once(&seen, 1<<1) && d.stringPtr(&c.DomainName, &st.domainName)
		case "domainPrefix":
			return once(&seen, 1<<2) && d.stringPtr(&c.DomainPrefix, &st.domainPrefix)
		case "http":
			return once(&seen, 1<<3) && d.http(c, st)
		case "requestId":
			return once(&seen, 1<<4) && d.stringPtr(&c.RequestId, &st.requestID)
		case "time":
			return once(&seen, 1<<5) && d.stringPtr(&c.Time, &st.time)
		case "timeEpoch":
			return once(&seen, 1<<6) && d.stringPtr(&c.TimeEpoch, &st.timeEpoch)
		case "triggerId": // in FC's sample events; the SDK has no field for it
			var ignored string
			return once(&seen, 1<<7) && d.string(&ignored)
		}
		return false
	})
}

func (d *decoder) http(c *events.HTTPTriggerRequestContext, st *eventStore) bool {
	h := &c.Http
	var seen uint
	return d.object(func(key string) bool {
		switch key {
		case "method":
			return once(&seen, 1<<0) && d.stringPtr(&h.Method, &st.method)
		case "path":
			return once(&seen, 1<<1) && d.stringPtr(&h.Path, &st.path)
		case "protocol":
			return once(&seen, 1<<2) && d.stringPtr(&h.Protocol, &st.protocol)
		case "sourceIp":
			return once(&seen, 1<<3) && d.stringPtr(&h.SourceIp, &st.sourceIP)
		case "userAgent":
			return once(&seen, 1<<4) && d.stringPtr(&h.UserAgent, &st.userAgent)
		}
		return false
	})
}

// decodeResponse decodes s into *r, which is zero, or reports false.
func decodeResponse(s string, r *events.HTTPTriggerResponse) bool {
	d := decoder{s: s}
	var seen uint
	return d.object(func(key string) bool {
		switch key {
		case "statusCode":
			return once(&seen, 1<<0) && d.int(&r.StatusCode)
		case "headers":
			return once(&seen, 1<<1) && d.stringMap(&r.Headers)
		case "isBase64Encoded":
			return once(&seen, 1<<2) && d.bool(&r.IsBase64Encoded)
		case "body":
			return once(&seen, 1<<3) && d.string(&r.Body)
		}
		return false
	}) && d.end()
}

// once reports whether bit is not yet in *seen, and adds it: a key that
// comes twice goes to encoding/json, which merges or overwrites.
func once(seen *uint, bit uint) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// decoder reads JSON from s at i. Every method first skips whitespace.
type decoder struct {
	s string
	i int
}

func (d *decoder) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// eat consumes c if it comes next.
func (d *decoder) eat(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether nothing but whitespace is left.
func (d *decoder) end() bool {
	d.skipSpace()
	return d.i == len(d.s)
}

// object reads an object, calling member with each key when the value is
// next. The token after each value must be ',' or '}', which also rejects
// a literal or number run into something else, such as "truex" or "2.0".
func (d *decoder) object(member func(key string) bool) bool {
	if !d.eat('{') {
		return false
	}
	if d.eat('}') {
		return true
	}
	for {
		var key string
		if !d.string(&key) || !d.eat(':') || !member(key) {
			return false
		}
		if d.eat('}') {
			return true
		}
		if !d.eat(',') {
			return false
		}
	}
}

// stringMap reads an object of strings into a new map. Of a key that comes
// twice, the last value stays, as in encoding/json.
func (d *decoder) stringMap(m *map[string]string) bool {
	var buf [16][2]string
	kv := buf[:0]
	ok := d.object(func(key string) bool {
		var v string
		if !d.string(&v) {
			return false
		}
		kv = append(kv, [2]string{key, v})
		return true
	})
	if !ok {
		return false
	}
	*m = make(map[string]string, len(kv))
	for _, e := range kv {
		(*m)[e[0]] = e[1]
	}
	return true
}

func (d *decoder) stringPtr(p **string, v *string) bool {
	*p = v
	return d.string(v)
}

func (d *decoder) bool(v *bool) bool {
	d.skipSpace()
	switch {
	case strings.HasPrefix(d.s[d.i:], "true"):
		*v = true
		d.i += len("true")
	case strings.HasPrefix(d.s[d.i:], "false"):
		*v = false
		d.i += len("false")
	default:
		return false
	}
	return true
}

// int reads an integer as encoding/json does into an int: JSON's grammar,
// [strconv.ParseInt]'s range, so "-0" is 0 and a fraction or exponent is
// not ours.
func (d *decoder) int(v *int) bool {
	d.skipSpace()
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
	}
	if d.i == digits || d.s[digits] == '0' && d.i-digits > 1 {
		return false
	}
	n, err := strconv.ParseInt(d.s[start:d.i], 10, strconv.IntSize)
	*v = int(n)
	return err == nil
}

// string reads a string. Without escapes or invalid UTF-8 it is a
// substring of the input.
func (d *decoder) string(v *string) bool {
	if !d.eat('"') {
		return false
	}
	s, start := d.s, d.i
	for i := start; i < len(s); {
		i += plainLen(s[i:])
		if i == len(s) {
			break
		}
		switch c := s[i]; {
		case c == '"':
			*v = s[start:i]
			d.i = i + 1
			return true
		case c == '\\':
			d.i = i
			return d.unquote(v, start)
		case c < ' ':
			return false
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				d.i = i
				return d.unquote(v, start)
			}
			i += size
		}
	}
	return false
}

// plainLen is the length of the run of plain bytes that s starts with:
// ASCII but for the quote, the backslash and control characters.
func plainLen(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	// Eight bytes at a time: a byte's high bit is set in m if it is non-ASCII,
	// below ' ', '"' or '\\'. The subtractions borrow only from such a byte,
	// so the lowest bit set is exact.
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		q, b := x^('"'*ones), x^('\\'*ones)
		m := x | (x-' '*ones)&^x | (q-ones)&^q | (b-ones)&^b
		if m &= highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// plain is the bytes plainLen accepts.
var plain = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// unquote finishes reading the string whose contents begin at start, from
// d.i, where the first escape or invalid UTF-8 is. It mirrors
// encoding/json's unquote: invalid UTF-8 becomes U+FFFD, as does a \u
// surrogate that is not the first of a valid pair.
func (d *decoder) unquote(v *string, start int) bool {
	var b strings.Builder
	b.Grow(d.stringLen(start))
	b.WriteString(d.s[start:d.i])
	for d.i < len(d.s) {
		switch c := d.s[d.i]; {
		case c == '"':
			d.i++
			*v = b.String()
			return true
		case c == '\\':
			r, ok := d.escape()
			if !ok {
				return false
			}
			b.WriteRune(r)
		case c < ' ':
			return false
		case c < utf8.RuneSelf:
			n := 1 + plainLen(d.s[d.i+1:])
			b.WriteString(d.s[d.i : d.i+n])
			d.i += n
		default:
			r, size := utf8.DecodeRuneInString(d.s[d.i:])
			b.WriteRune(r)
			d.i += size
		}
	}
	return false
}

// stringLen is the length of the string's contents as written, from start
// to the closing quote: room enough for it unquoted, but for invalid UTF-8.
func (d *decoder) stringLen(start int) int {
	for i := d.i; ; i++ {
		j := strings.IndexByte(d.s[i:], '"')
		if j < 0 {
			return len(d.s) - start
		}
		i += j
		// The quote ends the string unless an odd run of backslashes
		// precedes it.
		k := i
		for k > start && d.s[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 0 {
			return i - start
		}
	}
}

// escape reads the escape sequence at d.i.
func (d *decoder) escape() (rune, bool) {
	if r := jsonstring.Unit(d.s[d.i:]); r >= 0 {
		d.i += 6
		if !utf16.IsSurrogate(r) {
			return r, true
		}
		if pair := utf16.DecodeRune(r, jsonstring.Unit(d.s[d.i:])); pair != unicode.ReplacementChar {
			d.i += 6
			return pair, true
		}
		return unicode.ReplacementChar, true
	}
	if d.i+1 >= len(d.s) {
		return 0, false
	}
	c := d.s[d.i+1]
	d.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}
