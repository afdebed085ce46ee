package inspect

import (
	"testing"

	"github.com/ossbroker/ossbroker/pkg/mediatype"
)

type sample struct {
	name     string
	data     []byte
	detected string // what the detector must say
}

func samples(t testing.TB) []sample {
	return []sample{
		{"png", samplePNG(t), "image/png"},
		{"jpeg", sampleJPEG(t), "image/jpeg"},
		{"gif", sampleGIF(t), "image/gif"},
		{"webp", sampleWebP(), "image/webp"},
		{"wav", sampleWAV(), "audio/wav"},
		{"mp4", sampleMP4(), "video/mp4"},
		{"pdf", samplePDF(), "application/pdf"},
		{"zip", sampleZIP(t), "application/zip"},
		{"docx", sampleDOCX(t), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx", sampleXLSX(t), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"gzip", sampleGzip(t), "application/gzip"},
		{"html", []byte(sampleHTML), "text/html"},
		{"svg", []byte(sampleSVG), "image/svg+xml"},
		{"json", []byte(sampleJSON), "application/json"},
		{"text", []byte(sampleText), "text/plain"},
		{"csv", []byte(sampleCSV), "text/csv"},
		{"xml", []byte(sampleXML), "text/xml"},
		{"empty", nil, "text/plain"},
	}
}

// TestDetection pins what the detector says for each sample: the rule below
// depends on it.
func TestDetection(t *testing.T) {
	for _, s := range samples(t) {
		got, _ := Judge(mediatype.Allowlist{}, "application/octet-stream", s.data, int64(len(s.data)), 0, 1<<30)
		if got != s.detected {
			t.Errorf("%s: detected %q, want %q", s.name, got, s.detected)
		}
	}
}

// TestCompatibility runs every sample against every declared type in the
// table and checks the rule: the declared types a sample is compatible
// with are exactly those listed for it.
func TestCompatibility(t *testing.T) {
	declared := []string{
		"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "audio/wav", "video/mp4",
		"application/pdf", "application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/gzip",
		"text/html", "image/svg+xml", "application/json", "text/plain", "text/csv", "text/markdown",
		"text/xml", "application/xml", "application/octet-stream", "Image/PNG; charset=binary",
	}
	// compatible[sample] = declared types it may be uploaded as.
	compatible := map[string][]string{
		"png":  {"image/png", "Image/PNG; charset=binary"},
		"jpeg": {"image/jpeg", "image/jpg"},
		"gif":  {"image/gif"},
		"webp": {"image/webp"},
		"wav":  {"audio/wav"},
		"mp4":  {"video/mp4"},
		"pdf":  {"application/pdf"},
		"zip": {"application/zip",
			// rule 5: the format-naming entry may come later
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		"docx": {"application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		"xlsx": {"application/zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		"gzip": {"application/gzip"},
		"html": {"text/html"},
		"svg":  {"image/svg+xml"},
		"json": {"application/json", "text/plain"},
		"text": {"application/json", "text/plain", "text/csv", "text/markdown"},
		"csv":  {"text/plain", "text/csv"},
		"xml":  {"text/xml", "application/xml"},
		// An empty object is detected as text/plain.
		"empty": {"application/json", "text/plain", "text/csv", "text/markdown"},
	}
	for _, s := range samples(t) {
		ok := map[string]bool{"application/octet-stream": true}
		for _, d := range compatible[s.name] {
			ok[d] = true
		}
		for _, d := range declared {
			_, reason := Judge(mediatype.Allowlist{}, d, s.data, int64(len(s.data)), 0, 1<<30)
			if got := reason == ""; got != ok[d] {
				t.Errorf("%s declared as %q: accepted=%v (reason %q), want %v", s.name, d, got, reason, ok[d])
			} else if !got && reason != ReasonTypeMismatch {
				t.Errorf("%s declared as %q: reason %q, want %q", s.name, d, reason, ReasonTypeMismatch)
			}
		}
	}
}

func TestJudgeSizeAndAllowlist(t *testing.T) {
	png := samplePNG(t)
	n := int64(len(png))
	images, _ := mediatype.ParseAllowlist("image/*,application/octet-stream")
	for _, tc := range []struct {
		name           string
		allowed        mediatype.Allowlist
		declared       string
		data           []byte
		size, pin, max int64
		wantReason     string
	}{
		{"fits", images, "image/png", png, n, 0, n, ""},
		{"over the limit", images, "image/png", png, n, 0, n - 1, ReasonTooLarge},
		{"pinned and equal", images, "image/png", png, n, n, 1 << 20, ""},
		{"pinned and different", images, "image/png", png, n, n + 1, 1 << 20, ReasonSizeMismatch},
		{"declared type not allowed", images, "application/pdf", samplePDF(), 100, 0, 1 << 20, ReasonTypeRefused},
		{"octet-stream hides html", images, "application/octet-stream", []byte(sampleHTML), 50, 0, 1 << 20, ReasonTypeRefused},
		{"octet-stream of a png", images, "application/octet-stream", png, n, 0, 1 << 20, ""},
		{"octet-stream of unknown bytes", images, "application/octet-stream", []byte{0, 1, 2, 3, 0xff}, 5, 0, 1 << 20, ""},
		{"empty declared is octet-stream", images, "", png, n, 0, 1 << 20, ""},
		{"html as png", images, "image/png", []byte(sampleHTML), 50, 0, 1 << 20, ReasonTypeMismatch},
		{"html as text", mediatype.Allowlist{}, "text/plain", []byte(sampleHTML), 50, 0, 1 << 20, ReasonTypeMismatch},
		{"svg as text", mediatype.Allowlist{}, "text/plain", []byte(sampleSVG), 50, 0, 1 << 20, ReasonTypeMismatch},
		{"text as svg", mediatype.Allowlist{}, "image/svg+xml", []byte(sampleText), 50, 0, 1 << 20, ReasonTypeMismatch},
	} {
		_, reason := Judge(tc.allowed, tc.declared, tc.data, tc.size, tc.pin, tc.max)
		if reason != tc.wantReason {
			t.Errorf("%s: reason %q, want %q", tc.name, reason, tc.wantReason)
		}
	}
}

// BenchmarkJudge is the CPU cost of one verdict on ReadBytes of content
// (detection and the rule); Inspect adds one ranged GET of ReadBytes.
func BenchmarkJudge(b *testing.B) {
	for _, s := range []struct {
		name, declared string
		data           []byte
	}{
		{"png", "image/png", samplePNG(b)},
		{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", sampleDOCX(b)},
		{"html-as-png", "image/png", []byte(sampleHTML)},
		{"text-4KiB", "text/plain", bytesOf('a', ReadBytes)},
	} {
		b.Run(s.name, func(b *testing.B) {
			head := s.data
			if len(head) > ReadBytes {
				head = head[:ReadBytes]
			}
			b.SetBytes(int64(len(head)))
			b.ReportAllocs()
			for b.Loop() {
				Judge(mediatype.Allowlist{}, s.declared, head, int64(len(s.data)), 0, 1<<30)
			}
		})
	}
}

func bytesOf(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}
