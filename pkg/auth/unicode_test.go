package auth

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// esc is the JSON escape \uXXXX of the code unit u.
func esc(u int) string {
	s := strconv.FormatInt(int64(u), 16)
	return `\u` + strings.Repeat("0", 4-len(s)) + s
}

// TestClaimsNotUnicodeRefused: a payload whose strings would decode with
// replacement (a \u escape of an unpaired surrogate, or a byte that is not
// UTF-8) is refused, in sub and in any other claim, at the start, middle
// and end of the value: encoding/json would make each of them U+FFFD and so
// merge different subjects into one caller.
func TestClaimsNotUnicodeRefused(t *testing.T) {
	v := newVerifier(t, Config{HS256Secret: hsSecret})
	const header = `{"alg":"HS256","typ":"JWT"}`
	payload := func(claim, value string) string {
		p := `{"sub":"user-1","tenant":"t1","iat":` + itoa(testNow.Unix()) + `,"exp":` + itoa(testNow.Unix()+3600)
		if claim == "sub" {
			p = strings.Replace(p, `"sub":"user-1"`, `"sub":"`+value+`"`, 1)
		} else {
			p += `,"` + claim + `":"` + value + `"`
		}
		return p + "}"
	}
	refused := func(claim, value string) {
		t.Helper()
		tok := handHS256(hsSecret, header, payload(claim, value))
		p, err := v.Verify(context.Background(), tok)
		if err == nil || !strings.Contains(err.Error(), "claims are not valid Unicode") {
			t.Fatalf("%s %q: principal %+v, error %v; want \"claims are not valid Unicode\"", claim, value, p, err)
		}
		assertNoLeak(t, err, tok)
	}
	for _, claim := range []string{"sub", "tenant"} {
		for u := 0xd800; u < 0xe000; u++ {
			e := esc(u)
			for _, val := range []string{e, "a" + e + "b", "ab" + e, e[:2] + strings.ToUpper(e[2:])} {
				refused(claim, val)
			}
			// Mispaired: a low first, two highs, a high and a non-surrogate.
			if u < 0xdc00 {
				lo := esc(u + 0x400)
				for _, val := range []string{lo + e, e + e + lo, e + `\u0041`, e + `\n` + lo, e + lo + lo} {
					refused(claim, val)
				}
			}
		}
		for c := 0x80; c <= 0xff; c++ {
			b := string([]byte{byte(c)})
			for _, val := range []string{b, "a" + b + "b", "ab" + b} {
				refused(claim, val)
			}
		}
	}
	// Controls: valid pairs and a written U+FFFD decode without replacement.
	for _, val := range []string{`\ud83d\ude00`, `\uD800\uDC00`, `\udbff\udfff`, "\U0010FFFF", `\ufffd`, "\uFFFD", "é"} {
		tok := handHS256(hsSecret, header, payload("sub", val))
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Errorf("sub %q refused: %v", val, err)
		}
	}
}
