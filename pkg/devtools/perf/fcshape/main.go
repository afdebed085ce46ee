// Command fcshape (make fcperf) measures the function the way FC runs and bills it: it builds
// functions/broker as make build does, and runs it under the emulated FC runtime API
// (pkg/devtools/fcemu, the SDK's real fc.Start loop) inside a cgroup shaped like the instance
// s.yaml asks for: a CPU quota of its cpu (vCPU) and a memory limit of its memorySize, no swap,
// with FC_FUNCTION_MEMORY_SIZE set as FC sets it. Direct uploads are stored in an in-process OSS
// server (pkg/devtools/ossemu) over loopback.
//
// For each request (a presign, a health check, a 1 MiB and a 5 MiB direct upload, the largest
// binary body FC takes) it starts a fresh process in a fresh cgroup, sends invocations one at a
// time and reports: CPU per invocation (the cgroup's CPU time over the measured invocations, after
// a warm-up; only the function's process is in the cgroup), wall latency p50 and p99 as the runtime
// API sees it, the cgroup's peak memory over the process's whole life and its OOM kills. The same
// requests go to a minimal fc.Start function (pkg/devtools/perf/coldstart/minimal) run the same
// way: the floor.
//
// It needs root and cgroup v1 (cpu, cpuacct, memory) or v2 (cpu, memory); without them it says why
// and stops. Figures are reported, never asserted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/deploycheck"
	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/perf/fixture"
)

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1000, "invocations measured per process for the small requests (uploads: fewer)")
	flag.IntVar(&o.runs, "runs", 3, "fresh processes per request and function (the spread)")
	flag.IntVar(&o.memory, "memory", 0, "memory limit in MB (default: memorySize of the broker in s.yaml)")
	flag.Float64Var(&o.cpu, "cpu", 0, "vCPU share (default: cpu of the broker in s.yaml)")
	flag.StringVar(&o.syaml, "f", "s.yaml", "the s.yaml to read memorySize and cpu from")
	flag.StringVar(&o.only, "only", "", "run only the requests whose name matches this regular expression")
	flag.Var(envFlag{&o.env}, "env", "NAME=value for the broker's environment (repeatable), e.g. GOMAXPROCS=2")
	flag.Parse()
	o.out = os.Stdout
	if _, err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "fcshape:", err)
		os.Exit(1)
	}
}

type envFlag struct{ env *[]string }

func (f envFlag) String() string { return "" }
func (f envFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return errors.New("want NAME=value")
	}
	*f.env = append(*f.env, v)
	return nil
}

type options struct {
	n, runs, memory int
	cpu             float64
	syaml, only     string
	env             []string
	short           bool // the minimal function only for the presign and the health check
	out             io.Writer
}

// A request is one kind of invocation, sent n times per process.
type request struct {
	name   string
	n      int // invocations measured per process, at o.n = 1000
	status int // the broker's answer
	legit  bool
	event  func() []byte
}

const mib = 1 << 20

func requests() []request {
	upload := func(size int, token bool) func() []byte {
		return func() []byte {
			body := make([]byte, size)
			for i := range body {
				body[i] = byte(i*7 + i>>8)
			}
			tok := ""
			if token {
				tok = fixture.HS256Token("fcshape", time.Hour)
			}
			return fixture.Event("PUT", "/v1/objects/exampledir/fcshape-"+strconv.Itoa(size), tok,
				"application/octet-stream", body, true, map[string]string{"overwrite": "true"})
		}
	}
	return []request{
		{name: "presign", n: 1000, status: 200, legit: true, event: func() []byte {
			return fixture.Event("POST", "/v1/presign", fixture.HS256Token("fcshape", time.Hour), "application/json",
				[]byte(fixture.PresignBody), false, nil)
		}},
		{name: "GET /healthz", n: 1000, status: 200, legit: true, event: func() []byte {
			return fixture.Event("GET", "/healthz", "", "", nil, false, nil)
		}},
		{name: "1 MiB direct upload", n: 100, status: 201, legit: true, event: upload(1*mib, true)},
		{name: "5 MiB direct upload (MAX_DIRECT_UPLOAD_BYTES)", n: 20, status: 201, legit: true, event: upload(5*mib, true)},
		{name: "32 MiB binary body, token (413)", n: 3, status: 413, event: upload(32*mib, true)},
		{name: "32 MiB binary body, no token (401)", n: 3, status: 401, event: upload(32*mib, false)},
	}
}

// A function is one binary under test.
type function struct {
	name, pkg string
	env       []string
	path      string
	small     bool // run only for the presign and the health check
}

// result is one request to one function, over o.runs processes.
type result struct {
	request  string
	function string
	legit    bool
	// Per process:
	cpuPerInv []time.Duration
	p50, p99  []time.Duration
	peak      []int64 // bytes
	oomKills  int64
	failure   string // the first process that did not answer (killed, error)
}

// report is everything run measured.
type report struct {
	memoryMB int
	cpu      float64
	results  []result
}

func run(o options) (*report, error) {
	if err := shapeFromSYAML(&o); err != nil {
		return nil, err
	}
	h, err := findHierarchies()
	if err == nil && os.Geteuid() != 0 {
		err = errors.New("creating cgroups needs root")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot shape an FC instance on this machine: %w", err)
	}
	h.removeStale()
	dir, err := os.MkdirTemp("", "ossbroker-fcshape")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	oss, endpoint, err := fixture.NewOSS()
	if err != nil {
		return nil, err
	}
	defer oss.Close()
	memEnv := "FC_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(o.memory)
	fns := []*function{
		// LOG_LEVEL info, as s.yaml deploys it: the access log line is part of the cost.
		{name: "broker", pkg: "./functions/broker",
			env: append(append(fixture.BrokerEnv(endpoint), "LOG_LEVEL=info", memEnv), o.env...)},
		{name: "minimal", pkg: "./pkg/devtools/perf/coldstart/minimal", env: []string{memEnv}},
		{name: "minimal, GOMAXPROCS=1", pkg: "./pkg/devtools/perf/coldstart/minimal",
			env: []string{memEnv, "GOMAXPROCS=1"}, small: true},
	}
	for _, f := range fns {
		if f.path, _, err = fixture.BuildFunction(dir, filepath.Base(f.pkg), f.pkg); err != nil {
			return nil, err
		}
	}
	var only *regexp.Regexp
	if o.only != "" {
		if only, err = regexp.Compile(o.only); err != nil {
			return nil, err
		}
	}
	rep := &report{memoryMB: o.memory, cpu: o.cpu}
	for _, rq := range requests() {
		if only != nil && !only.MatchString(rq.name) {
			continue
		}
		n := max(1, rq.n*o.n/1000)
		event := rq.event()
		var run []*function
		for _, f := range fns {
			if rq.n >= 1000 || !f.small && (!o.short || f.name == "broker") {
				run = append(run, f)
			}
		}
		res := make([]result, len(run))
		for i, f := range run {
			res[i] = result{request: rq.name, function: f.name, legit: rq.legit}
		}
		for r := 0; r < o.runs; r++ {
			for i, f := range run {
				want := rq.status
				if f.name != "broker" {
					want = 200
				}
				if err := once(h, o, f, event, n, want, &res[i]); err != nil {
					return nil, fmt.Errorf("%s, %s: %w", rq.name, f.name, err)
				}
			}
		}
		rep.results = append(rep.results, res...)
	}
	rep.print(o.out)
	return rep, nil
}

// shapeFromSYAML fills the memory size and vCPU share from the broker's props in s.yaml, unless
// set.
func shapeFromSYAML(o *options) error {
	if o.memory > 0 && o.cpu > 0 {
		return nil
	}
	f, err := deploycheck.Read(o.syaml)
	if err != nil {
		return err
	}
	p := f.Resources["broker"].Props
	if o.memory == 0 {
		o.memory = p.MemorySize
	}
	if o.cpu == 0 {
		o.cpu = p.CPU
	}
	if o.memory <= 0 || o.cpu <= 0 {
		return fmt.Errorf("%s: the broker needs memorySize and cpu (or -memory and -cpu)", o.syaml)
	}
	return nil
}

// once runs f in a fresh cgroup, sends event n times after a warm-up, and adds its figures to res.
// A process that dies (the OOM killer) is recorded, not an error.
func once(h hierarchies, o options, f *function, event []byte, n, want int, res *result) error {
	sh, err := newShape(h, o.cpu, o.memory)
	if err != nil {
		return err
	}
	defer sh.remove()
	rt := fcemu.NewRuntimeAPI(fcemu.WithRuntimeLogger(slog.New(slog.DiscardHandler)))
	addr, err := rt.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer rt.Close()
	cmd := sh.command(f.path)
	cmd.Env = append(append(os.Environ(), "FC_RUNTIME_API="+addr.String()), f.env...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // no function left spinning if the tool dies
	if err := cmd.Start(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited); cancel() }()
	// The SDK loop spins when its runtime API goes away: kill it first.
	defer func() { cmd.Process.Kill(); <-exited }()

	invoke := func() (time.Duration, error) {
		start := time.Now()
		r, err := rt.Invoke(ctx, event, fcemu.Invocation{Timeout: 60 * time.Second})
		d := time.Since(start)
		if err != nil {
			return 0, err
		}
		if r.Err != nil {
			return 0, r.Err
		}
		st, err := fixture.Status(r.Body)
		if err != nil {
			return 0, err
		}
		if st != want {
			return 0, fmt.Errorf("status %d, want %d: %s", st, want, fixture.Short(r.Body))
		}
		return d, nil
	}
	warm := min(20, max(1, n/10))
	var failure error
	for i := 0; i < warm && failure == nil; i++ {
		_, failure = invoke()
	}
	var lat []time.Duration
	before, err := sh.cpuNanos()
	if err != nil {
		return err
	}
	for i := 0; i < n && failure == nil; i++ {
		var d time.Duration
		if d, failure = invoke(); failure == nil {
			lat = append(lat, d)
		}
	}
	after, err := sh.cpuNanos()
	if err != nil {
		return err
	}
	peak, err := sh.peakBytes()
	if err != nil {
		return err
	}
	kills, err := sh.oomKills()
	if err != nil {
		return err
	}
	res.peak = append(res.peak, peak)
	res.oomKills += kills
	if failure != nil {
		select {
		case <-exited:
			failure = fmt.Errorf("the process died (%v) after %d invocations", cmd.ProcessState, len(lat))
		default:
			return failure // a wrong answer from a live process is a bug, not a figure
		}
		if res.failure == "" {
			res.failure = failure.Error()
		}
		return nil
	}
	slices.Sort(lat)
	res.cpuPerInv = append(res.cpuPerInv, time.Duration((after-before)/int64(n)))
	res.p50 = append(res.p50, lat[len(lat)/2])
	res.p99 = append(res.p99, lat[min(len(lat)-1, len(lat)*99/100)])
	return nil
}

func (rep *report) print(w io.Writer) {
	limit := float64(rep.memoryMB) * mib
	fmt.Fprintf(w, "FC instance shape: %.2f vCPU (cgroup CPU quota), %d MB (memory limit, no swap)\n\n", rep.cpu, rep.memoryMB)
	fmt.Fprintf(w, "| request | function | CPU / invocation, median (min-max) | p50 | p99 | peak memory (max) | of limit | OOM kills |\n")
	fmt.Fprintf(w, "|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.results {
		cpu, p50, p99 := "-", "-", "-"
		if len(r.cpuPerInv) > 0 {
			cpu = fmt.Sprintf("%s (%s-%s)", us(median(r.cpuPerInv)), us(slices.Min(r.cpuPerInv)), us(slices.Max(r.cpuPerInv)))
			p50, p99 = ms(median(r.p50)), ms(median(r.p99))
		}
		peak := slices.Max(r.peak)
		kills := strconv.FormatInt(r.oomKills, 10)
		if r.failure != "" {
			kills += " (" + r.failure + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.1f MiB | %.0f %% | %s |\n", r.request, r.function, cpu, p50, p99,
			float64(peak)/mib, 100*float64(peak)/limit, kills)
	}
	var presign, floor time.Duration
	for _, r := range rep.results {
		if r.request == "presign" && len(r.cpuPerInv) > 0 {
			switch r.function {
			case "broker":
				presign = median(r.cpuPerInv)
			case "minimal":
				floor = median(r.cpuPerInv)
			}
		}
	}
	if presign > 0 && floor > 0 {
		fmt.Fprintf(w, "\npresign: %s of CPU per invocation, %.2fx the minimal fc.Start function's %s\n",
			us(presign), float64(presign)/float64(floor), us(floor))
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/1e3) }
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// moduleRoot is where go.mod is, from dir upwards (the test runs in the package directory).
func moduleRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
