// Command peakrss ("make peakrss") measures the peak resident memory of the
// compiled function for one large request: it builds functions/broker as
// "make build" does, and for each case starts a fresh process under the
// emulated FC runtime API (pkg/devtools/fcemu, the SDK's real fc.Start loop), with
// FC_FUNCTION_MEMORY_SIZE set as FC sets it, delivers one HTTP trigger
// event, checks the status, and reads the process's VmHWM (peak RSS) from
// /proc/<pid>/status before stopping it. A fresh process per case keeps one
// case's peak out of the next. Direct uploads go to an in-process OSS
// server (pkg/devtools/ossemu) over loopback, so a 201 means the bytes were stored.
//
// Memory is reported, never asserted: the figures go into the README
// (Performance, Deploy) and decide s.yaml's memorySize.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/perf/fixture"
)

func main() {
	n := flag.Int("n", 3, "runs per case (the largest peak is reported)")
	memory := flag.Int("memory", 128, "FC_FUNCTION_MEMORY_SIZE (MB) given to the function, as FC sets it from memorySize")
	only := flag.String("only", "", "run only the cases whose name contains this")
	flag.Parse()
	if err := run(*n, *memory, *only); err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(1)
	}
}

// A case is one request: a body of size bytes to a direct-upload route.
type tcase struct {
	name      string
	size      int
	token     bool
	text      byte  // a text/plain body of this byte, sent as a JSON string (FC base64-encodes only binary types)
	maxDirect int64 // MAX_DIRECT_UPLOAD_BYTES; 0 keeps the default (5 MiB)
	status    int
}

const mib = 1 << 20

// underEvent32 is the largest binary body whose event (base64 plus about
// 700 bytes of JSON) stays a few KiB under 32 MiB: the worst event if FC's
// 32 MB limit bounds the event rather than the body (FC documents the limit for the body).
const underEvent32 = (32*mib - 8<<10) / 4 * 3

var cases = []tcase{
	{name: "idle (GET /healthz)", size: -1, status: 200},
	{name: "1 MiB, no token", size: 1 * mib, status: 401},
	{name: "5 MiB, no token", size: 5 * mib, status: 401},
	{name: "31 MiB, no token", size: 31 * mib, status: 401},
	{name: "32 MiB, no token (largest body FC takes)", size: 32 * mib, status: 401},
	{name: "32 MiB text of '\"' (escaped \\\", 2 bytes each), no token", size: 32 * mib, text: '"', status: 401},
	{name: "32 MiB text of 0x01 (escaped \\u0001, 6 bytes each), no token", size: 32 * mib, text: 1, status: 401},
	{name: "24 MiB - 4 KiB, no token (event just under 32 MiB)", size: underEvent32, status: 401},
	{name: "1 MiB, token (stored)", size: 1 * mib, token: true, status: 201},
	{name: "5 MiB, token (stored, the default limit)", size: 5 * mib, token: true, status: 201},
	{name: "31 MiB, token (413)", size: 31 * mib, token: true, status: 413},
	{name: "32 MiB, token (413)", size: 32 * mib, token: true, status: 413},
	{name: "20 MiB, token, MAX_DIRECT_UPLOAD_BYTES=20MiB (stored)", size: 20 * mib, token: true, maxDirect: 20 * mib, status: 201},
}

func run(n, memory int, only string) error {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		return fmt.Errorf("needs Linux /proc: %w", err)
	}
	dir, err := os.MkdirTemp("", "ossbroker-peakrss")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, _, err := fixture.BuildFunction(dir, "broker", "./functions/broker")
	if err != nil {
		return err
	}
	floor, _, err := fixture.BuildFunction(dir, "floor", "./pkg/devtools/perf/peakrss/floor")
	if err != nil {
		return err
	}
	oss, endpoint, err := fixture.NewOSS()
	if err != nil {
		return err
	}
	defer oss.Close()

	fmt.Printf("| request (PUT /v1/objects/exampledir/…, FC_FUNCTION_MEMORY_SIZE=%d) | event | status | broker peak RSS (VmHWM, max of %d) | SDK floor (fc.Start, []byte handler) |\n|---|---:|---:|---:|---:|\n", memory, n)
	for i, c := range cases {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		event := c.event(i)
		env := append(fixture.BrokerEnv(endpoint), "FC_FUNCTION_MEMORY_SIZE="+strconv.Itoa(memory))
		if c.maxDirect > 0 {
			env = append(env, "MAX_DIRECT_UPLOAD_BYTES="+strconv.FormatInt(c.maxDirect, 10))
		}
		var peaks, floors []int64
		for r := 0; r < n; r++ {
			status, peak, err := once(bin, env, event)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if status != c.status {
				return fmt.Errorf("%s: status %d, want %d", c.name, status, c.status)
			}
			peaks = append(peaks, peak)
			if _, peak, err = once(floor, env, event); err != nil {
				return fmt.Errorf("%s (floor): %w", c.name, err)
			}
			floors = append(floors, peak)
		}
		fmt.Printf("| %s | %.1f MiB | %d | %.1f MiB | %.1f MiB |\n", c.name, float64(len(event))/mib, c.status,
			float64(slices.Max(peaks))/(1<<10), float64(slices.Max(floors))/(1<<10))
	}
	return nil
}

func (c tcase) event(i int) []byte {
	if c.size < 0 {
		return fixture.Event("GET", "/healthz", "", "", nil, false, nil)
	}
	token := ""
	if c.token {
		token = fixture.HS256Token("peakrss", time.Hour)
	}
	key := "/v1/objects/exampledir/peakrss-" + strconv.Itoa(i) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if c.text != 0 {
		return fixture.Event("PUT", key, token, "text/plain", bytes.Repeat([]byte{c.text}, c.size), false, map[string]string{"overwrite": "true"})
	}
	body := make([]byte, c.size)
	for j := range body {
		body[j] = byte(j*7 + j>>8)
	}
	return fixture.Event("PUT", key, token, "application/octet-stream", body, true, map[string]string{"overwrite": "true"})
}

// once starts bin, delivers event, and returns the response status and the
// process's peak RSS in KiB.
func once(bin string, env []string, event []byte) (int, int64, error) {
	rt := fcemu.NewRuntimeAPI(fcemu.WithRuntimeLogger(slog.New(slog.DiscardHandler)))
	addr, err := rt.Listen("127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	defer rt.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "FC_RUNTIME_API="+addr.String()), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	// The SDK loop spins when its runtime API goes away: kill it first.
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := rt.Invoke(ctx, event, fcemu.Invocation{Timeout: 60 * time.Second})
	if err != nil {
		return 0, 0, err
	}
	if res.Err != nil {
		return 0, 0, res.Err
	}
	status, err := fixture.Status(res.Body)
	if err != nil {
		return 0, 0, err
	}
	peak, err := vmHWM(cmd.Process.Pid)
	return status, peak, err
}

// vmHWM reads the peak resident set size (KiB) of a running process.
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
