package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// needBrowser returns node's path when Chromium, Node and the webtest
// modules (paths under webtest/) are there. Otherwise the test skips, or
// fails under OSSBROKER_REQUIRE_BROWSER=1 (CI). "make test" installs the
// modules itself (npm ci) where Node is installed, so only Chromium is left.
func needBrowser(t *testing.T, modules ...string) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("OSSBROKER_REQUIRE_BROWSER") == "1" {
			t.Fatalf("OSSBROKER_REQUIRE_BROWSER=1 but %s", what)
		}
		t.Skipf("SKIPPED: %s. Chromium: sudo apt-get install chromium; the npm modules: make test installs them (npm ci in pkg/devtools/localmode/webtest, webtest/uppy5, webtest/uppy6)", what)
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing(chromiumPath + " is not installed")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	for _, m := range modules {
		if _, err := os.Stat(filepath.Join("webtest", m)); err != nil {
			missing("webtest/" + m + " is missing")
		}
	}
	return node
}

// ownerClient reads the local bucket with the account owner's key pair.
func ownerClient(ossAddr, id, secret string) *oss.Client {
	return oss.NewClient(oss.LoadDefaultConfig().WithRegion(testRegion).WithEndpoint("http://" + ossAddr).
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret)))
}

// bucketContents is every object of the local bucket: key to bytes.
// notificationKey is where local mode's webhook sink stores the inspector's
// notification of each upload.
var notificationKey = regexp.MustCompile(`^exampledir/webhooks/uploads/upl_[0-9a-f]{64}\.json$`)

// bucketContents is every object of the bucket but local mode's
// notifications, by key.
func bucketContents(ctx context.Context, t *testing.T, client *oss.Client) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	p := client.NewListObjectsV2Paginator(&oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket)})
	for p.HasNext() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			if notificationKey.MatchString(oss.ToString(o.Key)) {
				continue // local mode's own notification of an upload, not an upload
			}
			res, err := client.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: o.Key})
			if err != nil {
				t.Fatalf("GetObject %s: %v", oss.ToString(o.Key), err)
			}
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			out[oss.ToString(o.Key)] = b
		}
	}
	return out
}

// TestUppy runs webtest/uppy.test.mjs: Uppy 6 (6.3.1) and Uppy 5 (5.1.0),
// pinned in webtest/uppy6 and webtest/uppy5, each with the glue README.md
// gives (read from README.md, bundled by esbuild), in headless Chromium
// against local mode: a small file, a 24 MiB multipart file, a multipart
// upload cancelled after its first part, and a 48 MiB one resumed after a
// page reload. Then the OSS SDK, with the owner's key pair, checks that the
// bucket holds exactly the small, multipart and resumed files' bytes, each
// once, and nothing of the cancelled ones.
func TestUppy(t *testing.T) {
	node := needBrowser(t, "node_modules/playwright-core/package.json", "node_modules/esbuild/package.json",
		"uppy6/node_modules/@uppy/aws-s3/package.json", "uppy5/node_modules/@uppy/aws-s3/package.json")

	dir := t.TempDir()
	env := []string{}
	want := map[string][]byte{} // content by file name, for the files that must be stored
	var cancelled [][]byte
	for _, v := range []string{"6", "5"} {
		for _, f := range []struct {
			envName, name string
			size          int
			stored        bool
		}{
			{"SMALL_FILE", "small-" + v + ".txt", 0, true},
			{"BIG_FILE", "big-" + v + ".bin", 24 << 20, true},
			{"CANCEL_FILE", "cancel-" + v + ".bin", 24 << 20, false},
			{"RESUME_FILE", "resume-" + v + ".bin", 48 << 20, true},
		} {
			body := []byte("small file for Uppy " + v + ", " + time.Now().UTC().Format(time.RFC3339Nano) + "\n")
			if f.size > 0 {
				body = make([]byte, f.size)
				rand.Read(body)
			}
			p := filepath.Join(dir, f.name)
			if err := os.WriteFile(p, body, 0o600); err != nil {
				t.Fatal(err)
			}
			env = append(env, f.envName+"_"+v+"="+p)
			if f.stored {
				want[f.name] = body
			} else {
				cancelled = append(cancelled, body)
			}
		}
	}

	const ownerID, ownerSecret = "LTAI5tOwnerUppyTest", "OwnerSecretForUppyTest0"
	brokerAddr, ossAddr, data := freeAddr(t), freeAddr(t), t.TempDir()
	dev := startLocalMode(t,
		"BROKER_ADDR="+brokerAddr, "OSS_EMULATOR_ADDR="+ossAddr, "DEV_DATA_DIR="+data,
		"OSS_EMULATOR_OWNER_KEY_ID="+ownerID, "OSS_EMULATOR_OWNER_KEY_SECRET="+ownerSecret)
	// The token minters sign with the secret local mode generated (and keeps).
	kept, err := readKept(filepath.Join(data, keptFile))
	if err != nil || kept["JWT_HS256_SECRET"] == "" {
		t.Fatalf("local mode's kept JWT_HS256_SECRET: %v", err)
	}
	readme, err := filepath.Abs(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	outDir, err := filepath.Abs(filepath.Join("webtest", "out"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "--test-concurrency=1", "uppy.test.mjs")
	cmd.Dir = "webtest"
	cmd.Env = append(append(os.Environ(), env...), "BROKER_URL=http://"+brokerAddr, "README="+readme,
		"OUT_DIR="+outDir, "CHROMIUM="+chromiumPath)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("node --test uppy.test.mjs (%s):\n%s", time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("the Uppy browser test failed: %v\nlocal mode's output:\n%s", err, dev)
	}

	// The bucket holds each stored file's bytes exactly once, nothing else.
	got := bucketContents(ctx, t, ownerClient(ossAddr, ownerID, ownerSecret))
	seen := map[string]string{}
	for key, body := range got {
		matched := ""
		for name, w := range want {
			if bytes.Equal(body, w) {
				matched = name
			}
		}
		for _, c := range cancelled {
			if bytes.Equal(body, c) {
				t.Errorf("%s holds the bytes of a cancelled upload", key)
			}
		}
		if matched == "" {
			t.Errorf("%s (%d bytes) is none of the uploaded files", key, len(body))
			continue
		}
		if prev, dup := seen[matched]; dup {
			t.Errorf("%s is stored twice: %s and %s", matched, prev, key)
		}
		seen[matched] = key
	}
	for name := range want {
		if _, ok := seen[name]; !ok {
			t.Errorf("%s was not stored", name)
		}
	}
	js, _ := json.Marshal(seen)
	t.Logf("stored: %s", js)
}

// snippetModes are the documented modes every README snippet must work in,
// one local mode each: as make run starts it (notifications on, to local
// mode's own sink; upload callbacks on, so OSS answers uploads with the
// broker's receipt), upload callbacks off (PUBLIC_BASE_URL=off: no verdict
// in the upload's answer), and MAX_UPLOAD_BYTES lowered (a URL without a
// pinned length is refused).
var snippetModes = []struct {
	name string
	env  func(brokerAddr string) []string
}{
	{"default", func(string) []string { return nil }},
	{"no-receipts", func(string) []string { return []string{"PUBLIC_BASE_URL=off"} }},
	{"max-upload-10MiB", func(string) []string { return []string{"MAX_UPLOAD_BYTES=10485760"} }},
}

// TestReadmeSnippets runs, in each of snippetModes against one local mode:
// the presign and PUT lines local mode's banner prints (bash, curl, jq);
// README.md's Kotlin function, compiled once with kotlinc and run on the JVM
// (kotlin_test.go); and webtest/snippets.test.mjs, every shell and
// JavaScript snippet of README.md, read from README.md now (bash, headless
// Chromium, Node; the Uppy snippets run in TestUppy). A snippet that fails
// fails this test, so the README cannot drift from the code. The bucket then
// holds what each wrote.
func TestReadmeSnippets(t *testing.T) {
	readme, err := filepath.Abs(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var kotlin kotlinSnippet
	for _, mode := range snippetModes {
		t.Run(mode.name, func(t *testing.T) {
			const ownerID, ownerSecret = "LTAI5tOwnerSnippetTest", "OwnerSecretForSnippetTest0"
			brokerAddr, ossAddr, data := freeAddr(t), freeAddr(t), t.TempDir()
			broker := "http://" + brokerAddr
			dev := startLocalMode(t, append([]string{
				"BROKER_ADDR=" + brokerAddr, "OSS_EMULATOR_ADDR=" + ossAddr, "DEV_DATA_DIR=" + data,
				"OSS_EMULATOR_OWNER_KEY_ID=" + ownerID, "OSS_EMULATOR_OWNER_KEY_SECRET=" + ownerSecret,
			}, mode.env(brokerAddr)...)...)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			bucket := func(t *testing.T) map[string][]byte {
				return bucketContents(ctx, t, ownerClient(ossAddr, ownerID, ownerSecret))
			}

			t.Run("banner", func(t *testing.T) {
				// The banner's presign and PUT lines, as a developer pastes them.
				for deadline := time.Now().Add(waitTimeout); !strings.Contains(dev.String(), "Or upload through the broker") && time.Now().Before(deadline); {
					time.Sleep(10 * time.Millisecond) // the banner's end, after its demo page line
				}
				work := t.TempDir()
				lines := bannerCommands(dev.String())
				if len(lines) < 2 {
					t.Fatalf("the banner printed no presign and PUT lines:\n%s", dev)
				}
				sh := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", strings.Join(lines, "\n"))
				sh.Dir = work
				if err := os.WriteFile(filepath.Join(work, "hello.txt"), []byte("hello\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				if out, err := sh.CombinedOutput(); err != nil {
					t.Fatalf("the banner's lines failed: %v\n%s\n%s", err, strings.Join(lines, "\n"), out)
				}
				var presigned struct{ Key string }
				if raw, err := os.ReadFile(filepath.Join(work, "presign.json")); err != nil || json.Unmarshal(raw, &presigned) != nil {
					t.Fatalf("the banner's presign wrote no answer: %v", err)
				}
				if got := bucket(t)[presigned.Key]; string(got) != "hello\n" {
					t.Errorf("%q (the banner's upload) holds %q, want \"hello\\n\"", presigned.Key, got)
				}
			})

			t.Run("kotlin", func(t *testing.T) {
				jar := kotlin.build(t, readme)
				photo := filepath.Join(t.TempDir(), "photo.png")
				var png bytes.Buffer
				png.Write(snippetPNG)
				if err := os.WriteFile(photo, png.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				out := kotlin.run(ctx, t, jar, broker, fetchDevToken(t, broker), photo, "image/png")
				m := regexp.MustCompile(`^key=(\S+) verdict=(\S+)$`).FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("the Kotlin snippet printed %q", out)
				}
				wantVerdict := "accepted"
				if mode.name == "no-receipts" {
					wantVerdict = "null" // upload callbacks off: OSS answers without a receipt
				}
				if m[2] != wantVerdict {
					t.Errorf("verdict %s, want %s", m[2], wantVerdict)
				}
				if got := bucket(t)[m[1]]; !bytes.Equal(got, snippetPNG) {
					t.Errorf("%s holds %d bytes, not the %d of the photo", m[1], len(got), len(snippetPNG))
				}
			})

			t.Run("snippets", func(t *testing.T) {
				node := needBrowser(t, "node_modules/playwright-core/package.json")
				cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "snippets.test.mjs")
				cmd.Dir = "webtest"
				// The token minters sign with the secret local mode generated (and keeps).
				kept, err := readKept(filepath.Join(data, keptFile))
				if err != nil || kept["JWT_HS256_SECRET"] == "" {
					t.Fatalf("local mode's kept JWT_HS256_SECRET: %v", err)
				}
				cmd.Env = append(os.Environ(), "BROKER_URL="+broker, "OSS_URL=http://"+ossAddr, "README="+readme,
					"CHROMIUM="+chromiumPath, "JWT_HS256_SECRET="+kept["JWT_HS256_SECRET"])
				out, err := cmd.CombinedOutput()
				t.Logf("node --test snippets.test.mjs:\n%s", out)
				if err != nil {
					t.Fatalf("a README snippet failed: %v\nlocal mode's output:\n%s", err, dev)
				}
				if got := bucket(t)["exampledir/hello.txt"]; string(got) != "hi\n" {
					t.Errorf("exampledir/hello.txt holds %q, want the README's \"hi\\n\"", got)
				}
			})
		})
	}
}

// snippetPNG is a 1x1 PNG, the photo.png the snippets upload.
var snippetPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// fetchDevToken is local mode's dev token, from GET /dev/token.
func fetchDevToken(t *testing.T, broker string) string {
	t.Helper()
	res, err := http.Get(broker + "/dev/token")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var dev struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&dev); err != nil || dev.Token == "" {
		t.Fatalf("GET /dev/token: %v (token %q)", err, dev.Token)
	}
	return dev.Token
}

// bannerCommands is the shell lines local mode's banner gives for a
// presigned upload: the indented lines under "Presign an upload" and
// "Then PUT", in order.
func bannerCommands(banner string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(banner, "\n") {
		switch {
		case strings.HasPrefix(l, "  Presign an upload"), strings.HasPrefix(l, "  Then PUT"):
			in = true
		case in && strings.HasPrefix(l, "    "):
			out = append(out, strings.TrimSpace(l))
		default:
			in = false
		}
	}
	return out
}
