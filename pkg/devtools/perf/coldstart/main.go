// Command coldstart ("make coldstart") builds functions/broker and a
// minimal fc.Start function the way "make build" does (CGO_ENABLED=0,
// -trimpath, -ldflags "-s -w"), then starts each -n times under the
// emulated FC runtime API (pkg/devtools/fcemu) and times process start to the first
// response (a GET /healthz event), printing the medians and binary sizes.
// The broker gets an HS256 secret and a RAM key pair: no network at start.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/perf/fixture"
)

func main() {
	n := flag.Int("n", 15, "runs per binary")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

// brokerEnv: a health check never contacts OSS.
var brokerEnv = fixture.BrokerEnv("http://127.0.0.1:9")

// once starts bin, invokes one GET /healthz and returns the time from
// just before exec to the response.
func once(bin string, env []string) (time.Duration, error) {
	rt := fcemu.NewRuntimeAPI(fcemu.WithRuntimeLogger(slog.New(slog.DiscardHandler)))
	addr, err := rt.Listen("127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer rt.Close()
	ev := fixture.Event("GET", "/healthz", "", "", nil, false, nil)
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "FC_RUNTIME_API="+addr.String()), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	// The SDK loop spins when its runtime API goes away: kill it first.
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	res, err := rt.Invoke(ctx, ev, fcemu.Invocation{Timeout: 20 * time.Second})
	elapsed := time.Since(start)
	if err != nil {
		return 0, err
	}
	var out struct {
		StatusCode int `json:"statusCode"`
	}
	if res.Err != nil || json.Unmarshal(res.Body, &out) != nil || out.StatusCode != 200 {
		return 0, fmt.Errorf("%s: bad first response %s", bin, fixture.Short(res.Body))
	}
	return elapsed, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func run(n int) error {
	dir, err := os.MkdirTemp("", "ossbroker-coldstart")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	type bin struct {
		name, pkg string
		env       []string
		path      string
		size      int64
		runs      []time.Duration
	}
	bins := []*bin{
		{name: "broker", pkg: "./functions/broker", env: brokerEnv},
		{name: "minimal", pkg: "./pkg/devtools/perf/coldstart/minimal"},
	}
	for _, b := range bins {
		if b.path, b.size, err = fixture.BuildFunction(dir, b.name, b.pkg); err != nil {
			return err
		}
	}
	// Warm the page cache once each, then interleave the runs.
	for _, b := range bins {
		if _, err := once(b.path, b.env); err != nil {
			return err
		}
	}
	for i := 0; i < n; i++ {
		for _, b := range bins {
			d, err := once(b.path, b.env)
			if err != nil {
				return err
			}
			b.runs = append(b.runs, d)
		}
	}
	fmt.Printf("| binary | size | cold start median (%d runs) | min | max |\n|---|---:|---:|---:|---:|\n", n)
	for _, b := range bins {
		fmt.Printf("| %s | %.1f MiB | %.1f ms | %.1f ms | %.1f ms |\n", b.pkg, float64(b.size)/(1<<20),
			ms(median(b.runs)), ms(slices.Min(b.runs)), ms(slices.Max(b.runs)))
	}
	fmt.Printf("\nbroker - minimal: %.1f ms (process start to the first response under the emulated runtime API)\n",
		ms(median(bins[0].runs))-ms(median(bins[1].runs)))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
