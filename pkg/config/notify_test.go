package config

import (
	"strings"
	"testing"
)

const notifySecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func TestNotifications(t *testing.T) {
	c, err := Load(env(map[string]string{"JWT_HS256_SECRET": secret}))
	if err != nil || c.Notifications.Enabled() {
		t.Fatalf("default: %+v %v", c, err)
	}
	c, err = Load(env(map[string]string{"JWT_HS256_SECRET": secret, "NOTIFICATION_URL": "https://app.example/hooks?x=1", "NOTIFICATION_SECRET": notifySecret}))
	if err != nil || !c.Notifications.Enabled() || c.Notifications.URL != "https://app.example/hooks?x=1" {
		t.Fatalf("set: %+v %v", c.Notifications, err)
	}
	for name, vars := range map[string]map[string]string{
		"url only":       {"NOTIFICATION_URL": "https://app.example/hooks"},
		"secret only":    {"NOTIFICATION_SECRET": notifySecret},
		"ftp":            {"NOTIFICATION_URL": "ftp://app.example/", "NOTIFICATION_SECRET": notifySecret},
		"relative":       {"NOTIFICATION_URL": "app.example/hooks", "NOTIFICATION_SECRET": notifySecret},
		"userinfo":       {"NOTIFICATION_URL": "https://u:pw-not-shown@app.example/", "NOTIFICATION_SECRET": notifySecret},
		"not whsec":      {"NOTIFICATION_URL": "https://app.example/", "NOTIFICATION_SECRET": "plain-secret-that-is-long-enough-0123456789"},
		"short secret":   {"NOTIFICATION_URL": "https://app.example/", "NOTIFICATION_SECRET": "whsec_c2hvcnQ="},
		"not base64 key": {"NOTIFICATION_URL": "https://app.example/", "NOTIFICATION_SECRET": "whsec_!!!!"},
	} {
		vars["JWT_HS256_SECRET"] = secret
		_, err := Load(env(vars))
		if err == nil || !strings.Contains(err.Error(), "NOTIFICATION_") {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, leak := range []string{"pw-not-shown", "plain-secret", "c2hvcnQ", "MDEyMzQ1"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: the error quotes a secret: %v", name, err)
			}
		}
	}
}

// TestLoadInspector: the inspector function needs no JWT source and reads
// none; everything else is validated as for the broker.
func TestLoadInspector(t *testing.T) {
	c, err := LoadInspector(env(map[string]string{"NOTIFICATION_URL": "https://app.example/h", "NOTIFICATION_SECRET": notifySecret}))
	if err != nil || c.JWT.HS256Secret != nil || !c.Notifications.Enabled() {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := Load(env(map[string]string{})); err == nil {
		t.Fatal("the broker loads without a JWT source")
	}
	if _, err := LoadInspector(env(map[string]string{"REJECTED_UPLOADS": "keep"})); err == nil {
		t.Fatal("the inspector skips validation")
	}
}
