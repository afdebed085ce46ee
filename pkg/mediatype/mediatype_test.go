package mediatype

import (
	"strings"
	"testing"
)

func TestAllowlist(t *testing.T) {
	tests := []struct {
		list, contentType string
		want              bool
	}{
		{"", "image/png", true},
		{"*", "application/x-anything", true},
		{"", "not a type", false},
		{"", "", false},
		{"image/*", "image/png", true},
		{"image/*", "IMAGE/PNG", true},
		{"image/*", "image/svg+xml; charset=utf-8", false},
		{"image/svg+xml", "image/svg+xml; charset=utf-8", true},
		{"", "text/html", false},
		{"*", "text/html", false},
		{"text/*", "text/html", false},
		{"text/html", "text/html", true},
		{"image/*", "imagex/png", false},
		{"image/*", "application/pdf", false},
		{"image/*,application/pdf", "application/pdf", true},
		{"application/pdf", "application/pdf;x=1", true},
		{"application/pdf", "application/pdfx", false},
		{"text/plain", "text/plain, text/html", false},
		{"image/*", "image/*", false},
	}
	for _, tt := range tests {
		a, err := ParseAllowlist(tt.list)
		if err != nil {
			t.Fatalf("ParseAllowlist(%q): %v", tt.list, err)
		}
		if got := a.Allows(tt.contentType); got != tt.want {
			t.Errorf("ParseAllowlist(%q).Allows(%q) = %v, want %v", tt.list, tt.contentType, got, tt.want)
		}
	}
}

// TestWildcardsNeverAdmitActive sweeps every active type (each listed
// name, and XML types by their shape) against every form of wildcard: none
// admits it; naming it exactly does.
func TestWildcardsNeverAdmitActive(t *testing.T) {
	types := []string{"application/xml", "text/xml", "application/rss+xml", "model/x3d+xml", "image/svg+xml"}
	for mt := range active {
		types = append(types, mt)
	}
	for _, mt := range types {
		if !Active(mt) {
			t.Errorf("%s is not active", mt)
		}
		top, _, _ := strings.Cut(mt, "/")
		for _, list := range []string{"", "*", "*/*", top + "/*", "image/*,text/*,application/*,audio/*,video/*,model/*,font/*"} {
			a, err := ParseAllowlist(list)
			if err != nil {
				t.Fatal(err)
			}
			if a.Allows(mt) || a.Allows(strings.ToUpper(mt)) || a.Allows(mt+"; charset=utf-8") {
				t.Errorf("%q admits the active type %s", list, mt)
			}
		}
		if a, _ := ParseAllowlist(top + "/*," + mt); !a.Allows(mt) {
			t.Errorf("naming %s does not admit it", mt)
		}
	}
}

func TestActiveName(t *testing.T) {
	for name, want := range map[string]bool{
		"a/b.js": true, "a/B.HTML": true, "x.exe": true, "run.bat": true, "a.svg": true, "setup.msi": true,
		"a/b.png": false, "a.js/b": false, "noext": false, "a/.js.txt": false, "a.csv": false, "a.ts": false,
	} {
		if got := ActiveName(name); got != want {
			t.Errorf("ActiveName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestParseAllowlistRejects(t *testing.T) {
	for _, list := range []string{"image", "image/png; q=1", "*/png", "a b/c", "image/*/*"} {
		if _, err := ParseAllowlist(list); err == nil {
			t.Errorf("ParseAllowlist(%q) succeeded, want an error", list)
		}
	}
}

// TestParseEveryByte: a byte outside printable ASCII anywhere in the value
// (parameters included) is refused, as are leading and trailing spaces;
// printable bytes in a quoted parameter are fine unless they end it.
func TestParseEveryByte(t *testing.T) {
	for b := 0; b < 256; b++ {
		c := string([]byte{byte(b)})
		printable := b >= 0x20 && b <= 0x7e
		for _, v := range []string{`text/plain; a="x` + c + `y"`, `text/pl` + c + `ain`, c + `text/plain`, `text/plain` + c} {
			_, err := Parse(v)
			if !printable && err == nil {
				t.Errorf("Parse(%q) accepted a byte 0x%02X", v, b)
			}
			if (c == " ") && (v[0] == ' ' || v[len(v)-1] == ' ') && err == nil {
				t.Errorf("Parse(%q) accepted a leading or trailing space", v)
			}
		}
		if _, err := Parse(`text/plain; a="x` + c + `y"`); printable && c != `"` && c != `\` && err != nil {
			t.Errorf("quoted parameter with %q refused: %v", c, err)
		}
	}
}

// FuzzParse: whatever Parse accepts can be sent and signed as a header
// exactly as given (printable ASCII, no surrounding space), and is a
// type/subtype that mime also parses.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"image/png", `text/plain; charset="utf-8"`, "text/plain; a=\"x\r\ny\"", " text/plain", "text/plain\x00", "a/b; c=\"é\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		mt, err := Parse(v)
		if err != nil {
			return
		}
		if len(v) > MaxBytes || v[0] == ' ' || v[len(v)-1] == ' ' {
			t.Fatalf("accepted %q", v)
		}
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] > 0x7e {
				t.Fatalf("accepted byte 0x%02X in %q", v[i], v)
			}
		}
		if typ, sub, ok := strings.Cut(mt, "/"); !ok || typ == "" || sub == "" || strings.ToLower(mt) != mt {
			t.Fatalf("accepted %q as %q", v, mt)
		}
	})
}
