package objectkey

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func FuzzResolve(f *testing.F) {
	seeds := []struct{ key, sub, ct string }{
		{"exampledir/a/b.png", "a", "image/png"},
		{"exampledir/a/", "a", "text/plain; charset=utf-8"},
		{"exampledir/", "a", ""},
		{"exampledir/a/../b/x", "a", ""},
		{"exampledir/a/./x", "a", ""},
		{"exampledir/a//x", "a", ""},
		{"exampledir\\a\\x", "a", ""},
		{"/exampledir/a/x", "a", ""},
		{"exampledir2/a/x", "a", ""},
		{"Exampledir/a/x", "a", ""},
		{"exampledir/a/\x00", "a", ""},
		{"exampledir/a/\r\n", "a", ""},
		{"exampledir/a/\xc0\xaf", "a", ""},
		{"exampledir/a/\xe0\x80\xaf", "a", ""},
		{"exampledir/a/\xed\xa0\x80", "a", ""},
		{"exampledir/a/\uff0e\uff0e\uff0fx", "a", ""},
		{"exampledir/../", "..", ""},
		{"exampledir/b/x", "a/b", ""},
		{"exampledir/a/" + strings.Repeat("x", 1010), "a", ""},
		{"exampledir/\u2215/x", "\u2215", ""},
		{"exampledir/a\u0085/x", "a\u0085", ""},
		{"exampledir/a/.\u200b./x", "a", ""},
		{"exampledir/a/\u2488\u2488/x", "a", ""},
		{"exampledir/a/\u2025/x", "a", ""},
		{"exampledir/a/.\ufe0f/x", "a", ""},
		{"exampledir/a/\ufffd", "a", ""},
		{"exampledir/a\ufffd/x", "a\ufffd", ""},
		{"exampledir/a/\U0001F468\u200d\U0001F469.png", "a", ""},
		{"exampledir/a/\u200d/x", "\u200d", ""},
	}
	for _, s := range seeds {
		f.Add(s.key, s.sub, s.ct, false)
		f.Add(s.key, s.sub, s.ct, true)
	}
	static := mustPolicy(f, "exampledir/")
	perUser := mustPolicy(f, "exampledir/{sub}/")

	f.Fuzz(func(t *testing.T, key, sub, ct string, user bool) {
		p := static
		if user {
			p = perUser
		}
		c := claims{"sub": sub}
		got, err := p.Resolve(key, c, ct)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrOutsidePrefix) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			if got != "" {
				t.Fatalf("result %q returned with error", got)
			}
			return
		}
		prefix, perr := p.Prefix(c)
		if perr != nil {
			t.Fatalf("accepted %q but Prefix fails: %v", key, perr)
		}
		checkAccepted(t, got, prefix)
		if !strings.HasSuffix(key, "/") && got != key {
			t.Fatalf("object key changed: %q -> %q", key, got)
		}
		if strings.HasSuffix(key, "/") && !strings.HasPrefix(got, key) {
			t.Fatalf("generated key %q is not inside folder %q", got, key)
		}
	})
}

// checkAccepted is the property every accepted key has, written
// independently of the implementation.
func checkAccepted(t *testing.T, got, prefix string) {
	t.Helper()
	if !utf8.ValidString(got) {
		t.Fatalf("accepted invalid UTF-8 %q", got)
	}
	if len(got) < 1 || len(got) > 1023 {
		t.Fatalf("accepted %d bytes", len(got))
	}
	if !strings.HasSuffix(prefix, "/") || !strings.HasPrefix(got, prefix) {
		t.Fatalf("accepted %q outside prefix %q", got, prefix)
	}
	if strings.Contains(got, "\\") {
		t.Fatalf("accepted backslash in %q", got)
	}
	for _, seg := range strings.Split(got, "/") {
		if seg == "" || seg == "." || seg == ".." {
			t.Fatalf("accepted segment %q in %q", seg, got)
		}
	}
	for _, r := range got {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("accepted control character %U in %q", r, got)
		}
		if r == 0xff0e || r == 0xff0f || r == 0x2215 || r == 0x2044 || r == 0x2024 {
			t.Fatalf("accepted look-alike %U in %q", r, got)
		}
		if r == utf8.RuneError || unicode.Is(unicode.Cf, r) && r != 0x200c && r != 0x200d {
			t.Fatalf("accepted %U (replacement or format character) in %q", r, got)
		}
	}
	// Whatever a tool that applies NFKC does to the key, it gains no ".",
	// "/" or "\", and no segment becomes "." or "..".
	n := norm.NFKC.String(got)
	if strings.Count(n, ".") != strings.Count(got, ".") || strings.Count(n, "/") != strings.Count(got, "/") || strings.Contains(n, "\\") {
		t.Fatalf("accepted %q, whose NFKC form %q adds a dot, slash or backslash", got, n)
	}
	if !oracleAccepts(got) {
		t.Fatalf("accepted %q, which the rule (oracleAccepts) refuses", got)
	}
}

func BenchmarkResolve(b *testing.B) {
	c := claims{"sub": "user-123"}
	cases := []struct{ name, tmpl, key string }{
		{"static/object", "exampledir/", "exampledir/a/b/photo.png"},
		{"per-user/object", "exampledir/{sub}/", "exampledir/user-123/a/photo.png"},
		{"static/folder", "exampledir/", "exampledir/a/"},
		{"static/unicode-object", "exampledir/", "exampledir/文件/照片 1 \u2764\ufe0f.jpg"},
	}
	for _, bc := range cases {
		p := mustPolicy(b, bc.tmpl)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Resolve(bc.key, c, "image/png"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
