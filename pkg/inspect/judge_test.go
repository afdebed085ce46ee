package inspect

import (
	"slices"
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
		got, _ := Judge(mediatype.Allowlist{}, "exampledir/sample", "application/octet-stream", s.data, int64(len(s.data)), 0, 1<<30)
		if got != s.detected {
			t.Errorf("%s: detected %q, want %q", s.name, got, s.detected)
		}
	}
}

// TestVerdictRule runs every sample against every declared type in the
// table, under the default allowlist (any type, which names no active type)
// and under one that names the active types, and checks the rule: active
// content (HTML, SVG, XML) is accepted only as exactly its own type, named
// by the allowlist; benign content is accepted under any declared type the
// allowlist admits, however wrong (the receipt reports both types); an
// active declared type must be named.
func TestVerdictRule(t *testing.T) {
	declared := []string{
		"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "audio/wav", "video/mp4",
		"application/pdf", "application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/gzip",
		"text/html", "image/svg+xml", "application/json", "text/plain", "text/csv", "text/markdown",
		"text/xml", "application/xml", "application/octet-stream", "Image/PNG; charset=binary",
		"application/vnd.ms-excel", "video/mp2t",
	}
	// own[sample] = the declared types an active sample may be uploaded as.
	own := map[string][]string{
		"html": {"text/html"},
		"svg":  {"image/svg+xml"},
		"xml":  {"text/xml", "application/xml"},
	}
	named, err := mediatype.ParseAllowlist("*/*,text/html,image/svg+xml,text/xml,application/xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, allowed := range []mediatype.Allowlist{{}, named} {
		for _, s := range append(samples(t), sample{"heic", sampleHEIC(), "image/heic"}) {
			for _, d := range declared {
				want := ""
				switch {
				case own[s.name] != nil && !slices.Contains(own[s.name], d):
					want = ReasonTypeMismatch
				case mediatype.Active(baseType(d)) && !allowed.Allows(d):
					want = ReasonTypeRefused
				}
				_, reason := Judge(allowed, "exampledir/sample", d, s.data, int64(len(s.data)), 0, 1<<30)
				if reason != want {
					t.Errorf("allowlist %s: %s declared as %q: reason %q, want %q", allowed, s.name, d, reason, want)
				}
			}
		}
	}
}

// sampleHEIC is an iPhone photo's start: an ftyp box with the heic brand.
func sampleHEIC() []byte {
	return append([]byte{0, 0, 0, 24}, "ftypheic\x00\x00\x00\x00mif1heic"...)
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
		{"octet-stream hides html", images, "application/octet-stream", []byte(sampleHTML), 50, 0, 1 << 20, ReasonTypeMismatch},
		{"image/* does not admit svg", images, "image/svg+xml", []byte(sampleSVG), 50, 0, 1 << 20, ReasonTypeRefused},
		{"svg as png", images, "image/png", []byte(sampleSVG), 50, 0, 1 << 20, ReasonTypeMismatch},
		{"pdf as png: a benign disagreement", mediatype.Allowlist{}, "image/png", samplePDF(), 100, 0, 1 << 20, ""},
		{"pdf as png, pdf outside the list", images, "image/png", samplePDF(), 100, 0, 1 << 20, ReasonTypeRefused},
		{"heic as jpeg", images, "image/jpeg", sampleHEIC(), 24, 0, 1 << 20, ""},
		{"csv as excel", mediatype.Allowlist{}, "application/vnd.ms-excel", []byte(sampleCSV), 50, 0, 1 << 20, ""},
		{"typescript as mp2t", mediatype.Allowlist{}, "video/mp2t", []byte("export const a: number = 1;\n"), 28, 0, 1 << 20, ""},
		{"typescript as mp2t, text outside the list", mustAllow(t, "video/*"), "video/mp2t", []byte("export const a = 1;\n"), 20, 0, 1 << 20, ReasonTypeRefused},
		{"a script line", mediatype.Allowlist{}, "text/plain", []byte("#!/bin/rc\necho hi\n"), 19, 0, 1 << 20, ReasonTypeMismatch},
		{"an elf", mediatype.Allowlist{}, "application/octet-stream", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...), 71, 0, 1 << 20, ReasonTypeMismatch},
		{"octet-stream of a png", images, "application/octet-stream", png, n, 0, 1 << 20, ""},
		{"octet-stream of unknown bytes", images, "application/octet-stream", []byte{0, 1, 2, 3, 0xff}, 5, 0, 1 << 20, ""},
		{"empty declared is octet-stream", images, "", png, n, 0, 1 << 20, ""},
		{"html as png", images, "image/png", []byte(sampleHTML), 50, 0, 1 << 20, ReasonTypeMismatch},
		{"html as text", mediatype.Allowlist{}, "text/plain", []byte(sampleHTML), 50, 0, 1 << 20, ReasonTypeMismatch},
		{"svg as text", mediatype.Allowlist{}, "text/plain", []byte(sampleSVG), 50, 0, 1 << 20, ReasonTypeMismatch},
		{"text as svg, svg not named", mediatype.Allowlist{}, "image/svg+xml", []byte(sampleText), 50, 0, 1 << 20, ReasonTypeRefused},
		{"text as svg, svg and text named", mustAllow(t, "image/svg+xml,text/plain"), "image/svg+xml", []byte(sampleText), 50, 0, 1 << 20, ""},
	} {
		_, reason := Judge(tc.allowed, "exampledir/sample", tc.declared, tc.data, tc.size, tc.pin, tc.max)
		if reason != tc.wantReason {
			t.Errorf("%s: reason %q, want %q", tc.name, reason, tc.wantReason)
		}
	}
}

// TestJudgeByName: a name an operating system or browser runs by its
// extension needs an active declared type the allowlist names, whatever
// the bytes (detection cannot tell JavaScript from text).
func TestJudgeByName(t *testing.T) {
	js := []byte("document.body.innerHTML = location.hash;\n")
	for _, tc := range []struct {
		key, declared, list, want string
	}{
		{"exampledir/a.js", "text/plain", "", ReasonTypeMismatch},
		{"exampledir/a.js", "application/octet-stream", "", ReasonTypeMismatch},
		{"exampledir/a.JS", "text/plain", "", ReasonTypeMismatch},
		{"exampledir/a.js", "text/javascript", "", ReasonTypeRefused},
		{"exampledir/a.js", "text/javascript", "text/*", ReasonTypeRefused},
		{"exampledir/a.js", "text/javascript", "text/javascript", ""},
		{"exampledir/run.bat", "text/plain", "", ReasonTypeMismatch},
		{"exampledir/page.html", "text/plain", "", ReasonTypeMismatch},
		{"exampledir/a.txt", "text/plain", "", ""},
		{"exampledir/a.js/readme", "text/plain", "", ""},
		{"exampledir/noext", "text/plain", "", ""},
	} {
		_, reason := Judge(mustAllow(t, tc.list), tc.key, tc.declared, js, int64(len(js)), 0, 1<<20)
		if reason != tc.want {
			t.Errorf("%s declared %s under %q: reason %q, want %q", tc.key, tc.declared, tc.list, reason, tc.want)
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
				Judge(mediatype.Allowlist{}, "exampledir/sample", s.declared, head, int64(len(s.data)), 0, 1<<30)
			}
		})
	}
}

func mustAllow(t testing.TB, list string) mediatype.Allowlist {
	a, err := mediatype.ParseAllowlist(list)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func bytesOf(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}
