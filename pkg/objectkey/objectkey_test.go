package objectkey

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// claims is a test principal.
type claims map[string]string

func (c claims) Claim(name string) (string, bool) {
	v, ok := c[name]
	return v, ok
}

func mustPolicy(t testing.TB, tmpl string) *Policy {
	t.Helper()
	p, err := NewPolicy(tmpl)
	if err != nil {
		t.Fatalf("NewPolicy(%q): %v", tmpl, err)
	}
	return p
}

var generatedName = regexp.MustCompile(`^[a-z2-7]{26}$`)

func TestValidate(t *testing.T) {
	long := func(n int) string { return "exampledir/" + strings.Repeat("a", n-len("exampledir/")) }
	cases := []struct {
		name string
		key  string
		ok   bool
	}{
		{"plain", "exampledir/a/b.png", true},
		{"folder", "exampledir/a/", true},
		{"unicode name", "exampledir/文件/照片 1.jpg", true},
		{"emoji with ZWJ", "exampledir/👨\u200d👩\u200d👧.png", true},
		{"three dots is a name", "exampledir/.../x", true},
		{"dot file", "exampledir/.hidden", true},
		{"dots inside name", "exampledir/a..b", true},
		{"percent literal", "exampledir/100%25.png", true},
		{"1023 bytes", long(1023), true},
		{"ZWNJ inside a Persian word", "exampledir/می\u200cخواهم.txt", true},
		{"emoji with variation selector", "exampledir/\u2764\ufe0f.png", true},
		{"flag emoji", "exampledir/\U0001F1EF\U0001F1F5.png", true},
		{"written fraction", "exampledir/1/2.txt", true},

		{"empty", "", false},
		{"1024 bytes", long(1024), false},
		{"dotdot segment", "exampledir/../secret", false},
		{"dotdot at end", "exampledir/a/..", false},
		{"dotdot folder", "exampledir/../", false},
		{"dotdot first", "../exampledir/x", false},
		{"dot segment", "exampledir/./x", false},
		{"dot at end", "exampledir/.", false},
		{"dot folder", "exampledir/./", false},
		{"backslash", "exampledir/a\\b", false},
		{"backslash dotdot", "exampledir/..\\..\\x", false},
		{"leading backslash", "\\exampledir/x", false},
		{"leading slash", "/exampledir/x", false},
		{"double slash", "exampledir//x", false},
		{"double slash at end", "exampledir/a//", false},
		{"only slash", "/", false},
		{"NUL", "exampledir/a\x00.png", false},
		{"CR", "exampledir/a\r.png", false},
		{"LF", "exampledir/a\n.png", false},
		{"CRLF", "exampledir/a\r\nSet-Cookie: x", false},
		{"TAB", "exampledir/a\tb", false},
		{"ESC", "exampledir/\x1b[31mred", false},
		{"DEL", "exampledir/a\x7f", false},
		{"C1 NEL", "exampledir/a\u0085b", false},
		{"C1 CSI", "exampledir/a\u009bb", false},
		{"line separator", "exampledir/a\u2028b", false},
		{"paragraph separator", "exampledir/a\u2029b", false},
		{"BOM", "exampledir/\ufeffa", false},
		{"bidi RLO", "exampledir/gnp.\u202eexe", false},
		{"bidi LRE", "exampledir/\u202aa", false},
		{"bidi isolate", "exampledir/\u2066a\u2069", false},
		{"bidi RLM", "exampledir/a\u200fb", false},
		{"bidi ALM", "exampledir/a\u061cb", false},
		{"invalid byte", "exampledir/\xff", false},
		{"truncated sequence", "exampledir/\xe4\xb8", false},
		{"overlong slash 2 bytes", "exampledir/\xc0\xaf", false},
		{"overlong slash 3 bytes", "exampledir/\xe0\x80\xaf", false},
		{"overlong dot", "exampledir/\xc0\xae\xc0\xae/x", false},
		{"overlong NUL", "exampledir/a\xc0\x80", false},
		{"surrogate high", "exampledir/\xed\xa0\x80", false},
		{"surrogate low", "exampledir/\xed\xbf\xbf", false},
		{"surrogate pair CESU", "exampledir/\xed\xa0\xbd\xed\xb8\x80", false},
		{"beyond U+10FFFF", "exampledir/\xf4\x90\x80\x80", false},
		{"fullwidth dots", "exampledir/\uff0e\uff0e/x", false},
		{"fullwidth slash", "exampledir/a\uff0fb", false},
		{"fullwidth dotdot slash", "exampledir/\uff0e\uff0e\uff0fx", false},
		{"division slash", "exampledir/..\u2215x", false},
		{"fraction slash", "exampledir/a\u2044b", false},
		{"one dot leader", "exampledir/\u2024\u2024/x", false},
		{"two dot leader", "exampledir/\u2025/x", false},
		{"ellipsis", "exampledir/\u2026", false},
		{"small full stop", "exampledir/\ufe52\ufe52/x", false},
		{"big solidus", "exampledir/a\u29f8b", false},
		{"combining solidus", "exampledir/a\u0338b", false},
		{"fullwidth backslash", "exampledir/a\uff3cb", false},
		{"small reverse solidus", "exampledir/a\ufe68b", false},
		{"set minus", "exampledir/a\u2216b", false},
		{"zero-width space between dots", "exampledir/.\u200b./x", false},
		{"zero-width space in a name", "exampledir/a\u200bb", false},
		{"word joiner after dots", "exampledir/..\u2060/x", false},
		{"soft hyphen", "exampledir/a\u00adb", false},
		{"tag character", "exampledir/a\U000E0041", false},
		{"ZWJ next to a dot", "exampledir/a\u200d.png", false},
		{"ZWNJ alone as a segment", "exampledir/\u200c/x", false},
		{"ZWJ at the end", "exampledir/a\u200d", false},
		{"variation selector between dots", "exampledir/.\ufe0f./x", false},
		{"grapheme joiner after dots", "exampledir/..\u034f/x", false},
		{"Hangul filler segment", "exampledir/\u3164/x", false},
		{"digit full stop (NFKC 1.)", "exampledir/\u2488/x", false},
		{"two-dot presentation form (NFKC ..)", "exampledir/\ufe30/x", false},
		{"care of (NFKC c/o)", "exampledir/\u2105x", false},
		{"square m per s (NFKC m∕s)", "exampledir/\u33a7", false},
		{"vulgar fraction (NFKC 1⁄2)", "exampledir/\u00bd.txt", false},
		{"replacement character", "exampledir/a\ufffd", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.key)
			if tc.ok && err != nil {
				t.Fatalf("Validate(%q) = %v, want ok", tc.key, err)
			}
			if !tc.ok {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Validate(%q) = %v, want ErrInvalid", tc.key, err)
				}
				if errors.Is(err, ErrOutsidePrefix) {
					t.Fatalf("Validate(%q) = %v, also ErrOutsidePrefix", tc.key, err)
				}
			}
		})
	}
}

// An error never carries raw key bytes: no control characters, no invalid
// UTF-8, and not the whole of a long key.
func TestErrorsDoNotEchoKey(t *testing.T) {
	p := mustPolicy(t, "exampledir/")
	keys := []string{
		"exampledir/a\r\nX-Injected: 1",
		"exampledir/\xc0\xaf",
		"other/" + strings.Repeat("secret", 100),
		"exampledir/../" + strings.Repeat("x", 900),
		"exampledir/\u202eexe.png",
	}
	for _, k := range keys {
		_, err := p.Resolve(k, nil, "")
		if err == nil {
			t.Fatalf("Resolve(%q) accepted", k)
		}
		msg := err.Error()
		if !utf8.ValidString(msg) || strings.ContainsAny(msg, "\r\n\u202e") || strings.Contains(msg, "secretsecret") || len(msg) > 200 {
			t.Fatalf("error for %q echoes the key: %q", k, msg)
		}
	}
}

func TestResolveStaticPrefix(t *testing.T) {
	p := mustPolicy(t, "exampledir/")
	cases := []struct {
		name    string
		key     string
		want    string // "" means a generated name is expected
		wantErr error
	}{
		{"object", "exampledir/a/b.png", "exampledir/a/b.png", nil},
		{"object at top", "exampledir/b.png", "exampledir/b.png", nil},
		{"prefix alone is a folder", "exampledir/", "", nil},
		{"sub folder", "exampledir/a/b/", "", nil},

		{"prefix without slash", "exampledir", "", ErrOutsidePrefix},
		{"prefix without boundary", "exampledir2/x", "", ErrOutsidePrefix},
		{"prefix without boundary folder", "exampledir2/", "", ErrOutsidePrefix},
		{"prefix as part of name", "exampledirx", "", ErrOutsidePrefix},
		{"upper case", "EXAMPLEDIR/x", "", ErrOutsidePrefix},
		{"title case", "Exampledir/x", "", ErrOutsidePrefix},
		{"other folder", "other/x", "", ErrOutsidePrefix},
		{"prefix nested elsewhere", "x/exampledir/y", "", ErrOutsidePrefix},
		{"fullwidth slash after prefix", "exampledir\uff0fx", "", ErrInvalid},
		{"escape with dotdot", "exampledir/../other/x", "", ErrInvalid},
		{"escape with backslash", "exampledir\\..\\x", "", ErrInvalid},
		{"leading slash", "/exampledir/x", "", ErrInvalid},
		{"bad key outside prefix is 400", "other/../x", "", ErrInvalid},
		{"empty", "", "", ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Resolve(tc.key, nil, "image/png")
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Resolve(%q) = %q, %v; want %v", tc.key, got, err, tc.wantErr)
				}
				if got != "" {
					t.Fatalf("Resolve(%q) returned %q with an error", tc.key, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tc.key, err)
			}
			if tc.want != "" {
				if got != tc.want {
					t.Fatalf("Resolve(%q) = %q, want %q", tc.key, got, tc.want)
				}
				return
			}
			name, ok := strings.CutPrefix(got, tc.key)
			if !ok {
				t.Fatalf("Resolve(%q) = %q: not inside the folder", tc.key, got)
			}
			if !strings.HasSuffix(name, ".png") || !generatedName.MatchString(strings.TrimSuffix(name, ".png")) {
				t.Fatalf("Resolve(%q) = %q: generated name %q is not 26 base32 chars + .png", tc.key, got, name)
			}
		})
	}
}

func TestKeyLengthLimits(t *testing.T) {
	p := mustPolicy(t, "exampledir/")
	k1023 := "exampledir/" + strings.Repeat("a", 1023-len("exampledir/"))
	if got, err := p.Resolve(k1023, nil, ""); err != nil || got != k1023 {
		t.Fatalf("1023-byte key: %v", err)
	}
	if _, err := p.Resolve(k1023+"b", nil, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("1024-byte key: %v, want ErrInvalid", err)
	}
	// A folder that leaves no room for a generated name is refused.
	folder := "exampledir/" + strings.Repeat("a", 1000-len("exampledir/")) + "/"
	if _, err := p.Resolve(folder, nil, "image/png"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("long folder: %v, want ErrInvalid", err)
	}
	// 1023 - 26 = 997 bytes of folder fit exactly with no extension.
	folder = "exampledir/" + strings.Repeat("a", 997-1-len("exampledir/")) + "/"
	got, err := p.Resolve(folder, nil, "")
	if err != nil || len(got) != 1023 {
		t.Fatalf("folder of 997 bytes: %q, %v", got, err)
	}
}

func TestGeneratedNames(t *testing.T) {
	p := mustPolicy(t, "exampledir/")
	const n = 10000
	seen := make(map[string]bool, n)
	for range n {
		got, err := p.Resolve("exampledir/up/", nil, "image/jpeg; charset=binary")
		if err != nil {
			t.Fatal(err)
		}
		name, ok := strings.CutPrefix(got, "exampledir/up/")
		if !ok || strings.Contains(name, "/") {
			t.Fatalf("%q is not directly under the folder", got)
		}
		base, ok := strings.CutSuffix(name, ".jpg")
		if !ok || !generatedName.MatchString(base) {
			t.Fatalf("%q: want 26 lowercase base32 characters + .jpg", name)
		}
		if seen[got] {
			t.Fatalf("duplicate generated key %q", got)
		}
		seen[got] = true
		if err := Validate(got); err != nil {
			t.Fatalf("generated key %q is invalid: %v", got, err)
		}
	}
}

func TestExtensionFor(t *testing.T) {
	cases := map[string]string{
		"image/png":                 ".png",
		"image/jpeg":                ".jpg",
		"image/gif":                 ".gif",
		"image/webp":                ".webp",
		"image/svg+xml":             ".svg",
		"application/pdf":           ".pdf",
		"text/plain":                ".txt",
		"text/plain; charset=utf-8": ".txt",
		"TEXT/CSV ; charset=utf-8":  ".csv",
		"  application/json  ":      ".json",
		"application/zip":           ".zip",
		"video/mp4":                 ".mp4",
		"audio/mpeg":                ".mp3",
		"application/xml":           ".xml",
		"text/html;charset=UTF-8":   ".html",
		"application/octet-stream":  "",
		"":                          "",
		"image/png/../../x":         "",
		"nonsense":                  "",
	}
	for ct, want := range cases {
		if got := ExtensionFor(ct); got != want {
			t.Errorf("ExtensionFor(%q) = %q, want %q", ct, got, want)
		}
	}
	for ct, ext := range extensions {
		if ct != strings.ToLower(ct) || !regexp.MustCompile(`^\.[a-z0-9]+$`).MatchString(ext) {
			t.Errorf("table entry %q -> %q is not lowercase/URL-safe", ct, ext)
		}
	}
}

func TestNewPolicy(t *testing.T) {
	good := []struct{ tmpl, pattern string }{
		{"exampledir/", "exampledir/"},
		{"exampledir/{sub}/", "exampledir/*/"},
		{"{sub}/", "*/"},
		{"a/{tenant}/b/{sub}/", "a/*/b/*/"},
		{"exampledir/{cognito:username}/", "exampledir/*/"},
	}
	for _, g := range good {
		p, err := NewPolicy(g.tmpl)
		if err != nil {
			t.Errorf("NewPolicy(%q): %v", g.tmpl, err)
			continue
		}
		if p.Pattern() != g.pattern || p.Template() != g.tmpl {
			t.Errorf("NewPolicy(%q): pattern %q template %q, want %q", g.tmpl, p.Pattern(), p.Template(), g.pattern)
		}
	}
	bad := map[string]string{
		"empty":                  "",
		"no trailing slash":      "exampledir",
		"leading slash":          "/exampledir/",
		"only slash":             "/",
		"double slash":           "exampledir//",
		"dotdot":                 "exampledir/../",
		"backslash":              "exampledir\\/",
		"partial placeholder":    "exampledir/u-{sub}/",
		"placeholder and suffix": "exampledir/{sub}x/",
		"two placeholders":       "exampledir/{a}{b}/",
		"empty placeholder":      "exampledir/{}/",
		"unclosed":               "exampledir/{sub/",
		"stray close":            "exampledir/sub}/",
		"bad name":               "exampledir/{s b}/",
		"control char":           "exampledir\n/",
	}
	for name, tmpl := range bad {
		t.Run(name, func(t *testing.T) {
			p, err := NewPolicy(tmpl)
			if err == nil {
				t.Fatalf("NewPolicy(%q) = %+v, want an error", tmpl, p)
			}
			if !strings.HasPrefix(err.Error(), "objectkey: ") {
				t.Fatalf("error %q does not say where it comes from", err)
			}
		})
	}
}

func TestPerUserPrefix(t *testing.T) {
	p := mustPolicy(t, "exampledir/{sub}/")
	a := claims{"sub": "a"}
	if got, err := p.Prefix(a); err != nil || got != "exampledir/a/" {
		t.Fatalf("Prefix = %q, %v", got, err)
	}
	if got, err := p.Resolve("exampledir/a/x.png", a, ""); err != nil || got != "exampledir/a/x.png" {
		t.Fatalf("own key: %q, %v", got, err)
	}
	if got, err := p.Resolve("exampledir/a/", a, "text/plain"); err != nil || !strings.HasPrefix(got, "exampledir/a/") || !strings.HasSuffix(got, ".txt") {
		t.Fatalf("own folder: %q, %v", got, err)
	}

	// A user with sub=a never writes under b's folder, nor the shared root.
	for _, key := range []string{
		"exampledir/b/x.png",
		"exampledir/b/",
		"exampledir/ab/x.png",
		"exampledir/a",
		"exampledir/A/x.png",
		"exampledir/x.png",
		"exampledir/",
		"exampledir/b/a/x.png",
		"exampledir2/a/x.png",
	} {
		if got, err := p.Resolve(key, a, ""); !errors.Is(err, ErrOutsidePrefix) {
			t.Errorf("sub=a Resolve(%q) = %q, %v; want ErrOutsidePrefix", key, got, err)
		}
	}
	if _, err := p.Resolve("exampledir/a/../b/x.png", a, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("dotdot to b: %v, want ErrInvalid", err)
	}

	hostile := []struct {
		name string
		c    Claims
	}{
		{"dotdot slash b", claims{"sub": "../b"}},
		{"a slash b", claims{"sub": "a/b"}},
		{"b slash", claims{"sub": "b/"}},
		{"empty", claims{"sub": ""}},
		{"missing", claims{}},
		{"nil principal", nil},
		{"dot", claims{"sub": "."}},
		{"dotdot", claims{"sub": ".."}},
		{"backslash", claims{"sub": "a\\b"}},
		{"very long", claims{"sub": strings.Repeat("a", MaxClaimBytes+1)}},
		{"fullwidth dotdot", claims{"sub": "\uff0e\uff0e"}},
		{"fullwidth slash", claims{"sub": "a\uff0fb"}},
		{"division slash", claims{"sub": "..\u2215b"}},
		{"NUL", claims{"sub": "a\x00"}},
		{"newline", claims{"sub": "a\nb"}},
		{"bidi", claims{"sub": "\u202eb"}},
		{"invalid UTF-8", claims{"sub": "a\xff"}},
		{"overlong slash", claims{"sub": "a\xc0\xafb"}},
		{"replacement character", claims{"sub": "a\ufffd"}},
		{"zero-width space", claims{"sub": "a\u200b"}},
		{"invisible dot segment", claims{"sub": ".\ufe0f."}},
		{"NFKC two dots", claims{"sub": "\u2025"}},
		{"NFKC slash", claims{"sub": "a\u2100"}},
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			if got, err := p.Prefix(h.c); !errors.Is(err, ErrOutsidePrefix) {
				t.Fatalf("Prefix = %q, %v; want ErrOutsidePrefix", got, err)
			}
			// Whatever key: a valid key is 403, never accepted.
			for _, key := range []string{"exampledir/b/x.png", "exampledir/a/b/x.png", "exampledir/x.png", "exampledir/", "exampledir/b/"} {
				if got, err := p.Resolve(key, h.c, ""); !errors.Is(err, ErrOutsidePrefix) {
					t.Fatalf("Resolve(%q) = %q, %v; want ErrOutsidePrefix", key, got, err)
				}
			}
		})
	}
	// At exactly the limit a long claim is a fine segment.
	long := strings.Repeat("a", MaxClaimBytes)
	if _, err := p.Resolve("exampledir/"+long+"/x", claims{"sub": long}, ""); err != nil {
		t.Fatalf("255-byte claim: %v", err)
	}
}

func TestTwoPlaceholders(t *testing.T) {
	p := mustPolicy(t, "t/{tenant}/u/{sub}/")
	c := claims{"tenant": "acme", "sub": "u1"}
	if got, err := p.Resolve("t/acme/u/u1/f.txt", c, ""); err != nil || got != "t/acme/u/u1/f.txt" {
		t.Fatalf("got %q, %v", got, err)
	}
	for _, key := range []string{"t/acme/u/u2/f.txt", "t/other/u/u1/f.txt", "t/acme/x/u1/f.txt", "t/acme/u/"} {
		if _, err := p.Resolve(key, c, ""); !errors.Is(err, ErrOutsidePrefix) {
			t.Errorf("Resolve(%q) = %v, want ErrOutsidePrefix", key, err)
		}
	}
	if got, _ := p.Prefix(c); got != "t/acme/u/u1/" {
		t.Fatalf("Prefix = %q", got)
	}
}

func TestResolveAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	p := mustPolicy(t, "exampledir/{sub}/")
	c := claims{"sub": "a"}
	n := testing.AllocsPerRun(100, func() {
		if _, err := p.Resolve("exampledir/a/b/c.png", c, "image/png"); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("Resolve of a full key allocates %v times, want 0", n)
	}
	n = testing.AllocsPerRun(100, func() {
		if _, err := p.Resolve("exampledir/a/", c, "image/png"); err != nil {
			t.Fatal(err)
		}
	})
	if n > 1 {
		t.Fatalf("Resolve of a folder allocates %v times, want 1", n)
	}
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		template, key string
		want          error
	}{
		{"exampledir/", "exampledir/a.png", nil},
		{"exampledir/", "exampledir/a/b/c.png", nil},
		{"exampledir/", "exampledir2/a.png", ErrOutsidePrefix},
		{"exampledir/", "exampledir/", ErrInvalid},
		{"exampledir/", "exampledir/a/", ErrInvalid},
		{"exampledir/", "exampledir/../x", ErrInvalid},
		{"exampledir/", "other/a.png", ErrOutsidePrefix},
		{"exampledir/{sub}/", "exampledir/alice/a.png", nil},
		{"exampledir/{sub}/", "exampledir/alice", ErrOutsidePrefix},
		{"exampledir/{sub}/", "exampledir/../a.png", ErrInvalid},
		{"exampledir/{sub}/", "exampledir//a.png", ErrInvalid},
		{"t/{tenant}/u/{sub}/", "t/acme/u/bob/x.txt", nil},
		{"t/{tenant}/u/{sub}/", "t/acme/v/bob/x.txt", ErrOutsidePrefix},
		{"{sub}/x/{sub}/", "a/x/a/k", nil},
		{"{sub}/x/{sub}/", "a/x/b/k", ErrOutsidePrefix},
	} {
		p, err := NewPolicy(tc.template)
		if err != nil {
			t.Fatal(err)
		}
		err = p.Within(tc.key)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%q.Within(%q) = %v, want %v", tc.template, tc.key, err, tc.want)
		}
	}
}
