// Command loadgen is "make load": closed-loop load on loopback against
//
//   - local: the compiled broker in local mode (go build
//     pkg/devtools/localmode): HTTP trigger -> event JSON -> the SDK's handler
//     wrapper -> adapter -> broker, OSS in the same process (ossemu,
//     objects under a temp dir);
//   - bare:  the broker [http.Handler] on a plain net/http server, in-process
//     ossemu (what the function costs without the FC emulation hops);
//   - node:  pkg/devtools/perf/nodebaseline/server.js (jose + ali-oss signatureUrlV4),
//     presign only;
//   - inproc: local mode's stack (trigger, the SDK's handler wrapper,
//     adapter, broker, ossemu in memory) inside this process, for -cpuprofile.
//
// For each target: presigns, then direct uploads of -size bytes, each for
// -duration with -clients clients (bounded by -max requests). Any non-2xx
// is a failure. Afterwards every upload that got a 201 is read back with
// the account owner's keys and compared byte for byte. It prints a
// Markdown table. Every address is 127.0.0.1.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/fcemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/perf/fixture"
	"github.com/ossbroker/ossbroker/pkg/devtools/perf/load"
	"github.com/ossbroker/ossbroker/pkg/fchttp"
)

func main() {
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "length of each run")
	maxReq := flag.Int64("max", 2_000_000, "bound on requests per run")
	size := flag.Int("size", 64<<10, "direct upload body size")
	targets := flag.String("targets", "local,bare,node", "comma list of local, bare, node")
	nodeDir := flag.String("node", "pkg/devtools/perf/nodebaseline", "folder of the Node.js baseline (npm ci done)")
	logLevel := flag.String("log-level", "warn", "LOG_LEVEL of the local-mode broker (info logs every request)")
	warmup := flag.Duration("warmup", 3*time.Second, "unmeasured presigns against each target before its measured run (JIT, GC and connection warm-up)")
	uploads := flag.Bool("uploads", true, "run the direct-upload scenario too")
	netHTTP := flag.Bool("nethttp-client", false, "send through net/http's Client (more CPU per request on the load side) instead of one plain keep-alive connection per client")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (use with -targets inproc)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	cfg := load.Config{Clients: *clients, Duration: *duration, MaxRequests: *maxReq, NetHTTPClient: *netHTTP}
	ctx := context.Background()
	withUploads = *uploads
	warmupFor = *warmup
	if err := run(ctx, cfg, *size, strings.Split(*targets, ","), *nodeDir, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

var (
	withUploads = true
	warmupFor   time.Duration
)

// presignRun warms the target up with unmeasured presigns, then measures.
// A failure while warming up is reported as the run's first failure.
func presignRun(ctx context.Context, cfg load.Config, base, token string) load.Result {
	s := &load.Presign{Base: base, Token: token}
	if warmupFor > 0 {
		w := cfg
		w.Duration = warmupFor
		if r := load.Run(ctx, w, s); r.Failures > 0 {
			r.FirstFailure = "warm-up: " + r.FirstFailure
			return r
		}
	}
	return load.Run(ctx, cfg, s)
}

type row struct {
	target, scenario string
	res              load.Result
	note             string
}

func run(ctx context.Context, cfg load.Config, size int, targets []string, nodeDir, logLevel string) error {
	token := fixture.HS256Token("load-user", 2*time.Hour)
	var rows []row
	failed := false
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	fmt.Fprintf(os.Stderr, "loadgen: %d clients, %v per run (presigns after %v unmeasured), at most %d requests per run, GOMAXPROCS %d\n",
		cfg.Clients, cfg.Duration, warmupFor, cfg.MaxRequests, runtime.GOMAXPROCS(0))

	both := func(target, base, ossEndpoint string) {
		fmt.Fprintf(os.Stderr, "loadgen: %s presign...\n", target)
		r := presignRun(ctx, cfg, base, token)
		rows = append(rows, row{target, "presign", r, ""})
		if !withUploads {
			return
		}
		up := &load.Upload{Base: base, Token: token, Run: target + runID, Size: size}
		fmt.Fprintf(os.Stderr, "loadgen: %s direct upload %d B...\n", target, size)
		r = load.Run(ctx, cfg, up)
		n, bad := up.Verify(ctx, fixture.Owner(ossEndpoint))
		note := fmt.Sprintf("%d stored uploads read back, all exact", n)
		if len(bad) > 0 {
			note = fmt.Sprintf("%d read back, MISMATCH: %s", n, strings.Join(bad, "; "))
			failed = true
		}
		rows = append(rows, row{target, fmt.Sprintf("upload %d KiB", size>>10), r, note})
	}

	for _, t := range targets {
		switch strings.TrimSpace(t) {
		case "local":
			base, ossEP, stop, err := startLocal(ctx, logLevel)
			if err != nil {
				return fmt.Errorf("local mode: %w", err)
			}
			both("local", base, ossEP)
			stop()
		case "bare":
			base, ossEP, stop, err := startBare(ctx)
			if err != nil {
				return err
			}
			both("bare", base, ossEP)
			stop()
		case "inproc":
			base, ossEP, stop, err := startInproc(ctx)
			if err != nil {
				return err
			}
			both("inproc", base, ossEP)
			stop()
		case "node":
			srv, ossEP, err := fixture.NewOSS()
			if err != nil {
				return err
			}
			base, stop, err := startNode(ctx, nodeDir, ossEP)
			if err != nil {
				srv.Close()
				return fmt.Errorf("node baseline: %w", err)
			}
			note := "a URL it signed was accepted by ossemu"
			if err := putPresigned(ctx, base, token); err != nil {
				note = "its URL was REFUSED by ossemu: " + err.Error()
			}
			fmt.Fprintln(os.Stderr, "loadgen: node presign...")
			r := presignRun(ctx, cfg, base, token)
			rows = append(rows, row{"node", "presign", r, note})
			stop()
			srv.Close()
		case "":
		default:
			return fmt.Errorf("unknown target %q", t)
		}
	}

	fmt.Printf("| target | scenario | requests | non-2xx / errors | throughput | p50 | p99 | notes |\n|---|---|---:|---:|---:|---:|---:|---|\n")
	tput := map[string]float64{}
	for _, r := range rows {
		if r.res.Failures > 0 {
			failed = true
			r.note = strings.TrimSpace(r.note + " first failure: " + r.res.FirstFailure)
		}
		tput[r.target+"/"+r.scenario] = r.res.Throughput()
		fmt.Printf("| %s | %s | %d | %d | %.0f req/s | %s | %s | %s |\n", r.target, r.scenario, r.res.Requests, r.res.Failures,
			r.res.Throughput(), ms(r.res.P50), ms(r.res.P99), r.note)
	}
	if n := tput["node/presign"]; n > 0 {
		for _, t := range []string{"local", "bare"} {
			if g := tput[t+"/presign"]; g > 0 {
				fmt.Printf("\npresign throughput, %s broker / Node.js: %.2fx", t, g/n)
			}
		}
		fmt.Println()
	}
	if failed {
		return errors.New("failures above")
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

// putPresigned checks that the target's presigned URL works against ossemu.
func putPresigned(ctx context.Context, base, token string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/presign", strings.NewReader(`{"key":"exampledir/check/node.png","contentType":"image/png"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	var out struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	}
	err = decodeJSON(resp, &out)
	if err != nil {
		return err
	}
	put, _ := http.NewRequestWithContext(ctx, http.MethodPut, out.URL, strings.NewReader("png?"))
	for k, v := range out.Headers {
		put.Header.Set(k, v)
	}
	r2, err := http.DefaultClient.Do(put)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != 200 {
		return fmt.Errorf("PUT %d: %s", r2.StatusCode, fixture.Short(b))
	}
	return nil
}

func startBare(ctx context.Context) (base, ossEP string, stop func(), err error) {
	srv, ossEP, err := fixture.NewOSS()
	if err != nil {
		return "", "", nil, err
	}
	b, closeFn, err := fixture.Broker(ctx, fixture.Options{Auth: (&fixture.Keys{}).AuthConfig(fixture.HS256, ""), Endpoint: ossEP})
	if err != nil {
		srv.Close()
		return "", "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return "", "", nil, err
	}
	hs := &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), ossEP, func() { hs.Close(); closeFn(); srv.Close() }, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startLocal builds pkg/devtools/localmode and runs it, as "make run"
// does, on free loopback ports with the fixture's keys.
func startLocal(ctx context.Context, logLevel string) (base, ossEP string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "ossbroker-load")
	if err != nil {
		return "", "", nil, err
	}
	bin := filepath.Join(dir, "broker")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./pkg/devtools/localmode")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", "", nil, fmt.Errorf("go build: %v: %s", err, out)
	}
	brokerAddr, err := freeAddr()
	if err != nil {
		return "", "", nil, err
	}
	ossAddr, err := freeAddr()
	if err != nil {
		return "", "", nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"BROKER_ADDR="+brokerAddr, "OSS_EMULATOR_ADDR="+ossAddr, "DEV_DATA_DIR="+filepath.Join(dir, "data"),
		"OSS_BUCKET="+fixture.Bucket, "OSS_REGION="+fixture.Region, "UPLOAD_PREFIX="+fixture.Prefix,
		"OSS_ACCESS_KEY_ID="+fixture.RAMID, "OSS_ACCESS_KEY_SECRET="+fixture.RAMSecret,
		"OSS_EMULATOR_OWNER_KEY_ID="+fixture.OwnerID, "OSS_EMULATOR_OWNER_KEY_SECRET="+fixture.OwnerSecret,
		"JWT_HS256_SECRET="+string(fixture.HS256Secret), "LOG_LEVEL="+logLevel, "MAX_DIRECT_UPLOAD_BYTES=5MiB",
	)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return "", "", nil, err
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(dir)
	}
	base = "http://" + brokerAddr
	if err := waitReady(ctx, base+"/healthz"); err != nil {
		stop()
		return "", "", nil, err
	}
	return base, "http://" + ossAddr, stop, nil
}

func waitReady(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w", u, ctx.Err())
		case <-tick.C:
		}
	}
}

// startNode runs server.js and waits for the port it prints.
func startNode(ctx context.Context, dir, ossEP string) (base string, stop func(), err error) {
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		return "", nil, fmt.Errorf("%s/node_modules missing: run npm ci there (make load does)", dir)
	}
	cmd := exec.Command("node", "server.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORT=0",
		"JWT_HS256_SECRET="+string(fixture.HS256Secret), "OSS_ACCESS_KEY_ID="+fixture.RAMID,
		"OSS_ACCESS_KEY_SECRET="+fixture.RAMSecret, "OSS_BUCKET="+fixture.Bucket, "OSS_REGION="+fixture.Region,
		"OSS_ENDPOINT="+ossEP, "UPLOAD_PREFIX="+fixture.Prefix)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				port <- p
			}
		}
	}()
	select {
	case p := <-port:
		return "http://127.0.0.1:" + p, stop, nil
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("node server did not start in 30 s")
	}
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("presign %d: %s", resp.StatusCode, fixture.Short(b))
	}
	return json.Unmarshal(b, v)
}

// startInproc is local mode in this process: the real SDK loop (fc.Start,
// which never returns: once per process) polling an in-process runtime API.
func startInproc(ctx context.Context) (base, ossEP string, stop func(), err error) {
	srv, ossEP, err := fixture.NewOSS()
	if err != nil {
		return "", "", nil, err
	}
	b, closeFn, err := fixture.Broker(ctx, fixture.Options{Auth: (&fixture.Keys{}).AuthConfig(fixture.HS256, ""), Endpoint: ossEP})
	if err != nil {
		return "", "", nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	trigger := &fcemu.Trigger{
		Invoke: fcemu.InProcess(fchttp.Handler(b, fchttp.WithLogger(slog.New(slog.DiscardHandler))), fcemu.Invocation{Region: fixture.Region}),
		Region: fixture.Region, Logger: quiet,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", nil, err
	}
	hs := &http.Server{Handler: trigger, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), ossEP, func() { hs.Close(); closeFn(); srv.Close() }, nil
}
