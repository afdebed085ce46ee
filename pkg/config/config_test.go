package config

import (
	"strings"
	"testing"
	"time"
)

const secret = "0123456789abcdef0123456789abcdef"

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != "examplebucket" || c.Region != "cn-hangzhou" ||
		c.Endpoint != "https://oss-cn-hangzhou.aliyuncs.com" || c.PathStyle {
		t.Errorf("OSS defaults: %+v", c)
	}
	if c.Prefix.Template() != "exampledir/" {
		t.Errorf("prefix = %q", c.Prefix.Template())
	}
	if c.PresignTTL != 15*time.Minute || c.PresignMaxTTL != time.Hour {
		t.Errorf("TTLs = %v / %v", c.PresignTTL, c.PresignMaxTTL)
	}
	if c.MaxUploadBytes != 5<<30 || c.MaxDirectUploadBytes != 5<<20 {
		t.Errorf("sizes = %d / %d", c.MaxUploadBytes, c.MaxDirectUploadBytes)
	}
	if c.JWT.Leeway != 30*time.Second || string(c.JWT.HS256Secret) != secret {
		t.Errorf("JWT = %+v", c.JWT)
	}
	if !c.ContentTypes.Any() {
		t.Error("content types should default to any")
	}
	if c.AllowDownloads {
		t.Error("downloads must be off unless ALLOW_DOWNLOADS is set")
	}
}

func TestValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"JWT_PUBLIC_KEY":          `-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----`,
		"OSS_ENDPOINT":            "http://127.0.0.1:9100",
		"UPLOAD_PREFIX":           "uploads/{sub}/",
		"ALLOWED_CONTENT_TYPES":   "image/*, application/pdf",
		"MAX_DIRECT_UPLOAD_BYTES": "1 MiB",
		"MAX_UPLOAD_BYTES":        "100MB",
		"PRESIGN_TTL":             "5m",
		"ALLOWED_ORIGINS":         "http://127.0.0.1:9000, https://App.example.com",
		"LOG_LEVEL":               "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.PathStyle || c.Endpoint != "http://127.0.0.1:9100" {
		t.Errorf("endpoint = %q pathStyle=%v", c.Endpoint, c.PathStyle)
	}
	if !strings.Contains(string(c.JWT.PublicKeyPEM), "\nMFkw\n") {
		t.Errorf("PEM escapes not expanded: %q", c.JWT.PublicKeyPEM)
	}
	if c.MaxDirectUploadBytes != 1<<20 || c.MaxUploadBytes != 100e6 {
		t.Errorf("sizes = %d / %d", c.MaxDirectUploadBytes, c.MaxUploadBytes)
	}
	if !c.ContentTypes.Allows("image/png") || c.ContentTypes.Allows("text/plain") {
		t.Error("content type allowlist not applied")
	}
	if got := strings.Join(c.AllowedOrigins, " "); got != "http://127.0.0.1:9000 https://app.example.com" {
		t.Errorf("origins = %q", got)
	}
	if c.LogLevel.String() != "DEBUG" {
		t.Errorf("level = %v", c.LogLevel)
	}
}

// Each bad value must fail startup with an error naming its variable.
func TestBadValues(t *testing.T) {
	tests := []struct {
		name, variable, value string
	}{
		{"short secret", "JWT_HS256_SECRET", "too-short"},
		{"bucket", "OSS_BUCKET", "Bad_Bucket"},
		{"region", "OSS_REGION", "cn hangzhou"},
		{"endpoint scheme", "OSS_ENDPOINT", "ftp://x"},
		{"endpoint path", "OSS_ENDPOINT", "https://x/y"},
		{"prefix without slash", "UPLOAD_PREFIX", "exampledir"},
		{"prefix traversal", "UPLOAD_PREFIX", "../exampledir/"},
		{"content types", "ALLOWED_CONTENT_TYPES", "image"},
		{"ttl syntax", "PRESIGN_TTL", "15"},
		{"ttl over max", "PRESIGN_TTL", "2h"},
		{"max ttl over 7d", "PRESIGN_MAX_TTL", "169h"},
		{"size syntax", "MAX_UPLOAD_BYTES", "lots"},
		{"size over 5GiB", "MAX_UPLOAD_BYTES", "6GiB"},
		{"direct over limit", "MAX_DIRECT_UPLOAD_BYTES", "30MiB"},
		{"direct zero", "MAX_DIRECT_UPLOAD_BYTES", "0"},
		{"origin with path", "ALLOWED_ORIGINS", "https://a.example/x"},
		{"log level", "LOG_LEVEL", "loud"},
		{"leeway", "JWT_LEEWAY", "1h"},
		{"half a key pair", "OSS_ACCESS_KEY_ID", "LTAIxxxx"},
		{"jwks url", "JWT_JWKS_URL", "not a url"},
		{"downloads", "ALLOW_DOWNLOADS", "yes please"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := map[string]string{"JWT_HS256_SECRET": secret, tt.variable: tt.value}
			if tt.variable == "JWT_JWKS_URL" {
				delete(kv, "JWT_HS256_SECRET")
			}
			_, err := Load(env(kv))
			if err == nil {
				t.Fatalf("%s=%q accepted", tt.variable, tt.value)
			}
			if !strings.Contains(err.Error(), tt.variable) {
				t.Errorf("error %q does not name %s", err, tt.variable)
			}
		})
	}
}

func TestExactlyOneKeySource(t *testing.T) {
	for _, kv := range []map[string]string{
		{},
		{"JWT_HS256_SECRET": secret, "JWT_JWKS": `{"keys":[]}`},
	} {
		_, err := Load(env(kv))
		if err == nil {
			t.Fatalf("%v accepted", kv)
		}
		for _, name := range []string{"JWT_HS256_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS_URL", "JWT_JWKS"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
			}
		}
	}
}

func TestAllErrorsReported(t *testing.T) {
	_, err := Load(env(map[string]string{"JWT_HS256_SECRET": "x", "OSS_BUCKET": "B", "LOG_LEVEL": "loud"}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{"JWT_HS256_SECRET", "OSS_BUCKET", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
