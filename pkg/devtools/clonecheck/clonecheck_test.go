package clonecheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const root = "../../.."

// tracked is every file git tracks, outside node_modules.
func tracked(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files").Output()
	if err != nil {
		t.Skipf("SKIPPED: not a git checkout (git ls-files: %v)", err)
	}
	var files []string
	for _, f := range strings.Fields(string(out)) {
		if !strings.Contains(f, "node_modules/") {
			files = append(files, f)
		}
	}
	return files
}

// mdName is a cited Markdown file name, with its folders.
var mdName = regexp.MustCompile(`[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b`)

// moduleDirs are the folders of the modules go.mod requires, which a clone
// gets with go mod download: the code may cite their files (the FC SDK's
// events/README_*.md samples, mimetype's supported_mimes.md).
func moduleDirs(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "all").Output()
	if err != nil {
		t.Fatalf("go list -m all: %v", err)
	}
	return strings.Fields(string(out))
}

func inModule(dirs []string, name string) bool {
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return true
		}
	}
	return false
}

// TestCitedFilesAreInTheRepository: a user's clone must not need a file it
// does not hold. Every *.md name in a tracked file is a tracked file, found
// from the repository root or from the citing file's folder, or a file of a
// module go.mod requires.
func TestCitedFilesAreInTheRepository(t *testing.T) {
	files := tracked(t)
	mods := moduleDirs(t)
	have := map[string]bool{}
	for _, f := range files {
		have[f] = true
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range mdName.FindAllString(string(b), -1) {
			name = strings.TrimPrefix(name, "./")
			if have[name] || have[filepath.Join(filepath.Dir(f), name)] || inModule(mods, name) {
				continue
			}
			t.Errorf("%s cites %s, which is not in the repository", f, name)
		}
	}
}

// mdLink is a Markdown link's target.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestReadmeLinksResolve: every relative link of every tracked Markdown
// file names a tracked file or folder (anchors and URLs aside).
func TestReadmeLinksResolve(t *testing.T) {
	for _, f := range tracked(t) {
		if !strings.HasSuffix(f, ".md") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, filepath.Dir(f), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, m[1])
			}
		}
	}
}

// TestLicense: LICENSE is the Apache License 2.0, whole, and the README and
// SECURITY.md a user reads first point at LICENSE and the reporting rules.
func TestLicense(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	if err != nil {
		t.Fatalf("no LICENSE: nobody outside the authors may use the code: %v", err)
	}
	text := string(b)
	for _, want := range []string{
		"Apache License\n                           Version 2.0, January 2004",
		"TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
		"9. Accepting Warranty or Additional Liability.",
		"END OF TERMS AND CONDITIONS",
		"APPENDIX: How to apply the Apache License to your work.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("LICENSE lacks %q: not the whole Apache License 2.0", want)
		}
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[Apache License 2.0](LICENSE)", "[SECURITY.md](SECURITY.md)"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not link %s", want)
		}
	}
	sec, err := os.ReadFile(filepath.Join(root, "SECURITY.md"))
	if err != nil {
		t.Fatalf("no SECURITY.md, which README.md points at: %v", err)
	}
	if !strings.Contains(string(sec), "Report a\n  vulnerability") || !strings.Contains(string(sec), "three working days") {
		t.Errorf("SECURITY.md does not say how to report a vulnerability and when we answer")
	}
}
