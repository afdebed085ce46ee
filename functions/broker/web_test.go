package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
