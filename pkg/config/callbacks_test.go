package config

import (
	"strings"
	"testing"
)

func TestCallbacks(t *testing.T) {
	for _, tt := range []struct {
		base, action string
		wantBase     string
		wantAction   string
	}{
		{"", "", "", "delete"},
		{"https://upload.example.com", "", "https://upload.example.com", "delete"},
		{"https://upload.example.com/", "tag", "https://upload.example.com", "tag"},
		{"https://ossbroker-abc.cn-hangzhou.fcapp.run/api/", "DELETE", "https://ossbroker-abc.cn-hangzhou.fcapp.run/api", "delete"},
		{"http://127.0.0.1:9000", "", "http://127.0.0.1:9000", "delete"},
	} {
		c, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "PUBLIC_BASE_URL": tt.base, "REJECTED_UPLOADS": tt.action}))
		if err != nil {
			t.Fatalf("%q: %v", tt.base, err)
		}
		if c.Callbacks.PublicBaseURL != tt.wantBase || c.Callbacks.RejectAction != tt.wantAction || c.Callbacks.Enabled() != (tt.wantBase != "") {
			t.Errorf("%q %q: %+v", tt.base, tt.action, c.Callbacks)
		}
	}
	c, _ := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "PUBLIC_BASE_URL": "https://a.example"}))
	if c.Callbacks.URL() != "https://a.example/v1/callbacks/oss" {
		t.Errorf("URL %q", c.Callbacks.URL())
	}
	for name, v := range map[string][2]string{
		"ftp":      {"ftp://a.example", ""},
		"no host":  {"https://", ""},
		"relative": {"upload.example.com", ""},
		"query":    {"https://a.example/?x=1", ""},
		"fragment": {"https://a.example/#x", ""},
		"userinfo": {"https://u:p@a.example", ""},
		"two urls": {"https://a.example;https://b.example", ""},
		"action":   {"", "keep"},
	} {
		_, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "PUBLIC_BASE_URL": v[0], "REJECTED_UPLOADS": v[1]}))
		want := "PUBLIC_BASE_URL"
		if v[1] != "" {
			want = "REJECTED_UPLOADS"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
