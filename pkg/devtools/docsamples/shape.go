package docsamples

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// SameShape reports how the JSON got differs in shape from the sample doc:
// a key one has and the other lacks, at any depth, or a value of another
// JSON type (string, number, bool, null, object, array). Every element of
// an array in got is compared with the sample's first element. nil when
// the shapes agree.
func SameShape(got, doc []byte) error {
	var g, d any
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Errorf("got: %w", err)
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	var diffs []string
	shape(&diffs, "$", g, d)
	if len(diffs) > 0 {
		return fmt.Errorf("shape differs from the sample:\n%s", strings.Join(diffs, "\n"))
	}
	return nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

func shape(diffs *[]string, path string, g, d any) {
	if kind(g) != kind(d) {
		*diffs = append(*diffs, fmt.Sprintf("%s: %s, sample has %s", path, kind(g), kind(d)))
		return
	}
	switch d := d.(type) {
	case map[string]any:
		g := g.(map[string]any)
		keys := map[string]bool{}
		for k := range g {
			keys[k] = true
		}
		for k := range d {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			gv, gok := g[k]
			dv, dok := d[k]
			switch {
			case !gok:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing", path, k))
			case !dok:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: not in the sample", path, k))
			default:
				shape(diffs, path+"."+k, gv, dv)
			}
		}
	case []any:
		g := g.([]any)
		if len(d) == 0 {
			return
		}
		for i, gv := range g {
			shape(diffs, fmt.Sprintf("%s[%d]", path, i), gv, d[0])
		}
	}
}
