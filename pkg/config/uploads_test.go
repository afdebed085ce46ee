package config

import (
	"strings"
	"testing"
	"time"
)

func TestScopesAndMultipartDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Scopes.Claim != "scope" || c.Scopes.Require {
		t.Errorf("scopes = %+v", c.Scopes)
	}
	if c.Multipart.TTL != 24*time.Hour || c.Multipart.MaxBytes != 10000*(5<<30) {
		t.Errorf("multipart = %+v", c.Multipart)
	}
	// No handle secret and no AccessKey pair: derived from the JWT secret.
	if c.Multipart.HandleSecretFrom != "JWT_HS256_SECRET" || string(c.Multipart.HandleSecret) != secret {
		t.Errorf("handle secret from %q", c.Multipart.HandleSecretFrom)
	}
}

func TestHandleSecretSource(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		from string
	}{
		{map[string]string{"JWT_HS256_SECRET": secret, "MULTIPART_HANDLE_SECRET": secret + "-handle",
			"OSS_ACCESS_KEY_ID": "LTAI5t", "OSS_ACCESS_KEY_SECRET": "abcdefghijklmnopqrstuvwxyz0123"}, "MULTIPART_HANDLE_SECRET"},
		{map[string]string{"JWT_HS256_SECRET": secret,
			"OSS_ACCESS_KEY_ID": "LTAI5t", "OSS_ACCESS_KEY_SECRET": "abcdefghijklmnopqrstuvwxyz0123"}, "OSS_ACCESS_KEY_SECRET"},
		{map[string]string{"JWT_HS256_SECRET": secret}, "JWT_HS256_SECRET"},
		// STS credentials and a JWKS: nothing to derive from, multipart off.
		{map[string]string{"JWT_JWKS": `{"keys":[]}`}, ""},
	} {
		c, err := Load(env(tt.env))
		if err != nil {
			t.Fatal(err)
		}
		if c.Multipart.HandleSecretFrom != tt.from || (tt.from == "") != (c.Multipart.HandleSecret == nil) {
			t.Errorf("%v: from %q, want %q", tt.env, c.Multipart.HandleSecretFrom, tt.from)
		}
	}
}

func TestScopesAndMultipartValues(t *testing.T) {
	c, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "REQUIRE_SCOPES": "true", "JWT_SCOPE_CLAIM": "permissions",
		"MULTIPART_TTL": "2h", "MAX_MULTIPART_BYTES": "100GiB"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Scopes.Require || c.Scopes.Claim != "permissions" || c.Multipart.TTL != 2*time.Hour || c.Multipart.MaxBytes != 100<<30 {
		t.Errorf("%+v %+v", c.Scopes, c.Multipart)
	}
}

func TestScopesAndMultipartErrors(t *testing.T) {
	_, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "REQUIRE_SCOPES": "sometimes", "JWT_SCOPE_CLAIM": "a b",
		"MULTIPART_TTL": "30s", "MAX_MULTIPART_BYTES": "60000GiB", "MULTIPART_HANDLE_SECRET": "short"}))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"REQUIRE_SCOPES", "JWT_SCOPE_CLAIM", "MULTIPART_TTL", "MAX_MULTIPART_BYTES", "MULTIPART_HANDLE_SECRET"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if strings.Contains(err.Error(), "short") {
		t.Errorf("error quotes the secret: %v", err)
	}
}

// The values s.yaml passes when nothing is exported are valid.
func TestScopesAndMultipartSYamlDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret, "REQUIRE_SCOPES": "false", "JWT_SCOPE_CLAIM": "scope",
		"MULTIPART_HANDLE_SECRET": "", "MULTIPART_TTL": "24h", "MAX_MULTIPART_BYTES": "50000GiB"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Multipart.MaxBytes != MaxMultipartBytes || c.Multipart.HandleSecretFrom != "JWT_HS256_SECRET" {
		t.Errorf("%+v", c.Multipart)
	}
}
