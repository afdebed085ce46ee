package docsamples

import (
	"io/fs"
	"strings"
	"testing"
)

// TestEverySampleHasASource: each file under samples/ is listed in Samples
// with a source, and each listed file exists.
func TestEverySampleHasASource(t *testing.T) {
	listed := map[string]bool{}
	for _, s := range Samples {
		if s.Source == "" || s.Format == "" {
			t.Errorf("%s: no source or format", s.File)
		}
		if listed[s.File] {
			t.Errorf("%s listed twice", s.File)
		}
		listed[s.File] = true
		if len(Read(s.File)) == 0 {
			t.Errorf("%s is empty", s.File)
		}
	}
	ents, err := fs.ReadDir(files, "samples")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !listed[e.Name()] {
			t.Errorf("samples/%s has no entry in Samples (no source named)", e.Name())
		}
	}
}

func TestSameShape(t *testing.T) {
	doc := `{"a":{"b":"x","c":1,"d":[{"e":true}]},"f":null}`
	for _, c := range []struct {
		got string
		ok  bool
	}{
		{`{"a":{"b":"y","c":2.5,"d":[{"e":false},{"e":true}]},"f":null}`, true},
		{`{"a":{"b":"y","c":2,"d":[]},"f":null}`, true},
		{`{"a":{"b":"y","c":"2","d":[{"e":false}]},"f":null}`, false},     // number as string
		{`{"a":{"b":"y","c":2,"d":[{"e":false}]}}`, false},                // missing key
		{`{"a":{"b":"y","c":2,"d":[{"e":false}],"x":1},"f":null}`, false}, // extra key
		{`{"a":{"b":"y","c":2,"d":[{"e":null}]},"f":null}`, false},        // null for a bool
		{`{"a":{"b":"y","c":2,"d":[{}]},"f":null}`, false},                // nested missing
	} {
		if err := SameShape([]byte(c.got), []byte(doc)); (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.got, err, c.ok)
		}
	}
	for _, s := range Samples {
		if !strings.HasSuffix(s.File, ".json") {
			continue
		}
		if err := SameShape(Read(s.File), Read(s.File)); err != nil {
			t.Errorf("%s against itself: %v", s.File, err)
		}
	}
}
