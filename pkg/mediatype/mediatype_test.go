package mediatype

import "testing"

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
		{"image/*", "image/svg+xml; charset=utf-8", true},
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
