package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/config"
)

func loader(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestPrintOSSConfig(t *testing.T) {
	vars := map[string]string{
		"JWT_HS256_SECRET": testSecret, "OSS_BUCKET": "uploads-prod", "UPLOAD_PREFIX": "users/{sub}/",
		"ALLOWED_ORIGINS": "https://app.example.com, https://admin.example.com",
	}
	var out, errOut bytes.Buffer
	if code := printOSSConfig(&out, &errOut, loader(vars), true, false); code != 0 {
		t.Fatalf("-print-ram-policy: exit %d: %s", code, errOut.String())
	}
	var policy struct {
		Version   string
		Statement []struct{ Effect, Action, Resource any }
	}
	if err := json.Unmarshal(out.Bytes(), &policy); err != nil {
		t.Fatalf("-print-ram-policy printed no JSON: %v\n%s", err, out.String())
	}
	// Uploads only (PutObject, and multipart's ListParts and abort: the
	// HS256 secret gives a handle key): no read access unless
	// ALLOW_DOWNLOADS.
	if policy.Version != "1" || len(policy.Statement) != 1 ||
		!strings.Contains(out.String(), `"acs:oss:*:*:uploads-prod/users/*/*"`) || !strings.Contains(out.String(), `"oss:PutObject"`) ||
		!strings.Contains(out.String(), `"oss:ListParts"`) || !strings.Contains(out.String(), `"oss:AbortMultipartUpload"`) ||
		strings.Contains(out.String(), `"oss:GetObject"`) {
		t.Errorf("-print-ram-policy:\n%s", out.String())
	}
	// With downloads on, presign-get's GetObject on the same prefix.
	out.Reset()
	vars["ALLOW_DOWNLOADS"] = "true"
	if code := printOSSConfig(&out, &errOut, loader(vars), true, false); code != 0 {
		t.Fatalf("-print-ram-policy: exit %d: %s", code, errOut.String())
	}
	if err := json.Unmarshal(out.Bytes(), &policy); err != nil || len(policy.Statement) != 2 || !strings.Contains(out.String(), `"oss:GetObject"`) {
		t.Errorf("-print-ram-policy with ALLOW_DOWNLOADS:\n%s", out.String())
	}
	delete(vars, "ALLOW_DOWNLOADS")

	out.Reset()
	if code := printOSSConfig(&out, &errOut, loader(vars), false, true); code != 0 {
		t.Fatalf("-print-bucket-cors: exit %d: %s", code, errOut.String())
	}
	var cors struct {
		CORSRule []struct{ AllowedOrigin, AllowedMethod []string }
	}
	if err := json.Unmarshal(out.Bytes(), &cors); err != nil || len(cors.CORSRule) != 1 {
		t.Fatalf("-print-bucket-cors: %v\n%s", err, out.String())
	}
	if got := cors.CORSRule[0].AllowedOrigin; len(got) != 2 || got[0] != "https://app.example.com" || got[1] != "https://admin.example.com" {
		t.Errorf("AllowedOrigin %v", got)
	}

	// Config errors and a CORS rule without origins: stderr, exit 1, nothing on stdout.
	for name, tt := range map[string]struct {
		vars      map[string]string
		ram, cors bool
		want      string
	}{
		"bad config": {map[string]string{"OSS_BUCKET": "uploads-prod", "JWT_HS256_SECRET": "short"}, true, false, "JWT_HS256_SECRET"},
		"no origins": {map[string]string{"JWT_HS256_SECRET": testSecret}, false, true, "ALLOWED_ORIGINS"},
		"no bucket":  {map[string]string{"JWT_HS256_SECRET": testSecret, "ALLOWED_ORIGINS": "https://app.example.com"}, true, false, "OSS_BUCKET is not set"},
		"two key sources": {map[string]string{"OSS_BUCKET": "uploads-prod", "JWT_HS256_SECRET": testSecret,
			"JWT_JWKS_URL": "https://login.example.com/jwks.json"}, true, false, "exactly one JWT key source"},
		"both printers": {vars, true, true, "use one"},
	} {
		out.Reset()
		errOut.Reset()
		code := printOSSConfig(&out, &errOut, loader(tt.vars), tt.ram, tt.cors)
		if code == 0 || out.Len() != 0 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q (want it to name %s)", name, code, out.String(), errOut.String(), tt.want)
		}
	}
}

// TestPrintRAMPolicyWebhooks: with WEBHOOK_SOURCES the policy adds
// oss:GetObject on the webhooks folder only (the route HEADs an event that
// is already stored); the upload statement is unchanged.
func TestPrintRAMPolicyWebhooks(t *testing.T) {
	for prefix, folder := range map[string]string{"exampledir/": "exampledir/webhooks/", "users/{sub}/": "users/webhooks/webhooks/"} {
		vars := map[string]string{"OSS_BUCKET": "examplebucket", "JWT_HS256_SECRET": testSecret, "UPLOAD_PREFIX": prefix,
			"WEBHOOK_SOURCES": "gh:github:WEBHOOK_SECRET_1", "WEBHOOK_SECRET_1": "a-github-webhook-secret-of-32-bytes!"}
		var out, errOut bytes.Buffer
		if code := printOSSConfig(&out, &errOut, loader(vars), true, false); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		var policy struct {
			Statement []struct {
				Effect           string
				Action, Resource []string
			}
		}
		if err := json.Unmarshal(out.Bytes(), &policy); err != nil {
			t.Fatal(err)
		}
		// Statements: uploads, webhooks (downloads are off).
		if len(policy.Statement) != 2 || policy.Statement[1].Effect != "Allow" || strings.Join(policy.Statement[1].Action, ",") != "oss:GetObject" ||
			strings.Join(policy.Statement[1].Resource, ",") != "acs:oss:*:*:examplebucket/"+folder+"*" ||
			strings.Contains(strings.Join(policy.Statement[0].Action, ","), "GetObject") {
			t.Errorf("%s:\n%s", prefix, out.String())
		}
		if strings.Contains(out.String(), vars["WEBHOOK_SECRET_1"]) {
			t.Errorf("the policy output holds the webhook secret")
		}
	}
}

// TestPrintRAMPolicyCallbacks: PUBLIC_BASE_URL adds GetObject (inspection)
// and the verdict's action, per REJECTED_UPLOADS, on the prefix; nothing
// else changes, and without it none of them appear.
func TestPrintRAMPolicyCallbacks(t *testing.T) {
	for _, tc := range []struct{ base, action, want, not string }{
		{"", "", "", "oss:GetObject"},
		{"https://up.example.com", "delete", "oss:GetObject,oss:DeleteObject", "oss:PutObjectTagging"},
		{"https://up.example.com", "tag", "oss:GetObject,oss:PutObjectTagging", "oss:DeleteObject"},
	} {
		vars := map[string]string{"OSS_BUCKET": "examplebucket", "JWT_HS256_SECRET": testSecret, "UPLOAD_PREFIX": "users/{sub}/",
			"PUBLIC_BASE_URL": tc.base, "REJECTED_UPLOADS": tc.action}
		var out, errOut bytes.Buffer
		if code := printOSSConfig(&out, &errOut, loader(vars), true, false); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		var policy struct {
			Statement []struct{ Action, Resource []string }
		}
		if err := json.Unmarshal(out.Bytes(), &policy); err != nil {
			t.Fatal(err)
		}
		last := policy.Statement[len(policy.Statement)-1]
		if tc.want != "" && (len(policy.Statement) != 2 || strings.Join(last.Action, ",") != tc.want ||
			strings.Join(last.Resource, ",") != "acs:oss:*:*:examplebucket/users/*/*") {
			t.Errorf("%+v:\n%s", tc, out.String())
		}
		if strings.Contains(out.String(), tc.not) {
			t.Errorf("%+v: %s is in the policy:\n%s", tc, tc.not, out.String())
		}
	}
}

// TestPrintRAMPolicyQuarantine: the default REJECTED_UPLOADS=quarantine
// adds, with PUBLIC_BASE_URL, exactly oss:PutObject and oss:GetObject on
// the quarantine folder (the conditional copy's write, and the read that
// answers a verdict the other path carried out) beside DeleteObject on the
// prefix; the upload statements never reach the quarantine.
func TestPrintRAMPolicyQuarantine(t *testing.T) {
	vars := map[string]string{"JWT_HS256_SECRET": testSecret, "OSS_BUCKET": "examplebucket", "UPLOAD_PREFIX": "users/{sub}/",
		"PUBLIC_BASE_URL": "https://up.example.com"}
	var out, errOut bytes.Buffer
	if code := printOSSConfig(&out, &errOut, loader(vars), true, false); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var policy struct {
		Statement []struct{ Action, Resource []string }
	}
	if err := json.Unmarshal(out.Bytes(), &policy); err != nil {
		t.Fatal(err)
	}
	n := len(policy.Statement)
	if n != 3 || strings.Join(policy.Statement[n-2].Action, ",") != "oss:GetObject,oss:DeleteObject" ||
		strings.Join(policy.Statement[n-1].Action, ",") != "oss:PutObject,oss:GetObject" ||
		strings.Join(policy.Statement[n-1].Resource, ",") != "acs:oss:*:*:examplebucket/"+config.QuarantineFolder+"*" {
		t.Errorf("quarantine policy:\n%s", out.String())
	}
}

// TestPrintLifecycle: -print-bucket-lifecycle covers the literal part of
// UPLOAD_PREFIX and MULTIPART_TTL plus the margin; a prefix that starts
// with a placeholder covers the whole bucket, and stderr says so. With
// REJECTED_UPLOADS=quarantine (the default) a second rule expires the
// quarantine folder.
func TestPrintLifecycle(t *testing.T) {
	for _, c := range []struct {
		prefix, ttl, wantPrefix string
		days                    int
		warn                    bool
		reject                  string
	}{
		{"", "", "exampledir/", 2, false, ""},
		{"users/{sub}/", "36h", "users/", 3, false, ""},
		{"users/{sub}/", "36h", "users/", 3, false, "delete"},
		{"{sub}/", "168h", "", 8, true, "tag"},
	} {
		vars := map[string]string{"JWT_HS256_SECRET": testSecret, "UPLOAD_PREFIX": c.prefix, "MULTIPART_TTL": c.ttl, "REJECTED_UPLOADS": c.reject}
		var out, errOut bytes.Buffer
		if code := printLifecycle(&out, &errOut, loader(vars)); code != 0 {
			t.Fatalf("%+v: exit %d: %s", c, code, errOut.String())
		}
		var doc struct {
			Rule []struct {
				Prefix               string
				AbortMultipartUpload struct{ Days int }
				Expiration           struct{ Days int }
			}
		}
		quarantine := c.reject == ""
		wantRules := 1
		if quarantine {
			wantRules = 2
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.Rule) != wantRules ||
			doc.Rule[0].Prefix != c.wantPrefix || doc.Rule[0].AbortMultipartUpload.Days != c.days {
			t.Errorf("%+v: %v\n%s", c, err, out.String())
		} else if quarantine && (doc.Rule[1].Prefix != config.QuarantineFolder || doc.Rule[1].Expiration.Days != config.QuarantineDays) {
			t.Errorf("%+v: quarantine rule:\n%s", c, out.String())
		}
		if warned := strings.Contains(errOut.String(), "whole bucket"); warned != c.warn {
			t.Errorf("%+v: stderr %q", c, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := printLifecycle(&out, &errOut, loader(map[string]string{"MULTIPART_TTL": "soon"})); code != 1 || out.Len() != 0 {
		t.Errorf("bad configuration: exit %d, stdout %q", code, out.String())
	}
}

// TestPrintNeedsOnlyWhatItPrints: a deployer prints the bucket's documents
// before anything is deployed, so before a JWT key source may exist: each
// printer needs only the variables its document names (the CORS rule the
// origins, the RAM policy the bucket, the lifecycle rule nothing).
func TestPrintNeedsOnlyWhatItPrints(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := printOSSConfig(&out, &errOut, loader(map[string]string{"ALLOWED_ORIGINS": "https://app.example.com"}), false, true); code != 0 ||
		!strings.Contains(out.String(), "https://app.example.com") {
		t.Errorf("-print-bucket-cors with only ALLOWED_ORIGINS: exit %d, %s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := printOSSConfig(&out, &errOut, loader(map[string]string{"OSS_BUCKET": "uploads-prod"}), true, false); code != 0 ||
		!strings.Contains(out.String(), `"acs:oss:*:*:uploads-prod/exampledir/*"`) {
		t.Errorf("-print-ram-policy with only OSS_BUCKET: exit %d, %s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := printLifecycle(&out, &errOut, loader(map[string]string{})); code != 0 || !strings.Contains(out.String(), "exampledir/") {
		t.Errorf("-print-bucket-lifecycle with nothing set: exit %d, %s%s", code, out.String(), errOut.String())
	}
}
