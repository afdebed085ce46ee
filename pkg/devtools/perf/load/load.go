// Package load is a small closed-loop HTTP load generator: N clients, each
// sending its next request as soon as the previous answered, for a bounded
// time and a bounded count, recording every latency. Any non-2xx (or a
// body the scenario's check refuses) is a failure. It is meant for
// loopback targets only (see pkg/devtools/perf/loadgen).
package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossbroker/ossbroker/pkg/devtools/perf/fixture"
)

// Scenario makes request seq of client c and checks its answer.
type Scenario interface {
	Request(c, seq int) (*http.Request, error)
	Check(c, seq int, status int, body []byte) error
}

// Reusable is a Scenario whose requests are all the same: the plain
// connection serializes the first one and sends its bytes every time.
type Reusable interface {
	Scenario
	Reusable()
}

// Config bounds a run.
type Config struct {
	Clients     int
	Duration    time.Duration
	MaxRequests int64         // 0 = no bound besides Duration
	Timeout     time.Duration // per request; default 10s
	// NetHTTPClient sends through net/http's Client instead of one
	// keep-alive connection per client (see conn). On two cores the Client's
	// own goroutines and hand-offs take CPU from the server being measured.
	NetHTTPClient bool
}

// Result of a run.
type Result struct {
	Requests     int64
	Failures     int64
	FirstFailure string
	Elapsed      time.Duration
	P50, P99     time.Duration
	Max          time.Duration
}

// Throughput is completed requests (failed ones included) per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

func (r Result) String() string {
	return fmt.Sprintf("%d requests, %d failures, %.0f req/s, p50 %v, p99 %v, max %v",
		r.Requests, r.Failures, r.Throughput(), r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
}

// Run drives s with cfg.Clients concurrent clients until cfg.Duration has
// passed, cfg.MaxRequests were sent, or ctx is done.
func Run(ctx context.Context, cfg Config, s Scenario) Result {
	if cfg.Clients <= 0 {
		cfg.Clients = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	tr := &http.Transport{MaxIdleConns: cfg.Clients, MaxIdleConnsPerHost: cfg.Clients, IdleConnTimeout: 30 * time.Second, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: cfg.Timeout}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	var (
		sent     atomic.Int64
		failures atomic.Int64
		firstMu  sync.Mutex
		first    string
		wg       sync.WaitGroup
		lats     = make([][]time.Duration, cfg.Clients)
	)
	fail := func(msg string) {
		failures.Add(1)
		firstMu.Lock()
		if first == "" {
			first = msg
		}
		firstMu.Unlock()
	}
	start := time.Now()
	for c := 0; c < cfg.Clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			buf := make([]byte, 0, 4096)
			var cn conn
			defer cn.close()
			_, reusable := s.(Reusable)
			for seq := 0; ctx.Err() == nil; seq++ {
				if cfg.MaxRequests > 0 && sent.Add(1) > cfg.MaxRequests {
					return
				}
				var req *http.Request
				if !cn.fixed {
					var err error
					if req, err = s.Request(c, seq); err != nil {
						fail("request: " + err.Error())
						return
					}
				}
				t0 := time.Now()
				var (
					status int
					err    error
				)
				if cfg.NetHTTPClient {
					status, buf, err = netHTTPDo(hc, req.WithContext(context.WithoutCancel(ctx)), buf)
				} else {
					status, buf, err = cn.do(req, reusable, cfg.Timeout, buf)
				}
				lats[c] = append(lats[c], time.Since(t0))
				switch {
				case err != nil:
					fail(err.Error())
				case status < 200 || status > 299:
					fail(fmt.Sprintf("status %d: %s", status, fixture.Short(buf)))
				default:
					if err := s.Check(c, seq, status, buf); err != nil {
						fail("check: " + err.Error())
					}
				}
			}
		}(c)
	}
	wg.Wait()
	res := Result{Elapsed: time.Since(start), Failures: failures.Load(), FirstFailure: first}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	res.Requests = int64(len(all))
	if len(all) > 0 {
		slices.Sort(all)
		res.P50 = all[len(all)/2]
		res.P99 = all[min(len(all)-1, len(all)*99/100)]
		res.Max = all[len(all)-1]
	}
	return res
}

func netHTTPDo(hc *http.Client, req *http.Request, buf []byte) (int, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return 0, buf, fmt.Errorf("transport: %w", err)
	}
	defer resp.Body.Close()
	b := bytes.NewBuffer(buf[:0])
	if _, err := io.Copy(b, resp.Body); err != nil {
		return 0, b.Bytes(), fmt.Errorf("read: %w", err)
	}
	return resp.StatusCode, b.Bytes(), nil
}

// conn is one client's HTTP/1.1 keep-alive connection, one request at a
// time, in the manner of wrk: the request is written as bytes (serialized
// once per client for a Reusable scenario) and the response is read by a
// small strict parser, so that on two cores the load side leaves the CPU to
// the server being measured. A response it does not understand (not HTTP/1.x,
// neither Content-Length nor chunked) is a failure, never a success. It
// redials after the server closes or any error; a failed request is not
// retried.
type conn struct {
	nc    net.Conn
	br    *bufio.Reader
	addr  string
	raw   []byte // the serialized request
	fixed bool   // raw holds a Reusable scenario's request
}

func (cn *conn) do(req *http.Request, reusable bool, timeout time.Duration, buf []byte) (int, []byte, error) {
	if !cn.fixed {
		var b bytes.Buffer
		if err := req.Write(&b); err != nil {
			return 0, buf, fmt.Errorf("write: %w", err)
		}
		cn.raw, cn.fixed, cn.addr = b.Bytes(), reusable, req.URL.Host
	}
	if cn.nc == nil {
		nc, err := net.DialTimeout("tcp", cn.addr, timeout)
		if err != nil {
			return 0, buf, fmt.Errorf("dial: %w", err)
		}
		cn.nc = nc
		if cn.br == nil {
			cn.br = bufio.NewReaderSize(nc, 16<<10)
		} else {
			cn.br.Reset(nc)
		}
	}
	cn.nc.SetDeadline(time.Now().Add(timeout))
	if _, err := cn.nc.Write(cn.raw); err != nil {
		cn.close()
		return 0, buf, fmt.Errorf("write: %w", err)
	}
	status, body, keep, err := readResponse(cn.br, buf)
	if err != nil || !keep {
		cn.close()
	}
	if err != nil {
		return 0, body, fmt.Errorf("read: %w", err)
	}
	return status, body, nil
}

// readResponse reads one HTTP/1.x response, its body (Content-Length or
// chunked) into buf. keep is false when the server asked to close the
// connection.
func readResponse(br *bufio.Reader, buf []byte) (status int, body []byte, keep bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, buf[:0], false, err
	}
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' {
		return 0, buf[:0], false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil || status < 100 {
		return 0, buf[:0], false, fmt.Errorf("bad status line %q", line)
	}
	keep, length, chunked := line[7] == '1', -1, false
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, buf[:0], false, err
		}
		if len(line) <= 2 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, buf[:0], false, fmt.Errorf("bad header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, buf[:0], false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return 0, buf[:0], false, fmt.Errorf("unsupported Transfer-Encoding %q", value)
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	if chunked {
		body, err = readChunked(br, buf[:0])
		return status, body, keep && err == nil, err
	}
	if length < 0 {
		return 0, buf[:0], false, errors.New("no Content-Length")
	}
	body = slices.Grow(buf[:0], length)[:length]
	if _, err := io.ReadFull(br, body); err != nil {
		return 0, body[:0], false, err
	}
	return status, body, keep, nil
}

// readChunked reads a chunked body (RFC 9112 §7.1), without extensions or
// trailers, appending it to body.
func readChunked(br *bufio.Reader, body []byte) ([]byte, error) {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return body, err
		}
		n, err := strconv.ParseInt(string(bytes.TrimRight(line, "\r\n")), 16, 32)
		if err != nil || n < 0 {
			return body, fmt.Errorf("bad chunk size %q", line)
		}
		start := len(body)
		body = slices.Grow(body, int(n)+2)[:start+int(n)+2]
		if _, err := io.ReadFull(br, body[start:]); err != nil {
			return body[:start], err
		}
		if string(body[start+int(n):]) != "\r\n" {
			return body[:start], errors.New("chunk not followed by CRLF")
		}
		body = body[:start+int(n)]
		if n == 0 {
			return body, nil
		}
	}
}

func (cn *conn) close() {
	if cn.nc != nil {
		cn.nc.Close()
		cn.nc = nil
	}
}

// Presign posts [fixture.PresignBody] to base+"/v1/presign".
type Presign struct {
	Base, Token string
}

// Reusable: every presign request is the same.
func (p *Presign) Reusable() {}

func (p *Presign) Request(c, seq int) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, p.Base+"/v1/presign", bytes.NewReader([]byte(fixture.PresignBody)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+p.Token)
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

func (p *Presign) Check(c, seq int, status int, body []byte) error {
	if !bytes.Contains(body, []byte(`"url":"http`)) {
		return fmt.Errorf("no url in %s", fixture.Short(body))
	}
	return nil
}

// Upload PUTs Size deterministic bytes to a key of its own per request and
// remembers every key that got a 2xx, for Verify.
type Upload struct {
	Base, Token, Run string // Run makes keys unique across runs
	Size             int

	mu   sync.Mutex
	done []upload
}

type upload struct{ c, seq int }

// Key is the object key of request seq of client c.
func (u *Upload) Key(c, seq int) string {
	return fmt.Sprintf("exampledir/load/%s/%d-%d.bin", u.Run, c, seq)
}

// Body is the deterministic content of request seq of client c.
func (u *Upload) Body(c, seq int) []byte {
	p := make([]byte, u.Size)
	x := uint64(c)<<32 | uint64(seq) | 1<<63
	for i := 0; i+8 <= len(p); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		binary.LittleEndian.PutUint64(p[i:], x)
	}
	return p
}

func (u *Upload) Request(c, seq int) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPut, u.Base+"/v1/objects/"+u.Key(c, seq), bytes.NewReader(u.Body(c, seq)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+u.Token)
	req.Header.Set("Content-Type", "application/octet-stream")
	return req, nil
}

func (u *Upload) Check(c, seq int, status int, body []byte) error {
	if status != http.StatusCreated {
		return fmt.Errorf("status %d, want 201", status)
	}
	u.mu.Lock()
	u.done = append(u.done, upload{c, seq})
	u.mu.Unlock()
	return nil
}

// Stored is how many uploads got a 2xx.
func (u *Upload) Stored() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.done)
}

// Verify reads back every upload that got a 2xx with the owner's client and
// compares the bytes. It returns how many were checked and the first few
// mismatches.
func (u *Upload) Verify(ctx context.Context, owner *oss.Client) (int, []string) {
	u.mu.Lock()
	done := slices.Clone(u.done)
	u.mu.Unlock()
	var (
		mu   sync.Mutex
		bad  []string
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(done) {
					return
				}
				d := done[i]
				got, err := fixture.ReadObject(ctx, owner, u.Key(d.c, d.seq))
				if err == nil && !bytes.Equal(got, u.Body(d.c, d.seq)) {
					err = fmt.Errorf("stored %d bytes differ from the %d sent", len(got), u.Size)
				}
				if err != nil {
					mu.Lock()
					if len(bad) < 5 {
						bad = append(bad, u.Key(d.c, d.seq)+": "+err.Error())
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return len(done), bad
}
