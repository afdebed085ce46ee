package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/config"
)

func TestDevTokenOnlyForLoopback(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"JWT_HS256_SECRET": testSecret}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	h := demoPage(cfg, testSecret)
	for _, tt := range []struct {
		remote string
		status int
	}{
		{"127.0.0.1:51000", 200},
		{"[::1]:51000", 200},
		{"203.0.113.7:0", 403},
		{"192.0.2.1:51000", 403},
		{"garbage", 403},
	} {
		req := httptest.NewRequest("GET", "/dev/token", nil)
		req.RemoteAddr = tt.remote
		req.Host = "127.0.0.1:9000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("%s: %d, want %d", tt.remote, rec.Code, tt.status)
			continue
		}
		if tt.status == http.StatusOK {
			var tok devToken
			if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.Token == "" || tok.Sub != devUser {
				t.Errorf("%s: token %+v %v", tt.remote, tok, err)
			}
		}
	}
}

// TestDevTokenOnlyUnderLoopbackHost sweeps Host values, each bare and with
// ports good and bad: only loopback names and addresses get a token, even
// from a loopback client (a DNS-rebinding page is one: its requests come
// from this machine under the page's own name).
func TestDevTokenOnlyUnderLoopbackHost(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"JWT_HS256_SECRET": testSecret}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	h := demoPage(cfg, testSecret)
	loopback := []string{
		"localhost", "LOCALHOST", "LocalHost", "127.0.0.1", "127.0.0.2", "127.1.2.3", "127.255.255.254",
		"[::1]", "[0:0:0:0:0:0:0:1]", "[0000::1]", "[::ffff:127.0.0.1]",
	}
	other := []string{
		"", "evil.example", "127.0.0.1.evil.example", "127.0.0.1.nip.io", "localhost.evil", "localhost.evil.example",
		"evil.localhost.example", "localhost.", "127.0.0.1.", "sub.localhost", "xlocalhost", "localhostx",
		"0.0.0.0", "[::]", "0", "127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "017700000001",
		"127.000.000.001", "128.0.0.1", "126.255.255.255", "10.0.0.1", "192.168.1.2", "169.254.0.1", "[fe80::1]",
		"[::1%25lo]", "[::1%lo]", "::1", "[::2]", "[::ffff:10.0.0.1]", "[127.0.0.1]", "[localhost]", "[::1", "::1]",
		"localhost\x00", "local\u0127host", "127.0.0.1\t", " 127.0.0.1", "127.0.0.1 ", "127.0.0.1@evil.example",
		"evil.example#127.0.0.1", "user@localhost", "localhost/", "%6cocalhost", "ｌｏｃａｌｈｏｓｔ", "１２７.０.０.１",
	}
	ports := []string{"", ":9000", ":1", ":65535"}
	badPorts := []string{":", ":abc", ":-1", ":9000:9000", ":123456", ": 9000", ":9000 "}
	check := func(host string, want int) {
		req := httptest.NewRequest("GET", "/dev/token", nil)
		req.RemoteAddr = "127.0.0.1:51000"
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %q: %d, want %d", host, rec.Code, want)
		}
	}
	for _, base := range loopback {
		for _, p := range ports {
			check(base+p, http.StatusOK)
		}
		for _, p := range badPorts {
			check(base+p, http.StatusForbidden)
		}
	}
	for _, base := range other {
		for _, p := range append(ports, badPorts...) {
			check(base+p, http.StatusForbidden)
		}
	}
	// Every byte value appended to or put in front of a loopback name.
	for c := 0; c < 256; c++ {
		if c >= '0' && c <= '9' {
			continue // 127.0.0.1 + digit is another address, checked above
		}
		for _, base := range []string{"localhost", "127.0.0.1", "[::1]"} {
			check(base+string(rune(c)), http.StatusForbidden)
			check(string([]byte{byte(c)})+base, http.StatusForbidden)
		}
	}
}

func TestPageOrigins(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:9000":   "http://127.0.0.1:9000 http://localhost:9000",
		"localhost:9000":   "http://127.0.0.1:9000 http://localhost:9000",
		":9000":            "http://127.0.0.1:9000 http://localhost:9000",
		"[::1]:9000":       "http://127.0.0.1:9000 http://localhost:9000 http://[::1]:9000",
		"192.0.2.10:9000":  "http://192.0.2.10:9000",
		"dev.example:9000": "http://dev.example:9000",
	} {
		if got := strings.Join(pageOrigins(addr), " "); got != want {
			t.Errorf("pageOrigins(%q) = %q, want %q", addr, got, want)
		}
	}
}
