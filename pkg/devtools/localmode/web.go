package main

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/config"
)

// webFiles is local mode's demo page: plain HTML, CSS and JS, no framework,
// no inline script (it runs under a strict Content-Security-Policy).
//
//go:embed web
var webFiles embed.FS

// devUser is the subject of local mode's dev tokens.
const devUser = "dev-user"

// devTokenTTL is how long a dev token lives.
const devTokenTTL = time.Hour

// devToken is GET /dev/token: what the demo page prefills.
type devToken struct {
	Token     string `json:"token"` // "" when the JWT keys are the user's own
	Sub       string `json:"sub"`
	Folder    string `json:"folder"` // the dev user's prefix
	ExpiresIn int    `json:"expiresIn"`
}

// demoPage serves the demo page at / and a fresh dev token at /dev/token.
// It exists only in local mode (broker.Config.Extra, which the broker
// consults for unauthenticated GET and HEAD outside /v1/).
func demoPage(cfg *config.Config, secret string) http.Handler {
	site, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dev/token", func(w http.ResponseWriter, r *http.Request) {
		// A dev token is a credential: hand it out on this machine only,
		// even when BROKER_ADDR listens on every interface, and only to a
		// page loaded from a loopback name: a page of another site whose
		// name is made to resolve to 127.0.0.1 (DNS rebinding) is on this
		// machine too, but its requests carry its own name in Host.
		if !fromLoopback(r) || !loopbackHost(r.Host) {
			http.Error(w, "dev tokens are served to loopback clients under a loopback host name (localhost, 127.0.0.1, [::1]) only", http.StatusForbidden)
			return
		}
		t := devToken{Sub: devUser, Folder: "exampledir/", ExpiresIn: int(devTokenTTL / time.Second)}
		if prefix, err := cfg.Prefix.Prefix(devClaims{"sub": devUser}); err == nil {
			t.Folder = prefix
		}
		if secret != "" {
			extra := map[string]any{}
			if cfg.JWT.Issuer != "" {
				extra["iss"] = cfg.JWT.Issuer
			}
			if cfg.JWT.Audience != "" {
				extra["aud"] = cfg.JWT.Audience
			}
			tok, err := auth.MintHS256([]byte(secret), devUser, devTokenTTL, extra)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			t.Token = tok
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(&t)
	})
	mux.Handle("GET /", http.FileServerFS(site))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The page talks to the broker (same origin) and to the OSS
		// server, whose origin is whatever the presigned URL says.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		mux.ServeHTTP(w, r)
	})
}

// pageOrigins are the origins a browser may show the demo page under: the
// broker's address, and for a loopback or unspecified host both
// http://127.0.0.1:<port> and http://localhost:<port>.
func pageOrigins(brokerAddr string) []string {
	host, port, err := net.SplitHostPort(brokerAddr)
	if err != nil {
		return []string{"http://" + brokerAddr}
	}
	switch ip := net.ParseIP(host); {
	case host == "localhost", host == "", ip != nil && (ip.IsLoopback() || ip.IsUnspecified()):
		out := []string{"http://127.0.0.1:" + port, "http://localhost:" + port}
		if ip != nil && ip.To4() == nil {
			out = append(out, "http://"+net.JoinHostPort(host, port))
		}
		return out
	}
	return []string{"http://" + brokerAddr}
}

// fromLoopback reports whether r came from this machine. Behind the local
// FC trigger, RemoteAddr is the event's sourceIp.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackHost reports whether a Host header names the loopback interface:
// "localhost" (any letter case, no trailing dot) or a loopback address
// literal in its usual form (127.0.0.0/8 as a dotted quad, ::1 and
// ::ffff:127.x.y.z in brackets, no zone), with or without a numeric port.
// Everything else is refused, look-alikes such as 127.0.0.1.evil.example,
// localhost.evil, 0.0.0.0 and the shorthand forms (127.1, 2130706433) that
// browsers would have rewritten to 127.0.0.1 themselves.
func loopbackHost(host string) bool {
	name := host
	if h, port, err := net.SplitHostPort(host); err == nil {
		if !validPort(port) {
			return false
		}
		name = h
		if strings.HasPrefix(host, "[") != strings.Contains(name, ":") {
			return false // IPv6 only in brackets, nothing else in them
		}
	} else if inner, ok := strings.CutPrefix(host, "["); ok {
		if name, ok = strings.CutSuffix(inner, "]"); !ok || !strings.Contains(name, ":") {
			return false
		}
	} else if strings.Contains(host, ":") {
		return false // an IPv6 literal without brackets, or a bad port
	}
	if strings.EqualFold(name, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(name)
	return err == nil && ip.Zone() == "" && ip.IsLoopback()
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for _, c := range []byte(p) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
