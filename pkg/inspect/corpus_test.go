package inspect

import (
	"bytes"
	"cmp"
	"io"
	"io/fs"
	"mime"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gabriel-vasile/mimetype"

	"github.com/ossbroker/ossbroker/pkg/mediatype"
)

// The corpus: real files nobody here wrote, read where the toolchain keeps
// them. gabriel-vasile/mimetype's own testdata (its module zip ships 18
// samples: office documents, archives, a GIF, an MSI...) and every file of
// the Go distribution that is not Go source outside a testdata folder: the
// standard library's test images, archives, certificates, ELF, PE and
// Mach-O test binaries, the go and gofmt executables and the tools,
// HTML and JavaScript of the runtime's wasm support and of the trace
// viewer, shell, batch and Perl scripts, CSV, JSON, YAML, Markdown.

// isActive is the ground truth of "active", never from the detector under
// test: what the file's name makes an operating system or browser do
// (activeExt), what an exec(2) or a loader runs (a "#!" line, ELF, PE and
// Mach-O magic numbers), and what a browser's own sniffing takes for a page
// (WHATWG MIME Sniffing, "identifying a resource with an unknown MIME
// type": a leading HTML tag, "<?xml"; not a leading comment, which alone
// is no page: a Markdown file may begin with one).
func isActive(name string, head []byte) bool {
	if activeExt[strings.ToLower(filepath.Ext(name))] {
		return true
	}
	for _, magic := range []string{"#!", "\x7fELF", "MZ", "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe",
		"\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe"} {
		if bytes.HasPrefix(head, []byte(magic)) {
			return true
		}
	}
	s := bytes.TrimLeft(head, "\t\n\f\r ")
	for _, tag := range []string{"<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT",
		"<TABLE", "<A", "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P"} {
		if len(s) > len(tag) && bytes.EqualFold(s[:len(tag)], []byte(tag)) && (s[len(tag)] == ' ' || s[len(tag)] == '>') {
			return true
		}
	}
	return bytes.HasPrefix(s, []byte("<?xml"))
}

// activeExt are the extensions whose files a browser renders as a page or
// an operating system runs when opened.
var activeExt = map[string]bool{
	".html": true, ".htm": true, ".xhtml": true, ".svg": true, ".xml": true, ".xsl": true, ".js": true,
	".mjs": true, ".sh": true, ".bash": true, ".py": true, ".pl": true, ".php": true, ".rb": true,
	".bat": true, ".cmd": true, ".exe": true, ".dll": true, ".so": true, ".dylib": true, ".msi": true,
	".lnk": true, ".jar": true, ".class": true,
}

// sentTypes are the Content-Types real clients send for a file named
// name: Go's mime.TypeByExtension (what the Go snippets and tools send),
// the Windows and macOS registrations browsers report (.csv as
// application/vnd.ms-excel where Excel is installed, .ts as video/mp2t,
// .zip as application/x-zip-compressed, .gz as application/x-gzip), the
// mobile snippets' hard-coded image/jpeg for a photo (an iPhone's HEIC),
// and application/octet-stream, which a browser's empty type becomes.
func sentTypes(name string) []string {
	ext := strings.ToLower(filepath.Ext(name))
	out := []string{"application/octet-stream"}
	if t := mime.TypeByExtension(ext); t != "" {
		out = append(out, t)
	}
	out = append(out, osTypes[ext]...)
	return slices.Compact(out)
}

var osTypes = map[string][]string{
	".csv":  {"text/csv", "application/vnd.ms-excel"},
	".ts":   {"video/mp2t"},
	".zip":  {"application/zip", "application/x-zip-compressed"},
	".gz":   {"application/gzip", "application/x-gzip"},
	".tar":  {"application/x-tar"},
	".bz2":  {"application/x-bzip2"},
	".png":  {"image/png", "image/jpeg"},
	".jpeg": {"image/jpeg", "image/pjpeg"},
	".jpg":  {"image/jpeg", "image/pjpeg"},
	".gif":  {"image/gif", "image/jpeg"},
	".heic": {"image/heic", "image/jpeg"},
	".txt":  {"text/plain"},
	".md":   {"text/markdown", "text/plain"},
	".json": {"application/json"},
	".yaml": {"application/yaml", "text/yaml"},
	".pem":  {"application/x-pem-file", "application/x-x509-ca-cert"},
	".crt":  {"application/x-x509-ca-cert", "application/pkix-cert"},
	".c":    {"text/x-c", "text/plain"},
	".h":    {"text/x-c", "text/plain"},
	".go":   {"text/x-go", "text/plain"},
	".s":    {"text/x-asm", "text/plain"},
	".css":  {"text/css"},
	".html": {"text/html"},
	".js":   {"text/javascript", "application/x-javascript"},
	".sh":   {"application/x-sh", "text/x-sh"},
	".bat":  {"application/x-msdownload", "application/bat"},
	".pl":   {"text/x-perl", "application/x-perl"},
	".py":   {"text/x-python"},
	".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	".pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation"},
	".doc":  {"application/msword"},
	".xls":  {"application/vnd.ms-excel"},
	".ppt":  {"application/vnd.ms-powerpoint"},
	".msi":  {"application/x-msi", "application/x-ms-installer"},
	".jar":  {"application/java-archive", "application/zip"},
	".apk":  {"application/vnd.android.package-archive", "application/zip"},
}

type corpusFile struct {
	path   string // relative to its root, for messages
	head   []byte
	size   int64
	active bool
}

func corpus(t *testing.T) []corpusFile {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/gabriel-vasile/mimetype").Output()
	if err != nil {
		t.Fatalf("go list -m mimetype: %v", err)
	}
	mt := filepath.Join(strings.TrimSpace(string(out)), "testdata")
	var files []corpusFile
	add := func(root, rel string) {
		f, err := os.Open(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		head, err := io.ReadAll(io.LimitReader(f, ReadBytes))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, corpusFile{path: rel, head: head, size: st.Size(), active: isActive(rel, head)})
	}
	walk := func(root string, keep func(rel string) bool) {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			if !keep(rel) {
				return nil
			}
			add(root, rel)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	walk(mt, func(string) bool { return true })
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	walk(strings.TrimSpace(string(goroot)), func(rel string) bool {
		return !strings.HasSuffix(rel, ".go") || strings.Contains(rel, "/testdata/")
	})
	return files
}

// allowlists the corpus is judged under: the default (any type) and every
// top-level wildcard, neither of which names an active type.
var corpusAllowlists = []string{"", "image/*,text/*,application/*,audio/*,video/*,font/*,model/*"}

// TestCorpus judges real files declared with the types real clients send
// for their names. Goals: no good file is rejected (a type the allowlist
// admits at presign never turns into a rejection for benign content), and
// no active file is accepted under a type other than exactly its own.
// The figures are logged (go test -run TestCorpus -v ./pkg/inspect).
func TestCorpus(t *testing.T) {
	files := corpus(t)
	if len(files) < 1000 {
		t.Fatalf("only %d corpus files: the Go distribution or the mimetype module is missing", len(files))
	}
	for _, list := range corpusAllowlists {
		t.Run(cmp.Or(list, "default"), func(t *testing.T) {
			t.Parallel()
			judgeCorpus(t, files, list)
		})
	}
}

// judgeCorpus judges every file of the corpus under the allowlist list and
// logs the figures.
func judgeCorpus(t *testing.T, files []corpusFile, list string) {
	{
		allowed, err := mediatype.ParseAllowlist(list)
		if err != nil {
			t.Fatal(err)
		}
		var good, active, judged, goodRejected, activeAccepted, disagreements int
		for _, f := range files {
			if f.active {
				active++
			} else {
				good++
			}
			for _, decl := range sentTypes(f.path) {
				if !allowed.Allows(decl) {
					continue // presign refuses it: never uploaded
				}
				judged++
				detected, reason := Judge(allowed, f.path, decl, f.head, f.size, 0, 1<<40)
				switch {
				case !f.active && reason != "":
					goodRejected++
					t.Errorf("allowlist %q: good file %s declared %s (detected %s) rejected: %s", list, f.path, decl, detected, reason)
				case f.active && reason == "" && !mediatype.Active(baseType(decl)):
					activeAccepted++
					t.Errorf("allowlist %q: active file %s declared %s (detected %s) accepted", list, f.path, decl, detected)
				case reason == "" && baseType(decl) != detected && baseType(decl) != octetStream:
					disagreements++
				}
			}
		}
		t.Logf("allowlist %q: %d files (%d good, %d active), %d uploads judged: %d uploads of good files rejected, %d uploads of active files accepted, %d benign disagreements accepted and reported",
			list, len(files), good, active, judged, goodRejected, activeAccepted, disagreements)
	}
}

// TestActiveNamesCoverDetector sweeps every type the detector knows (its
// own supported_mimes.md, names and aliases): a type whose content is
// active by the detector's hierarchy (an RSS feed is a kind of XML) is
// active by name too, so that presign, which sees only the declared name,
// and the wildcards refuse what Judge would.
func TestActiveNamesCoverDetector(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/gabriel-vasile/mimetype").Output()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "supported_mimes.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(doc), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) < 3 || !strings.Contains(cols[1], "**") {
			continue
		}
		var names []string
		for _, f := range strings.FieldsFunc(cols[1], func(r rune) bool { return r == ',' || r == ' ' || r == '*' || r == '<' || r == '>' }) {
			if strings.Contains(f, "/") {
				names = append(names, strings.ToLower(f))
			}
		}
		if len(names) == 0 {
			continue
		}
		m := mimetype.Lookup(names[0])
		if m == nil {
			t.Fatalf("%s: not a type the detector knows", names[0])
		}
		n++
		if !IsActive(m) {
			continue
		}
		for _, name := range names {
			if !mediatype.Active(name) {
				t.Errorf("%s is active content (%s) but not an active name", name, m.String())
			}
		}
	}
	if n < 150 {
		t.Fatalf("only %d types read from supported_mimes.md", n)
	}
}
