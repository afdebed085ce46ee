// Command testprogress is make test's progress: it reads go test -json on
// stdin and prints what go test prints without -v, as each package finishes
// rather than in package order: the closing "ok", "FAIL" and "?" line of
// every package, unchanged (CI reads them), and all the output of a package
// that failed or did not build. After each package it prints one line to
// stderr: the time since the start, how many packages are done and which
// are still running. Lines that are not JSON are printed as they come. The
// exit status is 1 when a package failed, did not build, or nothing ran.
//
//	go test -json ./... 2>&1 | go run ./pkg/devtools/testprogress
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Stdin, os.Stdout, os.Stderr, time.Now))
}

// event is one line of go test -json (cmd/test2json's TestEvent, with the
// build events of go test -json).
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

func run(in io.Reader, stdout, stderr io.Writer, now func() time.Time) int {
	start := now()
	output := map[string][]string{} // package: its output so far
	var running []string
	done, failed := 0, false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		var e event
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &e) != nil || e.Action == "" {
			fmt.Fprintln(stdout, line)
			continue
		}
		switch e.Action {
		case "start":
			running = append(running, e.Package)
		case "output":
			output[e.Package] = append(output[e.Package], e.Output)
		case "build-output":
			fmt.Fprint(stdout, e.Output)
		case "build-fail":
			failed = true
		case "pass", "fail", "skip":
			if e.Test != "" {
				continue
			}
			out := output[e.Package]
			if e.Action == "fail" {
				failed = true
				fmt.Fprint(stdout, strings.Join(out, ""))
			} else if len(out) > 0 {
				fmt.Fprint(stdout, out[len(out)-1]) // the closing "ok" or "?" line
			}
			delete(output, e.Package)
			running = slices.DeleteFunc(running, func(p string) bool { return p == e.Package })
			done++
			fmt.Fprintf(stderr, "[%4.0fs] %d packages done; running: %s\n", now().Sub(start).Seconds(), done, short(running))
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(stderr, "testprogress:", err)
		return 1
	}
	if failed || done == 0 {
		return 1
	}
	return 0
}

// short is the running packages' paths without the module path, or
// a note that the rest are building when none is.
func short(pkgs []string) string {
	if len(pkgs) == 0 {
		return "none (the rest are building)"
	}
	names := make([]string, len(pkgs))
	for i, p := range pkgs {
		names[i] = strings.TrimPrefix(p, "github.com/ossbroker/ossbroker/")
	}
	return strings.Join(names, ", ")
}
