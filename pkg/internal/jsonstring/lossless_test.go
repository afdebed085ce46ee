package jsonstring_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ossbroker/ossbroker/pkg/internal/jsonstring"
)

// esc is the escape \uXXXX of u, lowercase or uppercase.
func esc(u int, upper bool) string {
	digits := "0123456789abcdef"
	if upper {
		digits = "0123456789ABCDEF"
	}
	return string([]byte{'\\', 'u', digits[u>>12&15], digits[u>>8&15], digits[u>>4&15], digits[u&15]})
}

// decodesToFFFD: encoding/json turned something other than a written U+FFFD
// into U+FFFD.
func decodesToFFFD(t *testing.T, doc string) bool {
	t.Helper()
	var s string
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatalf("%q: %v", doc, err)
	}
	return strings.ContainsRune(s, utf8.RuneError)
}

// TestLosslessSurrogates sweeps every UTF-16 code unit as an escape at the
// start, middle and end of a string, every high surrogate with every low
// one, and each surrogate mispaired, and checks Lossless against what
// encoding/json makes of the same string.
func TestLosslessSurrogates(t *testing.T) {
	check := func(doc string, want bool) {
		t.Helper()
		if got := jsonstring.Lossless([]byte(doc)); got != want {
			t.Fatalf("Lossless(%s) = %v, want %v", doc, got, want)
		}
		if want == decodesToFFFD(t, doc) {
			t.Fatalf("%s: encoding/json replaced = %v, test expects lossless = %v", doc, !want, want)
		}
	}
	for u := 0; u <= 0xffff; u++ {
		if u == 0xfffd {
			continue // a written U+FFFD is not a replacement
		}
		surrogate := 0xd800 <= u && u < 0xe000
		e, E := esc(u, false), esc(u, true)
		check(`"ab`+E+`cd"`, !surrogate) // against encoding/json once per unit
		for _, doc := range []string{`"` + e + `"`, `"` + e + `ab"`, `"ab` + e + `"`, `"\\` + e + `"`} {
			if jsonstring.Lossless([]byte(doc)) == surrogate {
				t.Fatalf("Lossless(%s) = %v", doc, !surrogate)
			}
		}
		// \\u.... is a backslash and text, not an escape.
		check(`"\\`+strings.TrimPrefix(e, `\`)+`"`, true)
	}
	for hi := 0xd800; hi < 0xdc00; hi++ {
		h := esc(hi, false)
		doc := []byte(`"a` + h + `\uDC00"`)
		for lo := 0xdc00; lo < 0xe000; lo++ {
			copy(doc[8:], esc(lo, lo&1 == 0))
			if !jsonstring.Lossless(doc) {
				t.Fatalf("valid pair refused: %s", doc)
			}
		}
		lo := esc(0xdc00+(hi-0xd800), false)
		for _, doc := range []string{
			`"` + h + h + lo + `"`,        // two highs
			`"` + lo + h + `"`,            // reversed
			`"` + h + `\u0041"`,           // high then a non-surrogate
			`"` + h + `\n` + lo + `"`,     // another escape between
			`"` + h + `x` + lo + `"`,      // text between
			`"` + h + lo + lo + `"`,       // a pair, then a lone low
			`"` + h + `\\` + lo[1:] + `"`, // high, then a backslash and text
		} {
			check(doc, false)
		}
	}
}

// TestLosslessBytes: every byte value alone at the start, middle and end of
// a string; 0x80-0xFF can never stand alone in UTF-8.
func TestLosslessBytes(t *testing.T) {
	for c := 0x20; c <= 0xff; c++ {
		if c == '"' || c == '\\' {
			continue
		}
		for _, doc := range []string{`"` + string(rune(0)) + `"`, `"ab` + string(rune(0)) + `cd"`, `"ab` + string(rune(0)) + `"`} {
			doc = strings.ReplaceAll(doc, "\x00", string([]byte{byte(c)}))
			want := c < 0x80
			if got := jsonstring.Lossless([]byte(doc)); got != want {
				t.Fatalf("Lossless(%q) = %v, want %v", doc, got, want)
			}
			if want == decodesToFFFD(t, doc) {
				t.Fatalf("%q: encoding/json disagrees with the test", doc)
			}
		}
	}
	for _, doc := range []string{`""`, `"\ufffd"`, "\"\uFFFD\"", `{"a":["\\","\"",1,"\ud83d\ude00"]}`, `"\\\\"`, `"\\"`} {
		if !jsonstring.Lossless([]byte(doc)) {
			t.Errorf("Lossless(%s) = false", doc)
		}
	}
}

// FuzzLossless: on every JSON string, Lossless is true exactly when
// encoding/json decodes it without making a U+FFFD that was not written.
func FuzzLossless(f *testing.F) {
	for _, s := range []string{`"a"`, `"\ud800"`, `"\ud800\udc00"`, `"\udc00"`, `"\\ud800"`, "\"\xff\"", `"\ufffd"`, "\"\xef\xbf\xbd\"", `"\u00e9\n"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return
		}
		written := strings.Contains(strings.ToLower(string(b)), `\ufffd`) || strings.ContainsRune(string(b), utf8.RuneError) && utf8.Valid(b)
		if written {
			return
		}
		if replaced := strings.ContainsRune(s, utf8.RuneError); jsonstring.Lossless(b) == replaced {
			t.Fatalf("%q: Lossless %v, encoding/json gave %q", b, !replaced, s)
		}
	})
}
