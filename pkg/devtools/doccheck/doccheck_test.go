package doccheck

import (
	"bytes"
	"go/ast"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// generated is Go's marker of a generated file (go help generate).
var generated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// moduleRoot is the folder above this package that holds go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

type source struct {
	path string
	src  []byte
	file *ast.File
}

// sources parses every .go file of the module, by folder, generated files left out.
func sources(t *testing.T, fset *token.FileSet) map[string][]source {
	t.Helper()
	root := moduleRoot(t)
	dirs := map[string][]source{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "node_modules" || name == "testdata" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if generated.Match(src) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], source{rel, src, f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 10 {
		t.Fatalf("found Go files in only %d folders under %s", len(dirs), root)
	}
	return dirs
}

func width(line string) int {
	n := 0
	for _, r := range line {
		if r == '\t' {
			n += TabWidth
		} else {
			n++
		}
	}
	return n
}

// TestCommentSyntax fails on Markdown backticks in comments and on comment lines too wide to read
// without scrolling.
func TestCommentSyntax(t *testing.T) {
	fset := token.NewFileSet()
	files, comments := 0, 0
	for _, srcs := range sources(t, fset) {
		for _, s := range srcs {
			files++
			lines := bytes.Split(s.src, []byte("\n"))
			for _, g := range s.file.Comments {
				for _, c := range g.List {
					comments++
					pos := fset.Position(c.Pos())
					if i := strings.IndexByte(c.Text, '`'); i >= 0 {
						t.Errorf("%s:%d: Markdown backtick in a comment: %s", s.path, pos.Line, excerpt(c.Text, i))
					}
					end := fset.Position(c.End()).Line
					for n := pos.Line; n <= end; n++ {
						line := string(lines[n-1])
						if !utf8.ValidString(line) {
							continue
						}
						w := width(line)
						if w > LineWidth {
							t.Errorf("%s:%d: a line holding a comment is %d columns wide, over %d", s.path, n, w, LineWidth)
							continue
						}
						if w > ProseWidth && isProse(line) {
							t.Errorf("%s:%d: comment line is %d columns wide, over %d: wrap it", s.path, n, w, ProseWidth)
						}
					}
				}
			}
		}
	}
	if files == 0 || comments == 0 {
		t.Fatalf("checked %d files and %d comments", files, comments)
	}
	t.Logf("checked %d comments in %d files", comments, files)
}

// isProse reports whether a source line is a comment's prose: the comment starts the line and the
// line is not a code block (a tab after "//").
func isProse(line string) bool {
	trimmed := strings.TrimLeft(line, " \t")
	if strings.HasPrefix(trimmed, "//") {
		return !strings.HasPrefix(trimmed, "//\t")
	}
	// A line inside a /* */ comment, or code before a comment.
	return !strings.Contains(line, "//") && !strings.HasPrefix(trimmed, "\t")
}

func excerpt(s string, i int) string {
	lo, hi := max(0, i-30), min(len(s), i+30)
	return strings.ReplaceAll(s[lo:hi], "\n", " ")
}

// brokenLink finds bracketed text that reads as a doc link but is not one: an identifier or
// pkg.Name in brackets, not part of an index expression such as parts[i].
var brokenLink = regexp.MustCompile(`(^|[^\w\]])\[(\*?[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)\]($|[^\w(:])`)

// TestDocLinks fails on a doc comment link that go doc does not resolve: it prints such a link
// with its brackets, as plain text.
func TestDocLinks(t *testing.T) {
	fset := token.NewFileSet()
	for _, srcs := range sources(t, fset) {
		var files []*ast.File
		for _, s := range srcs {
			if !strings.HasSuffix(s.path, "_test.go") {
				files = append(files, s.file)
			}
		}
		if len(files) == 0 {
			continue
		}
		pkg, err := doc.NewFromFiles(fset, files, "example.invalid/"+files[0].Name.Name, doc.PreserveAST)
		if err != nil {
			t.Fatal(err)
		}
		p := pkg.Parser()
		for _, f := range files {
			for _, g := range docComments(f) {
				for _, text := range plainText(p.Parse(g.Text())) {
					if m := brokenLink.FindStringSubmatch(text); m != nil && hasUpper(m[2]) {
						t.Errorf("%s: doc link [%s] does not resolve", fset.Position(g.Pos()), m[2])
					}
				}
			}
		}
	}
}

func hasUpper(s string) bool { return strings.ToLower(s) != s }

// docComments are the comments go doc shows: the package's, and those of declarations, specs and
// struct or interface fields.
func docComments(f *ast.File) []*ast.CommentGroup {
	var out []*ast.CommentGroup
	ast.Inspect(f, func(n ast.Node) bool {
		var g *ast.CommentGroup
		switch n := n.(type) {
		case *ast.File:
			g = n.Doc
		case *ast.GenDecl:
			g = n.Doc
		case *ast.FuncDecl:
			g = n.Doc
			out = appendGroup(out, g)
			return false // a function's body holds no doc comment
		case *ast.TypeSpec:
			g = n.Doc
		case *ast.ValueSpec:
			g = n.Doc
		case *ast.Field:
			g = n.Doc
		}
		out = appendGroup(out, g)
		return true
	})
	return out
}

func appendGroup(out []*ast.CommentGroup, g *ast.CommentGroup) []*ast.CommentGroup {
	if g != nil {
		out = append(out, g)
	}
	return out
}

// plainText is the text of a parsed doc comment that is not a link, a code block or a heading.
func plainText(d *comment.Doc) []string {
	var out []string
	walk := func(ts []comment.Text) {
		for _, t := range ts {
			switch t := t.(type) {
			case comment.Plain:
				out = append(out, string(t))
			case comment.Italic:
				out = append(out, string(t))
			}
		}
	}
	for _, b := range d.Content {
		switch b := b.(type) {
		case *comment.Paragraph:
			walk(b.Text)
		case *comment.List:
			for _, it := range b.Items {
				for _, c := range it.Content {
					if p, ok := c.(*comment.Paragraph); ok {
						walk(p.Text)
					}
				}
			}
		}
	}
	return out
}
