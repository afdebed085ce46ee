// Command smoke is "make smoke URL=<trigger URL> TOKEN=<JWT>": what a
// deployer runs right after "make deploy" to see the deployed function do
// its job end to end. It presigns an upload, PUTs a small file through the
// returned URL, sends a two-part multipart upload (start, part URLs, parts,
// complete), checks the CORS preflights a browser on ORIGIN would send
// (to the broker and to the bucket), and checks that a key outside the
// prefix is refused. It prints a pass/fail table with the request id of
// every call (the broker's X-Request-Id, OSS's x-oss-request-id), the ids
// to search for in "s logs" or OSS's logs, and exits 1 if a check failed.
//
// The uploads leave two small objects, <PREFIX>ossbroker-smoke/<time>.txt
// and .bin (100 KiB): the broker grants no delete, so remove them with the
// console or ossutil.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// options are the flags (make smoke passes URL, TOKEN, ORIGIN, PREFIX).
type options struct {
	url, token, origin, prefix string
	timeout                    time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.url, "url", "", "the function's trigger URL (https://<id>.<region>.fcapp.run or a custom domain)")
	fs.StringVar(&o.token, "token", "", "a JWT the function accepts")
	fs.StringVar(&o.origin, "origin", "", "a page origin in ALLOWED_ORIGINS, to check the CORS preflights (empty: those checks are skipped)")
	fs.StringVar(&o.prefix, "prefix", "exampledir/", "the caller's upload prefix (UPLOAD_PREFIX, placeholders filled in)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "bound on each request")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.url == "" || o.token == "" {
		fmt.Fprintln(stderr, "usage: make smoke URL=<trigger URL> TOKEN=<JWT> [ORIGIN=<page origin>] [SMOKE_PREFIX=<the caller's upload prefix>]")
		return 2
	}
	o.url = strings.TrimRight(o.url, "/")
	rows := checks(ctx, o)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tSTATUS\tREQUEST ID\tDETAIL")
	failed := 0
	for _, r := range rows {
		status := "-"
		if r.status != 0 {
			status = fmt.Sprint(r.status)
		}
		id := r.requestID
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.name, r.result, status, id, r.detail)
		if r.result == fail {
			failed++
		}
	}
	tw.Flush()
	if failed > 0 {
		fmt.Fprintf(stdout, "\n%d of %d checks failed\n", failed, len(rows))
		return 1
	}
	fmt.Fprintf(stdout, "\nall %d checks passed\n", len(rows))
	return 0
}

const (
	pass = "pass"
	fail = "FAIL"
	skip = "skip"
)

type row struct {
	name, result string
	status       int
	requestID    string
	detail       string
}

// presigned is POST /v1/presign's answer (pkg/broker/openapi.yaml).
type presigned struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// apiError is the broker's documented error body.
type apiError struct {
	Error struct {
		Code, Message, RequestID string
	} `json:"error"`
}

func checks(ctx context.Context, o options) []row {
	client := &http.Client{Timeout: o.timeout}
	do := func(method, url string, hdr map[string]string, body []byte) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return res, b, err
	}
	brokerID := func(res *http.Response, body []byte) string {
		if id := res.Header.Get("X-Request-Id"); id != "" {
			return id
		}
		var e apiError
		json.Unmarshal(body, &e)
		return e.Error.RequestID
	}
	var rows []row
	add := func(r row) { rows = append(rows, r) }

	// 1. Presign a small upload under the prefix.
	nonce := make([]byte, 4)
	rand.Read(nonce)
	key := o.prefix + "ossbroker-smoke/" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(nonce) + ".txt"
	payload := []byte("ossbroker smoke test " + key + "\n")
	reqBody, _ := json.Marshal(map[string]string{"key": key, "contentType": "text/plain"})
	auth := map[string]string{"Authorization": "Bearer " + o.token, "Content-Type": "application/json"}
	var p presigned
	res, body, err := do("POST", o.url+"/v1/presign", auth, reqBody)
	switch {
	case err != nil:
		add(row{name: "presign", result: fail, detail: err.Error()})
	case res.StatusCode != http.StatusOK:
		add(row{name: "presign", result: fail, status: res.StatusCode, requestID: brokerID(res, body), detail: errorDetail(body)})
	case json.Unmarshal(body, &p) != nil || p.URL == "" || p.Method != "PUT":
		add(row{name: "presign", result: fail, status: res.StatusCode, requestID: brokerID(res, body), detail: "not a presign answer"})
	default:
		add(row{name: "presign", result: pass, status: res.StatusCode, requestID: brokerID(res, body), detail: key})
	}

	// 2. PUT the file through the returned URL, with the returned headers.
	if p.URL == "" {
		add(row{name: "upload via presigned URL", result: fail, detail: "no URL to upload to"})
	} else {
		hdr := map[string]string{}
		for k, v := range p.Headers {
			hdr[k] = v
		}
		hdr["Content-Type"] = "text/plain"
		res, body, err := do(p.Method, p.URL, hdr, payload)
		switch {
		case err != nil:
			add(row{name: "upload via presigned URL", result: fail, detail: err.Error()})
		case res.StatusCode != http.StatusOK:
			add(row{name: "upload via presigned URL", result: fail, status: res.StatusCode, requestID: res.Header.Get("x-oss-request-id"), detail: ossDetail(body)})
		default:
			add(row{name: "upload via presigned URL", result: pass, status: res.StatusCode, requestID: res.Header.Get("x-oss-request-id"),
				detail: fmt.Sprintf("%d bytes to %s", len(payload), hostOf(p.URL))})
		}
	}

	// 3. A two-part multipart upload: what every large upload needs, off
	// when the deployment has no handle secret (501 multipart_unavailable).
	add(multipartRow(do, brokerID, o.url, auth, o.prefix+"ossbroker-smoke/"+time.Now().UTC().Format("20060102T150405Z")+"-"+hex.EncodeToString(nonce)+".bin"))

	// 4. CORS preflights, as a browser on ORIGIN sends them.
	if o.origin == "" {
		add(row{name: "CORS preflight, broker", result: skip, detail: "no ORIGIN given"})
		add(row{name: "CORS preflight, bucket", result: skip, detail: "no ORIGIN given"})
	} else {
		res, body, err := do("OPTIONS", o.url+"/v1/presign", map[string]string{"Origin": o.origin,
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}, nil)
		add(preflightRow("CORS preflight, broker", o.origin, res, err, func() string { return brokerID(res, body) }))
		if p.URL == "" {
			add(row{name: "CORS preflight, bucket", result: fail, detail: "no URL to preflight"})
		} else {
			var names []string
			for k := range p.Headers {
				names = append(names, strings.ToLower(k))
			}
			names = append(names, "content-type")
			slices.Sort(names)
			res, _, err := do("OPTIONS", p.URL, map[string]string{"Origin": o.origin,
				"Access-Control-Request-Method": p.Method, "Access-Control-Request-Headers": strings.Join(slices.Compact(names), ",")}, nil)
			add(preflightRow("CORS preflight, bucket", o.origin, res, err, func() string { return res.Header.Get("x-oss-request-id") }))
		}
	}

	// 5. A key outside the prefix is refused with the documented error.
	outside := "ossbroker-smoke-outside-" + hex.EncodeToString(nonce) + "/x.txt"
	if strings.HasPrefix(outside, o.prefix) {
		outside = "x" + outside
	}
	reqBody, _ = json.Marshal(map[string]string{"key": outside, "contentType": "text/plain"})
	res, body, err = do("POST", o.url+"/v1/presign", auth, reqBody)
	var e apiError
	switch {
	case err != nil:
		add(row{name: "key outside prefix refused", result: fail, detail: err.Error()})
	case res.StatusCode != http.StatusForbidden || json.Unmarshal(body, &e) != nil || e.Error.Code != "key_outside_prefix":
		add(row{name: "key outside prefix refused", result: fail, status: res.StatusCode, requestID: brokerID(res, body),
			detail: "want 403 key_outside_prefix, got " + errorDetail(body)})
	default:
		add(row{name: "key outside prefix refused", result: pass, status: res.StatusCode, requestID: brokerID(res, body), detail: e.Error.Code})
	}
	return rows
}

// smokePartSize is OSS's smallest part; the smoke upload is one such part
// and a few bytes more, so two parts.
const smokePartSize = 100 << 10

type doFunc func(method, url string, hdr map[string]string, body []byte) (*http.Response, []byte, error)

// multipartRow starts a multipart upload of two parts, PUTs both through
// their presigned URLs with exactly their headers, and completes it.
func multipartRow(do doFunc, brokerID func(*http.Response, []byte) string, base string, auth map[string]string, key string) row {
	const name = "multipart upload, 2 parts"
	data := bytes.Repeat([]byte("ossbroker multipart smoke\n"), (smokePartSize+26)/26)[:smokePartSize+10]
	call := func(path string, req, resp any) (row, bool) {
		b, _ := json.Marshal(req)
		res, body, err := do("POST", base+path, auth, b)
		if err != nil {
			return row{name: name, result: fail, detail: path + ": " + err.Error()}, false
		}
		if res.StatusCode/100 != 2 || json.Unmarshal(body, resp) != nil {
			return row{name: name, result: fail, status: res.StatusCode, requestID: brokerID(res, body), detail: path + ": " + errorDetail(body)}, false
		}
		return row{name: name, result: pass, status: res.StatusCode, requestID: brokerID(res, body)}, true
	}
	var start struct {
		Handle    string `json:"handle"`
		PartCount int    `json:"partCount"`
	}
	if r, ok := call("/v1/multipart", map[string]any{"key": key, "contentType": "application/octet-stream",
		"size": len(data), "partSize": smokePartSize}, &start); !ok {
		return r
	}
	if start.PartCount != 2 {
		return row{name: name, result: fail, detail: fmt.Sprintf("partCount %d, want 2", start.PartCount)}
	}
	var parts struct {
		Parts []struct {
			PartNumber int               `json:"partNumber"`
			Method     string            `json:"method"`
			URL        string            `json:"url"`
			Headers    map[string]string `json:"headers"`
		} `json:"parts"`
	}
	if r, ok := call("/v1/multipart/parts", map[string]any{"handle": start.Handle, "partNumbers": []int{1, 2}}, &parts); !ok {
		return r
	}
	var done []map[string]any
	for _, p := range parts.Parts {
		lo := (p.PartNumber - 1) * smokePartSize
		res, body, err := do(p.Method, p.URL, p.Headers, data[lo:min(lo+smokePartSize, len(data))])
		if err != nil {
			return row{name: name, result: fail, detail: fmt.Sprintf("part %d: %v", p.PartNumber, err)}
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == "" {
			return row{name: name, result: fail, status: res.StatusCode, requestID: res.Header.Get("x-oss-request-id"),
				detail: fmt.Sprintf("part %d: %s", p.PartNumber, ossDetail(body))}
		}
		done = append(done, map[string]any{"partNumber": p.PartNumber, "etag": res.Header.Get("ETag")})
	}
	var complete struct {
		Key  string `json:"key"`
		Size int    `json:"size"`
	}
	r, ok := call("/v1/multipart/complete", map[string]any{"handle": start.Handle, "parts": done}, &complete)
	if !ok {
		return r
	}
	if complete.Size != len(data) {
		return row{name: name, result: fail, status: r.status, requestID: r.requestID, detail: fmt.Sprintf("stored %d bytes, sent %d", complete.Size, len(data))}
	}
	r.detail = fmt.Sprintf("%d bytes in 2 parts: %s", complete.Size, complete.Key)
	return r
}

func preflightRow(name, origin string, res *http.Response, err error, id func() string) row {
	switch {
	case err != nil:
		return row{name: name, result: fail, detail: err.Error()}
	case res.StatusCode/100 != 2:
		return row{name: name, result: fail, status: res.StatusCode, requestID: id(), detail: "preflight refused for " + origin}
	case res.Header.Get("Access-Control-Allow-Origin") != origin && res.Header.Get("Access-Control-Allow-Origin") != "*":
		return row{name: name, result: fail, status: res.StatusCode, requestID: id(),
			detail: fmt.Sprintf("Access-Control-Allow-Origin %q, want %s", res.Header.Get("Access-Control-Allow-Origin"), origin)}
	}
	return row{name: name, result: pass, status: res.StatusCode, requestID: id(), detail: "allows " + origin}
}

// errorDetail is the broker error's code, or the body's start.
func errorDetail(body []byte) string {
	var e apiError
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return e.Error.Code + ": " + e.Error.Message
	}
	return snippet(body)
}

// ossDetail is OSS's error Code from its XML body, or the body's start.
func ossDetail(body []byte) string {
	s := string(body)
	if i := strings.Index(s, "<Code>"); i >= 0 {
		if j := strings.Index(s[i:], "</Code>"); j > 0 {
			return s[i+6 : i+j]
		}
	}
	return snippet(body)
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	if s == "" {
		return "empty body"
	}
	return s
}

func hostOf(u string) string {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok {
		rest, _ = strings.CutPrefix(u, "http://")
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}
