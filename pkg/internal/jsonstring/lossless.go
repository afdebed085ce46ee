package jsonstring

import (
	"bytes"
	"unicode/utf8"
)

// Lossless reports whether every string in the JSON text b decodes without
// replacement: b is valid UTF-8, and every \u escape of a UTF-16 surrogate
// is a high surrogate (D800-DBFF) directly followed by an escaped low one
// (DC00-DFFF). encoding/json turns anything else into U+FFFD without an
// error, so two different inputs would decode to one string; callers that
// take a key or a claim from JSON refuse such input instead.
//
// It looks only at escapes and bytes, not at the JSON grammar (a backslash
// can only appear inside a string of valid JSON); the decoder that follows
// judges the syntax.
func Lossless(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return true
		}
		i += j
		r := Unit(b[i:])
		switch {
		case r < 0: // another escape, such as \\ or \n: skip both bytes
			i += 2
		case r < 0xd800 || r >= 0xe000:
			i += 6
		case r < 0xdc00: // high surrogate: the next escape must be a low one
			if lo := Unit(b[i+6:]); lo < 0xdc00 || lo >= 0xe000 {
				return false
			}
			i += 12
		default: // a low surrogate with no high one before it
			return false
		}
		if i >= len(b) {
			return true
		}
	}
}

// Unit is the UTF-16 code unit of the \uXXXX escape at the start of s, or
// -1 when s does not start with one.
func Unit[S ~string | ~[]byte](s S) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for i := 2; i < 6; i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
