package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The jars README.md's Kotlin snippet compiles against, as Debian installs
// them (apt-get install kotlin libokhttp-java libandroid-json-java): OkHttp
// 3.13 with its okio, and Android's own org.json.
var kotlinJars = []string{"/usr/share/java/okhttp.jar", "/usr/share/java/okio.jar", "/usr/share/java/com.android.json.jar"}

// okhttp4Imports are the snippet's imports of OkHttp 4's extension
// functions; kotlintest/okhttp4.kt defines them for OkHttp 3 in the default
// package, so the test drops these lines.
var okhttp4Imports = regexp.MustCompile(`(?m)^import okhttp3\.(MediaType|RequestBody)\.Companion\.\w+\n`)

// kotlinSnippet compiles README.md's kotlin block once per test run
// (kotlinc starts a JVM: tens of seconds) with the harness in kotlintest/.
type kotlinSnippet struct {
	once sync.Once
	jar  string
	err  error
}

// build returns the jar, compiling it on first use; without kotlinc, java
// or the jars the test skips, or fails under OSSBROKER_REQUIRE_KOTLIN=1 (CI).
func (k *kotlinSnippet) build(t *testing.T, readme string) string {
	t.Helper()
	missing := []string{}
	for _, tool := range []string{"kotlinc", "java"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	for _, jar := range kotlinJars {
		if _, err := os.Stat(jar); err != nil {
			missing = append(missing, jar)
		}
	}
	if len(missing) > 0 {
		what := "the README's Kotlin snippet did not run: " + strings.Join(missing, ", ") + " missing"
		if os.Getenv("OSSBROKER_REQUIRE_KOTLIN") == "1" {
			t.Fatalf("OSSBROKER_REQUIRE_KOTLIN=1 but %s", what)
		}
		t.Skipf("SKIPPED: %s. Install: sudo apt-get install kotlin libokhttp-java libandroid-json-java "+
			"(.ci/run does, and makes this skip a failure with OSSBROKER_REQUIRE_KOTLIN=1)", what)
	}
	k.once.Do(func() {
		src, err := readmeBlock(readme, "kotlin")
		if err != nil {
			k.err = err
			return
		}
		dir, err := os.MkdirTemp("", "ossbroker-kotlin-")
		if err != nil {
			k.err = err
			return
		}
		snippet := filepath.Join(dir, "snippet.kt")
		if k.err = os.WriteFile(snippet, []byte(okhttp4Imports.ReplaceAllString(src, "")), 0o600); k.err != nil {
			return
		}
		harness, _ := filepath.Glob(filepath.Join("kotlintest", "*.kt"))
		k.jar = filepath.Join(dir, "snippet.jar")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		args := append([]string{"-nowarn", "-cp", strings.Join(kotlinJars, ":"), "-include-runtime", "-d", k.jar, snippet}, harness...)
		start := time.Now()
		if out, err := exec.CommandContext(ctx, "kotlinc", args...).CombinedOutput(); err != nil {
			k.err = fmt.Errorf("kotlinc: %v\n%s", err, out)
		}
		t.Logf("kotlinc compiled README.md's Kotlin snippet in %s", time.Since(start).Round(time.Millisecond))
	})
	if k.err != nil {
		t.Fatal(k.err)
	}
	return k.jar
}

// run uploads file (as a content:// URI typed contentType) with the
// compiled snippet and returns what it printed: "key=... verdict=...".
func (k *kotlinSnippet) run(ctx context.Context, t *testing.T, jar, broker, token, file, contentType string) string {
	t.Helper()
	cp := strings.Join(append([]string{jar}, kotlinJars...), ":")
	cmd := exec.CommandContext(ctx, "java", "-cp", cp, "MainKt", broker, token, file, contentType)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the Kotlin snippet failed: %v\n%s%s", err, out, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// readmeBlock is the one fenced block of lang in the README at path.
func readmeBlock(path, lang string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile("(?ms)^```"+lang+"\n(.*?)^```$").FindAllStringSubmatch(string(raw), -1)
	if len(m) != 1 {
		return "", fmt.Errorf("README.md has %d %s blocks, want 1", len(m), lang)
	}
	return m[0][1], nil
}
