package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/proctest"
)

const (
	testSecret  = "an-hs256-secret-of-at-least-32-bytes!"
	testRegion  = "cn-hangzhou"
	testBucket  = "examplebucket"
	waitTimeout = 30 * time.Second
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestLocalMode runs local mode as "make run" does, then follows its
// banner: the printed curl line, then a PUT to the returned URL.
func TestLocalMode(t *testing.T) {
	// By default the local OSS server calls the broker back through the FC
	// trigger, and the PUT's answer is the receipt; PUBLIC_BASE_URL=off
	// turns upload callbacks off.
	t.Run("in-process", func(t *testing.T) { localMode(t) })
	t.Run("runtime-api", func(t *testing.T) { localMode(t, "-runtime-api") })
	t.Run("no-callbacks", func(t *testing.T) { localMode(t, "no-callbacks") })
}

func localMode(t *testing.T, args ...string) {
	data := t.TempDir()
	brokerAddr, ossAddr := freeAddr(t), freeAddr(t)
	callbacks := !slices.Contains(args, "no-callbacks")
	args = slices.DeleteFunc(args, func(a string) bool { return a == "no-callbacks" })
	publicURL := "" // local mode's default: its own broker
	if !callbacks {
		publicURL = "off"
	}
	cmd := exec.Command(proctest.Build(t, "."), args...)
	cmd.Env = append(os.Environ(), "BROKER_ADDR="+brokerAddr, "OSS_EMULATOR_ADDR="+ossAddr, "DEV_DATA_DIR="+data,
		"JWT_HS256_SECRET=", "OSS_ACCESS_KEY_ID=", "OSS_ACCESS_KEY_SECRET=", "FC_RUNTIME_API=", "PUBLIC_BASE_URL="+publicURL)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := &proctest.Output{}
	cmd.Stdout = stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	// Read the banner up to the presign curl line.
	lines := proctest.Lines(stderr)
	var curl string
	deadline := time.After(waitTimeout)
	for curl == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("local mode exited before printing its curl line")
			}
			if strings.Contains(l, "curl") && strings.Contains(l, "/v1/presign") {
				curl = strings.TrimSpace(l)
			}
		case <-deadline:
			t.Fatal("no curl line within the timeout")
		}
	}
	go func() {
		for range lines {
		}
	}()
	m := regexp.MustCompile(`^curl -sS --fail-with-body -X POST (\S+) -H 'Authorization: Bearer ([^']+)' -H 'Content-Type: application/json' -d '([^']+)' \| tee presign.json$`).FindStringSubmatch(curl)
	if m == nil {
		t.Fatalf("curl line not in the expected form: %s", curl)
	}
	req, _ := http.NewRequest("POST", m[1], strings.NewReader(m[3]))
	req.Header.Set("Authorization", "Bearer "+m[2])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("the printed curl line: %d %s", res.StatusCode, body)
	}
	var p struct {
		Method, URL, Key string
		Headers          map[string]string
	}
	json.Unmarshal(body, &p)
	var putBody []byte
	put := func() int {
		req, _ := http.NewRequest(p.Method, p.URL, strings.NewReader("hello\n"))
		for k, v := range p.Headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		putBody, _ = io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if s := put(); s != 200 {
		t.Fatalf("PUT to the presigned URL: %d %s", s, putBody)
	}
	var rc struct{ Verdict, DetectedType, Key string }
	json.Unmarshal(putBody, &rc)
	if _, hasCallback := p.Headers["x-oss-callback"]; hasCallback != callbacks ||
		(callbacks && (rc.Verdict != "accepted" || rc.DetectedType != "text/plain")) || (!callbacks && len(putBody) != 0) {
		t.Fatalf("callbacks %v: headers %v, PUT answered %s", callbacks, p.Headers, putBody)
	}
	if s := put(); s != 409 {
		t.Fatalf("second PUT: %d, want 409", s)
	}
	// A path with a raw byte that is not UTF-8 reaches the function as
	// U+FFFD (the trigger's JSON event cannot carry the byte): the key gate
	// refuses it, so no two such paths share one object. Every byte value,
	// sent on a raw connection (an HTTP client would percent-encode it).
	for c := 0x80; c <= 0xff; c++ {
		status, body := rawRequest(t, m[1], "PUT /v1/objects/exampledir/a"+string([]byte{byte(c)})+"b HTTP/1.1", m[2], "hi")
		if status != 400 || !strings.Contains(body, `"invalid_key"`) {
			t.Fatalf("raw byte %#x in the path: %d %s, want 400 invalid_key", c, status, body)
		}
	}
	// The upload's notification reaches local mode's own webhook sink: the
	// inspector function, on the local OSS trigger, delivered it, and the
	// sink stored it under the notification's id.
	key := p // the banner presigns a folder: the broker names the object
	delivered := regexp.MustCompile(`"msg":"notification delivered","function":"ossbroker-inspector","key":"` + regexp.QuoteMeta(key.Key) + `","notificationId":"(upl_[0-9a-f]{64})"`)
	var id []string
	for wait := time.After(waitTimeout); id == nil; {
		select {
		case <-wait:
			t.Fatalf("no notification for %s in local mode's logs:\n%s", key.Key, stdout)
		case <-time.After(10 * time.Millisecond):
			id = delivered.FindStringSubmatch(stdout.String())
		}
	}
	if !strings.Contains(stdout.String(), `"msg":"webhook stored","requestId":`) || !strings.Contains(stdout.String(), `webhooks/uploads/`+id[1]+`.json"`) {
		t.Fatalf("the notification %s is not stored in the sink:\n%s", id[1], stdout)
	}
	// The SDK's invoke loop prints a line per invocation: only the
	// runtime-API transport runs it.
	viaLoop := strings.Contains(stdout.String(), "FC Invoke Start RequestId:")
	if want := slices.Contains(args, "-runtime-api"); viaLoop != want {
		t.Fatalf("fc.Start loop used = %v, want %v", viaLoop, want)
	}
}

// rawRequest sends one request line as given (raw bytes included) to the
// host of base, with a bearer token and a body, and returns the status and
// body of the answer.
func rawRequest(t *testing.T, base, line, token, body string) (int, string) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		line, u.Host, token, len(body), body)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestRestartKeepsTheDevToken: a developer restarts make run with the same
// data folder and re-runs README's step 2 with the token the last run
// printed: it still works, and the generated secrets it needs are kept
// readable by their owner only.
func TestRestartKeepsTheDevToken(t *testing.T) {
	data := t.TempDir()
	brokerAddr, ossAddr := freeAddr(t), freeAddr(t)
	env := []string{"BROKER_ADDR=" + brokerAddr, "OSS_EMULATOR_ADDR=" + ossAddr, "DEV_DATA_DIR=" + data}
	base := "http://" + brokerAddr
	_, stop := runLocalMode(t, env...)
	res, err := http.Get(base + "/dev/token")
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	err = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if err != nil || tok.Token == "" {
		t.Fatalf("GET /dev/token: %v %+v", err, tok)
	}
	presign := func(key string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/v1/presign", strings.NewReader(`{"key":"`+key+`"}`))
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, body := presign("exampledir/before.txt"); status != 200 {
		t.Fatalf("presign before the restart: %d %s", status, body)
	}
	stop()
	logs, _ := runLocalMode(t, env...)
	if status, body := presign("exampledir/after.txt"); status != 200 {
		t.Fatalf("the last run's token after a restart: %d %s\n%s", status, body, logs)
	}
	if !strings.Contains(logs.String(), filepath.Join(data, keptFile)) {
		t.Errorf("the banner does not say where the generated secrets are kept:\n%s", logs)
	}
	fi, err := os.Stat(filepath.Join(data, keptFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", keptFile, fi.Mode().Perm())
	}
}
