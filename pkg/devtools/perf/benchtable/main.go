// Command benchtable reads "go test -bench -benchmem" output of pkg/devtools/perf
// (stdin) and prints a Markdown table of each path against its floor:
//
//	Presign/<kind>  vs  FloorVerify/<kind> + FloorV4   (V4 with a cached signing key)
//	Upload/<size>   vs  FloorUpload/<size>             (base64 decode + MD5)
//
// With several runs of one benchmark (-count) the median is used. Lines it
// does not know are ignored, so the whole "make bench" output can be piped.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

type result struct {
	ns, bytes, allocs []float64
}

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?\s([\d.]+) B/op\s+([\d.]+) allocs/op)?`)

func parse(r io.Reader) (map[string]*result, error) {
	out := map[string]*result{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		res := out[m[1]]
		if res == nil {
			res = &result{}
			out[m[1]] = res
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		res.ns = append(res.ns, ns)
		if m[3] != "" {
			b, _ := strconv.ParseFloat(m[3], 64)
			a, _ := strconv.ParseFloat(m[4], 64)
			res.bytes = append(res.bytes, b)
			res.allocs = append(res.allocs, a)
		}
	}
	return out, sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func main() {
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(res) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark lines on stdin")
		os.Exit(1)
	}
	var b strings.Builder
	b.WriteString("| path | ns/op | allocs/op | B/op | floor | floor ns/op | path / floor |\n")
	b.WriteString("|---|---:|---:|---:|---|---:|---:|\n")
	row := func(name string, path *result, floorName string, floors ...*result) {
		fl := 0.0
		for _, f := range floors {
			if f == nil {
				return
			}
			fl += median(f.ns)
		}
		p := median(path.ns)
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.0f | %s | %s | %.2fx |\n",
			name, dur(p), median(path.allocs), median(path.bytes), floorName, dur(fl), p/fl)
	}
	for _, k := range []string{"HS256", "RS256", "ES256", "JWKS"} {
		if p := res["Presign/"+k]; p != nil {
			row("presign "+k, p, "verify "+k+" + V4 sign (cached key)", res["FloorVerify/"+k], res["FloorV4"])
		}
	}
	for _, s := range []string{"64KiB", "1MiB", "5MiB"} {
		if p := res["Upload/"+s]; p != nil {
			row("direct upload "+s, p, "base64 decode + MD5", res["FloorUpload/"+s])
		}
	}
	b.WriteString("\nFloors alone:")
	for _, n := range []string{"FloorVerify/HS256", "FloorVerify/RS256", "FloorVerify/ES256", "FloorVerify/JWKS", "FloorV4", "FloorV4Derive"} {
		if r := res[n]; r != nil {
			fmt.Fprintf(&b, " %s %s;", n, dur(median(r.ns)))
		}
	}
	b.WriteString(" (FloorV4Derive = V4 signature including the four key-derivation HMACs.)\n")
	fmt.Print(b.String())
}
