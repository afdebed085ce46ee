package objectkey

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// visualLookalikes are the look-alikes of "/" and "\" that NFKC leaves
// alone (from Unicode's confusables data; kept as a list in badRune).
const visualLookalikes = "\u2215\u2044\u29f8\u0337\u0338\u1735\u2216\u29f5\u29f9"

// refusedRune is the character rule written from its definition, for the
// oracle: categories Cc, Zl, Zp, Cf (but ZWNJ/ZWJ, judged by neighbours),
// U+FFFD, "\", and the visual look-alikes.
func refusedRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f || r == '\\'
	}
	return r == utf8.RuneError || strings.ContainsRune(visualLookalikes, r) ||
		unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp) ||
		unicode.Is(unicode.Cf, r) && r != 0x200c && r != 0x200d
}

// ignorable is Unicode's Default_Ignorable_Code_Point, near enough for
// the rule (the invisible characters a segment may not consist of).
func ignorable(r rune) bool {
	return r >= utf8.RuneSelf && unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// oracleAccepts is the whole rule, written independently of the
// implementation: it normalizes the whole key with NFKC (where the gate
// looks each character up in a generated table) and walks runes and
// segments its own way.
func oracleAccepts(key string) bool {
	if key == "" || len(key) > MaxKeyBytes || key[0] == '/' || !utf8.ValidString(key) {
		return false
	}
	prev := rune(-1)
	for i, r := range key {
		if refusedRune(r) {
			return false
		}
		if r == 0x200c || r == 0x200d {
			next, _ := utf8.DecodeRuneInString(key[i+utf8.RuneLen(r):])
			if prev < 0 || i+utf8.RuneLen(r) == len(key) || prev == '.' || prev == '/' || next == '.' || next == '/' {
				return false
			}
		}
		prev = r
	}
	for rest, last := key, false; !last; {
		seg, after, found := strings.Cut(rest, "/")
		rest, last = after, !found
		if seg == "" {
			if !last {
				return false
			}
			continue
		}
		dots, other := 0, false
		for _, r := range seg {
			switch {
			case r == '.':
				dots++
			case !ignorable(r):
				other = true
			}
		}
		if !other && dots <= 2 {
			return false
		}
	}
	if norm.NFKC.IsNormalString(key) {
		return true // NFKC(key) is key, checked above
	}
	n := norm.NFKC.String(key)
	if strings.Count(n, ".") != strings.Count(key, ".") || strings.Count(n, "/") != strings.Count(key, "/") {
		return false
	}
	for _, r := range n {
		if refusedRune(r) {
			return false
		}
	}
	return true
}

// subClaim is a principal with only a sub claim, without a map per call.
type subClaim string

func (c subClaim) Claim(name string) (string, bool) { return string(c), name == "sub" }

// TestEveryCodePoint sweeps every Unicode code point through the gate in
// the positions that matter (alone as a segment, next to a dot on either
// side, between dots, inside a name) and as a claim of a per-user prefix,
// and checks each verdict against oracleAccepts. Under the race detector
// (which adds nothing to this one-goroutine test but time) each code point
// is tried in one of the positions in turn.
func TestEveryCodePoint(t *testing.T) {
	contexts := []struct{ before, after string }{
		{"exampledir/", "/x"},
		{"exampledir/.", "/x"},
		{"exampledir/", "./x"},
		{"exampledir/.", "."},
		{"exampledir/a", "b"},
	}
	p := mustPolicy(t, "exampledir/{sub}/")
	refused := map[string]int{}
	var buf []byte
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if utf16.IsSurrogate(r) {
			continue // not encodable in UTF-8; invalid UTF-8 has its own tests
		}
		for ci, c := range contexts {
			if raceEnabled && ci != int(r)%len(contexts) {
				continue
			}
			buf = append(utf8.AppendRune(append(buf[:0], c.before...), r), c.after...)
			key := string(buf)
			got := Validate(key) == nil
			if want := oracleAccepts(key); got != want {
				t.Fatalf("context %d, %U: Validate(%q) accepts = %v, the rule says %v", ci, r, key, got, want)
			}
			if !got {
				refused[c.before+"R"+c.after]++
			}
		}
		v := string(r)
		_, err := p.Prefix(subClaim(v))
		if want := oracleAccepts("exampledir/" + v + "/x"); (err == nil) != want {
			t.Fatalf("claim %U: Prefix error %v, the rule says accept = %v", r, err, want)
		}
	}
	// The sweep is not vacuous: what every context refuses includes the
	// C0/C1 controls, the backslash, the Cf, Zl and Zp characters and the
	// NFKC look-alikes.
	minimum := 0x20 + 1 + 0x21 + 2 + len(nfkcLookalikes.R16) + 150
	if raceEnabled {
		minimum /= 2 * len(contexts)
	}
	for ctx, n := range refused {
		if n < minimum {
			t.Errorf("%s: only %d code points refused", ctx, n)
		}
	}
	t.Logf("refused per context: %v", refused)
}

// TestCategoriesAsWritten: badRune spells Cc (beyond ASCII), Zl and Zp as
// code points for speed; they are exactly these categories.
func TestCategoriesAsWritten(t *testing.T) {
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		want := unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp)
		if got := r <= 0x9f || r == 0x2028 || r == 0x2029; got != want {
			t.Fatalf("%U: written %v, categories %v", r, got, want)
		}
	}
}
