package webhook_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/webhook"
)

// TestCharsetChecksMatchRegexps holds ValidName and SafeID against the
// regexps they replaced (the oracle, kept only here): every byte value at
// the first, a middle and the last position, in strings of length 1, the
// maximum and one over, and every length from 0 to two over the maximum.
func TestCharsetChecksMatchRegexps(t *testing.T) {
	for _, c := range []struct {
		name   string
		check  func(string) bool
		oracle *regexp.Regexp
		max    int
		fill   string
		class  int // bytes in the class
	}{
		{"ValidName", webhook.ValidName, regexp.MustCompile(`^[a-z0-9-]{1,64}$`), 64, "a0-", 26 + 10 + 1},
		{"SafeID", webhook.SafeID, regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`), 128, "aZ9_-", 26 + 26 + 10 + 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			mismatches := 0
			compare := func(s string) {
				t.Helper()
				if got, want := c.check(s), c.oracle.MatchString(s); got != want {
					t.Errorf("%s(%q) = %v, the regexp says %v", c.name, s, got, want)
					if mismatches++; mismatches == 10 {
						t.FailNow()
					}
				}
			}
			valid := func(n int) []byte { return []byte(strings.Repeat(c.fill, n)[:n]) }
			for n := 0; n <= c.max+2; n++ {
				compare(string(valid(n)))
			}
			accepted := 0
			for _, n := range []int{1, 2, c.max, c.max + 1} {
				for _, at := range []int{0, n / 2, n - 1} {
					for v := range 256 {
						s := valid(n)
						s[at] = byte(v)
						compare(string(s))
						if n == 1 && c.check(string(s)) {
							accepted++
						}
					}
				}
			}
			// The three positions coincide at length 1.
			if accepted != 3*c.class {
				t.Errorf("%d single bytes accepted, want %d", accepted/3, c.class)
			}
		})
	}
}
