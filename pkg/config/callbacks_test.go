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
		{"", "", "", "quarantine"},
		{"https://upload.example.com", "", "https://upload.example.com", "quarantine"},
		{"https://upload.example.com", "Quarantine", "https://upload.example.com", "quarantine"},
		{"https://upload.example.com/", "tag", "https://upload.example.com", "tag"},
		{"https://ossbroker-abc.cn-hangzhou.fcapp.run/api/", "DELETE", "https://ossbroker-abc.cn-hangzhou.fcapp.run/api", "delete"},
		{"http://127.0.0.1:9000", "", "http://127.0.0.1:9000", "quarantine"},
	} {
		c, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "PUBLIC_BASE_URL": tt.base, "REJECTED_UPLOADS": tt.action}))
		if err != nil {
			t.Fatalf("%q: %v", tt.base, err)
		}
		if c.Callbacks.PublicBaseURL != tt.wantBase || c.Callbacks.RejectAction != tt.wantAction || c.Callbacks.Enabled() != (tt.wantBase != "") {
			t.Errorf("%q %q: %+v", tt.base, tt.action, c.Callbacks)
		}
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

// TestPublicBaseURLRedacted: a refused PUBLIC_BASE_URL is quoted as the
// other URL-valued variables are, without userinfo, query or fragment.
func TestPublicBaseURLRedacted(t *testing.T) {
	for _, v := range []string{
		"https://AK:SECRETPW@up.example.com", "https://up.example.com?token=SECRETQ", "https://up.example.com#SECRETF",
		"ftp://u:SECRETFTP@up.example.com", "https://SECRET SPACE@up.example.com", "SECRETBARE",
	} {
		_, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "PUBLIC_BASE_URL": v}))
		if err == nil || !strings.Contains(err.Error(), "PUBLIC_BASE_URL") || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("PUBLIC_BASE_URL=%q: %v", v, err)
		}
	}
}

// TestCallbacksNeedASecret: callback tickets are MACs under a key derived
// from the handle secret; with none to derive from (STS credentials and a
// JWKS), PUBLIC_BASE_URL is a startup error, not callbacks anyone can forge.
func TestCallbacksNeedASecret(t *testing.T) {
	_, err := Load(env(map[string]string{"JWT_JWKS": `{"keys":[]}`, "PUBLIC_BASE_URL": "https://a.example"}))
	if err == nil || !strings.Contains(err.Error(), "PUBLIC_BASE_URL") || !strings.Contains(err.Error(), "MULTIPART_HANDLE_SECRET") {
		t.Fatalf("PUBLIC_BASE_URL without a secret: %v", err)
	}
	c, err := Load(env(map[string]string{"JWT_JWKS": `{"keys":[]}`, "PUBLIC_BASE_URL": "https://a.example",
		"MULTIPART_HANDLE_SECRET": strings.Repeat("k", MinHandleSecret)}))
	if err != nil || !c.Callbacks.Enabled() {
		t.Fatalf("with MULTIPART_HANDLE_SECRET: %v", err)
	}
	// The inspector function reads no JWT and needs no ticket key.
	if _, err := LoadInspector(env(map[string]string{"PUBLIC_BASE_URL": "https://a.example"})); err != nil {
		t.Fatalf("inspector: %v", err)
	}
}

// TestQuarantineOutsidePrefix: quarantine mode refuses an upload prefix
// that covers the quarantine folder (a prefix that starts with a
// placeholder, or the folder itself): uploaders could read or overwrite
// what was moved out of their reach.
func TestQuarantineOutsidePrefix(t *testing.T) {
	for _, tt := range []struct {
		prefix, action string
		ok             bool
	}{
		{"exampledir/", "", true},
		{"{sub}/", "", false},
		{"ossbroker-quarantine/", "", false},
		{"{sub}/", "delete", true},
		{"{sub}/", "tag", true},
	} {
		_, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "UPLOAD_PREFIX": tt.prefix, "REJECTED_UPLOADS": tt.action}))
		if (err == nil) != tt.ok {
			t.Errorf("prefix %q, %q: %v", tt.prefix, tt.action, err)
		}
	}
}
