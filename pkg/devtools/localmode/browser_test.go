package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossbroker/ossbroker/pkg/devtools/proctest"
	"github.com/ossbroker/ossbroker/pkg/inspect"
	"github.com/ossbroker/ossbroker/pkg/notify"
)

// chromiumPath is Debian's chromium package (apt-get install chromium).
const chromiumPath = "/usr/bin/chromium"

// TestBrowser runs local mode's demo page in headless Chromium
// (webtest/browser.test.mjs, playwright-core): a small text file and a
// 20 MiB binary file go cross-origin to the local OSS server through the
// bucket CORS rule, with progress; a key outside the prefix shows the 403;
// an origin the rule does not list cannot upload; a 64 MiB file goes as a
// multipart upload (8 presigned parts, one overall bar); a POST form
// uploads a file of exactly its size limit, and OSS refuses one byte more;
// a real PNG and HTML disguised as a PNG come back with their receipts
// (upload callbacks), accepted and rejected, and the disguised one is gone; a
// 72 MiB multipart upload cut short by a page reload resumes, sending only
// the parts OSS does not hold yet (POST /v1/multipart/list); a 40 MiB
// multipart upload survives a 2 s network cut (parts retried); a cancelled
// one leaves no multipart upload in the bucket though its first abort
// request failed; three files dropped on the page upload two at a time.
// Then the OSS SDK, with the owner's key pair, checks that the bucket holds
// exactly the uploaded files' bytes and nothing else.
//
// Without Chromium or webtest/node_modules (npm ci) the test skips, unless
// OSSBROKER_REQUIRE_BROWSER=1 (CI), which makes that a failure.
func TestBrowser(t *testing.T) {
	node := needBrowser(t, "node_modules/playwright-core/package.json")

	// The files: a small text file and 20 MiB of random bytes.
	dir := t.TempDir()
	text := []byte("hello from a real browser, " + time.Now().UTC().Format(time.RFC3339Nano) + "\n")
	big := make([]byte, 20<<20)
	rand.Read(big)
	want := map[string][]byte{"hello.txt": text, "random-20MiB.bin": big}
	wantType := map[string]string{"hello.txt": "text/plain", "random-20MiB.bin": "application/octet-stream"}
	paths := []string{filepath.Join(dir, "hello.txt"), filepath.Join(dir, "random-20MiB.bin")}
	for _, p := range paths {
		if err := os.WriteFile(p, want[filepath.Base(p)], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Multipart and POST-form files: 64 MiB of random bytes (over the
	// page's 32 MiB threshold), and for a form limited to 64 KiB a text
	// file of exactly 64 KiB (accepted: content-length-range bounds the
	// file, not the form around it) and 64 KiB + 1 byte (refused by OSS,
	// never stored).
	huge := make([]byte, 64<<20)
	rand.Read(huge)
	formText := bytes.Repeat([]byte("sent as a POST form\n"), 64<<10)[:64<<10]
	tooBig := make([]byte, 64<<10+1)
	rand.Read(tooBig)
	resume := make([]byte, 72<<20)
	rand.Read(resume)
	extra := map[string][]byte{"random-64MiB.bin": huge, "form.txt": formText, "too-big.bin": tooBig, "resume-72MiB.bin": resume}
	// A 40 MiB multipart upload through a network drop, one cancelled, and
	// three files dropped on the page at once.
	dropped := []string{"dropped-1.bin", "dropped-2.bin", "dropped-3.bin"}
	for name, size := range map[string]int{"offline-40MiB.bin": 40 << 20, "cancel-40MiB.bin": 40 << 20,
		dropped[0]: 1 << 20, dropped[1]: 1 << 20, dropped[2]: 1 << 20} {
		extra[name] = make([]byte, size)
		rand.Read(extra[name])
	}
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Upload callbacks (on in local mode): a real PNG, and HTML disguised
	// as one (the browser declares image/png for both, from the name).
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewRGBA(image.Rect(0, 0, 32, 32))); err != nil {
		t.Fatal(err)
	}
	extra["photo.png"] = pngBuf.Bytes()
	extra["disguised.png"] = []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n")
	for _, name := range []string{"photo.png", "disguised.png"} {
		if err := os.WriteFile(filepath.Join(dir, name), extra[name], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want["photo.png"], wantType["photo.png"] = extra["photo.png"], "image/png"
	want["random-64MiB.bin"], wantType["random-64MiB.bin"] = huge, "application/octet-stream"
	want["form.txt"], wantType["form.txt"] = extra["form.txt"], "text/plain"
	want["resume-72MiB.bin"], wantType["resume-72MiB.bin"] = resume, "application/octet-stream"
	want["offline-40MiB.bin"], wantType["offline-40MiB.bin"] = extra["offline-40MiB.bin"], "application/octet-stream"
	var droppedPaths []string
	for _, name := range dropped {
		want[name], wantType[name] = extra[name], "application/octet-stream"
		droppedPaths = append(droppedPaths, filepath.Join(dir, name))
	}
	droppedJSON, _ := json.Marshal(droppedPaths)

	const ownerID, ownerSecret = "LTAI5tOwnerBrowserTest", "OwnerSecretForBrowserTest0"
	brokerAddr, ossAddr := freeAddr(t), freeAddr(t)
	dev := startLocalMode(t,
		"BROKER_ADDR="+brokerAddr, "OSS_EMULATOR_ADDR="+ossAddr, "DEV_DATA_DIR="+t.TempDir(),
		"OSS_EMULATOR_OWNER_KEY_ID="+ownerID, "OSS_EMULATOR_OWNER_KEY_SECRET="+ownerSecret,
		// Local mode's defaults: upload callbacks on (the local OSS server
		// calls the broker back), rejected uploads quarantined.
		"PUBLIC_BASE_URL=", "REJECTED_UPLOADS=")

	outDir, err := filepath.Abs(filepath.Join("webtest", "out"))
	if err != nil {
		t.Fatal(err)
	}
	resultFile := filepath.Join(t.TempDir(), "result.json")
	filesJSON, _ := json.Marshal(paths)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "browser.test.mjs")
	cmd.Dir = "webtest"
	cmd.Env = append(os.Environ(), "BROKER_URL=http://"+brokerAddr, "UPLOAD_FILES="+string(filesJSON),
		"OUT_DIR="+outDir, "RESULT_FILE="+resultFile, "CHROMIUM="+chromiumPath,
		"MULTIPART_FILE="+filepath.Join(dir, "random-64MiB.bin"), "FORM_FILE="+filepath.Join(dir, "form.txt"),
		"FORM_BIG_FILE="+filepath.Join(dir, "too-big.bin"),
		"GOOD_FILE="+filepath.Join(dir, "photo.png"), "DISGUISED_FILE="+filepath.Join(dir, "disguised.png"), "RESUME_FILE="+filepath.Join(dir, "resume-72MiB.bin"),
		"OFFLINE_FILE="+filepath.Join(dir, "offline-40MiB.bin"), "CANCEL_FILE="+filepath.Join(dir, "cancel-40MiB.bin"),
		"DROP_FILES="+string(droppedJSON))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("node --test browser.test.mjs (%s):\n%s", time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("the browser test failed: %v\nlocal mode's output:\n%s", err, dev)
	}
	raw, err := os.ReadFile(resultFile)
	if err != nil {
		t.Fatalf("the browser test wrote no result: %v", err)
	}
	var result struct {
		Uploads   map[string]string
		Refused   []string
		Cancelled []string
	}
	if err := json.Unmarshal(raw, &result); err != nil {
		t.Fatal(err)
	}

	// What the bucket holds, read with the owner's key pair.
	client := oss.NewClient(oss.LoadDefaultConfig().WithRegion(testRegion).WithEndpoint("http://" + ossAddr).
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ownerID, ownerSecret)))
	var wantKeys []string
	for name, body := range want {
		key, ok := result.Uploads[name]
		if !ok {
			t.Fatalf("the page reported no key for %s: %s", name, raw)
		}
		wantKeys = append(wantKeys, key)
		res, err := client.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
		if err != nil {
			t.Fatalf("GetObject %s: %v", key, err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, body) {
			t.Errorf("%s holds %d bytes that differ from the %d uploaded", key, len(got), len(body))
		}
		if ct := oss.ToString(res.ContentType); ct != wantType[name] {
			t.Errorf("%s: Content-Type %q, want %q", key, ct, wantType[name])
		}
	}
	// A cancelled multipart upload is gone from the bucket: its abort
	// reached the broker, so OSS lists no upload in progress for the key.
	if len(result.Cancelled) == 0 {
		t.Error("the page reported no cancelled upload")
	}
	for _, key := range result.Cancelled {
		list, err := client.ListMultipartUploads(ctx, &oss.ListMultipartUploadsRequest{Bucket: oss.Ptr(testBucket), Prefix: oss.Ptr(key)})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range list.Uploads {
			t.Errorf("cancelled %s: multipart upload %s is still in the bucket", key, oss.ToString(u.UploadId))
		}
	}
	for _, key := range append(result.Refused, result.Cancelled...) {
		_, err := client.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
		var se *oss.ServiceError
		if !errors.As(err, &se) || se.StatusCode != 404 {
			t.Errorf("refused upload %s: HEAD says %v, want 404", key, err)
		}
	}
	// Local mode notifies every upload to its own webhook sink (the
	// inspector function on the local OSS trigger, asynchronously): each
	// stored upload's notification appears under its id.
	for _, key := range wantKeys {
		head, err := client.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key)})
		if err != nil {
			t.Fatalf("HEAD %s: %v", key, err)
		}
		note := "exampledir/webhooks/uploads/" + notify.ID(testBucket, key, oss.ToString(head.ETag), inspect.MetaValue(head.Metadata, notify.UploadMeta)) + ".json"
		for deadline := time.Now().Add(waitTimeout); ; {
			if _, err := client.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(note)}); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no notification of %s stored in local mode's sink", key)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	list, err := client.ListObjectsV2(ctx, &oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	noteKey := regexp.MustCompile(`^exampledir/webhooks/uploads/upl_[0-9a-f]{64}\.json$`)
	quarantined := 0
	for _, o := range list.Contents {
		k := oss.ToString(o.Key)
		switch {
		case noteKey.MatchString(k):
		case strings.HasPrefix(k, inspect.QuarantineFolder):
			// A refused upload, moved out of the prefix (never deleted).
			if !slices.ContainsFunc(result.Refused, func(r string) bool { return strings.HasSuffix(k, "/"+r) }) {
				t.Errorf("%s is in the quarantine, but no upload was refused under that key", k)
			}
			quarantined++
		default:
			keys = append(keys, k)
		}
	}
	if quarantined != 1 {
		t.Errorf("%d objects in the quarantine, want 1 (the disguised PNG; the other refusals stored nothing)", quarantined)
	}
	slices.Sort(keys)
	slices.Sort(wantKeys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("the bucket holds %v, want exactly %v", keys, wantKeys)
	}
	if _, err := os.Stat(filepath.Join(outDir, "uploads.png")); err != nil {
		t.Errorf("no screenshot: %v", err)
	}
}

// startLocalMode runs local mode ("make run") and waits for its banner's demo page
// line. The returned buffer holds everything it printed.
// localModeClean clears what a developer's environment could bring into
// a test's local mode; env given to startLocalMode comes after it.
var localModeClean = []string{
	"OSS_ACCESS_KEY_ID=", "OSS_ACCESS_KEY_SECRET=", "OSS_ENDPOINT=", "ALLOWED_ORIGINS=", "UPLOAD_PREFIX=",
	"ALLOWED_CONTENT_TYPES=", "JWT_HS256_SECRET=", "JWT_PUBLIC_KEY=", "JWT_JWKS_URL=", "JWT_JWKS=",
	"JWT_ISSUER=", "JWT_AUDIENCE=", "FC_RUNTIME_API=",
}

func startLocalMode(t *testing.T, env ...string) *proctest.Output {
	t.Helper()
	logs, _ := runLocalMode(t, env...)
	return logs
}

// runLocalMode is startLocalMode that also returns a stop: SIGTERM, then
// the wait for local mode to exit, as a developer's Ctrl-C does.
func runLocalMode(t *testing.T, env ...string) (*proctest.Output, func()) {
	t.Helper()
	cmd := exec.Command(proctest.Build(t, "."))
	cmd.Env = append(append(os.Environ(), localModeClean...), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &proctest.Output{}
	cmd.Stdout = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := false
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
			if !seen && strings.Contains(sc.Text(), "demo page") {
				seen = true
				close(ready)
			}
		}
		io.Copy(logs, stderr)
	}()
	select {
	case <-ready:
	case <-time.After(waitTimeout):
		t.Fatalf("local mode did not print its demo page line within %s:\n%s", waitTimeout, logs)
	}
	return logs, func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }
}
