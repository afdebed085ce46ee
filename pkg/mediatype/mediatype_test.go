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
