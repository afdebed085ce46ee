package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
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

// TestVariablesAreWhatLoadReads: Variables is exactly the set of names Load
// asks getenv for, over environments that take every branch that reads a
// variable (a webhook source in every secret slot, each JWT key source).
// A name read but not listed could not be set on FC; a name listed but not
// read would be a dead slot in s.yaml.
func TestVariablesAreWhatLoadReads(t *testing.T) {
	asked := map[string]bool{}
	for _, kv := range []map[string]string{
		{},
		{"JWT_HS256_SECRET": secret},
		{"JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----"},
		{"JWT_JWKS_URL": "https://example.com/jwks.json", "JWT_LEEWAY": "10s"},
		{"JWT_JWKS": `{"keys":[]}`, "MULTIPART_HANDLE_SECRET": secret},
		{"JWT_HS256_SECRET": secret, "WEBHOOK_TOLERANCE": "1m",
			"WEBHOOK_SOURCES":  "a:github:WEBHOOK_SECRET_1,b:github:WEBHOOK_SECRET_2,c:github:WEBHOOK_SECRET_3,d:github:WEBHOOK_SECRET_4",
			"WEBHOOK_SECRET_1": secret, "WEBHOOK_SECRET_2": secret, "WEBHOOK_SECRET_3": secret, "WEBHOOK_SECRET_4": secret},
	} {
		get := env(kv)
		Load(func(name string) string { asked[name] = true; return get(name) })
	}
	listed := map[string]bool{}
	for _, v := range Variables {
		if listed[v] {
			t.Errorf("Variables lists %s twice", v)
		}
		listed[v] = true
		if !asked[v] {
			t.Errorf("Variables lists %s, which Load never reads", v)
		}
	}
	for v := range asked {
		if !listed[v] {
			t.Errorf("Load reads %s, which Variables does not list (s.yaml could not pass it on FC)", v)
		}
	}
}

// TestInternalEndpoint: OSS_INTERNAL_ENDPOINT defaults to the public
// endpoint, and is validated like it.
func TestInternalEndpoint(t *testing.T) {
	for _, c := range []struct {
		env               map[string]string
		public, internal  string
		internalPathStyle bool
		wantErr           string
	}{
		{map[string]string{"OSS_REGION": "cn-beijing"}, "https://oss-cn-beijing.aliyuncs.com", "https://oss-cn-beijing.aliyuncs.com", false, ""},
		{map[string]string{"OSS_INTERNAL_ENDPOINT": "https://oss-cn-hangzhou-internal.aliyuncs.com"}, "https://oss-cn-hangzhou.aliyuncs.com", "https://oss-cn-hangzhou-internal.aliyuncs.com", false, ""},
		{map[string]string{"OSS_ENDPOINT": "http://127.0.0.1:9100"}, "http://127.0.0.1:9100", "http://127.0.0.1:9100", true, ""},
		{map[string]string{"OSS_INTERNAL_ENDPOINT": "oss-cn-hangzhou-internal.aliyuncs.com"}, "", "", false, "OSS_INTERNAL_ENDPOINT: \"<redacted>\" is not an http(s)://host[:port] endpoint"},
	} {
		c.env["JWT_HS256_SECRET"] = secret
		cfg, err := Load(env(c.env))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v: error %v, want %s", c.env, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		if cfg.Endpoint != c.public || cfg.InternalEndpoint != c.internal || cfg.InternalPathStyle != c.internalPathStyle {
			t.Errorf("%v: public %s internal %s (path style %v)", c.env, cfg.Endpoint, cfg.InternalEndpoint, cfg.InternalPathStyle)
		}
	}
}

// TestVariablesCoverEveryLiteralRead is the static side of the check above:
// every string literal that pkg/config's code hands to getenv or to a loader
// method (l.str("X", …), l.getenv("X"), os.Getenv("X")) is in Variables,
// including reads on branches the environments above do not take.
func TestVariablesCoverEveryLiteralRead(t *testing.T) {
	listed := map[string]bool{}
	for _, v := range Variables {
		listed[v] = true
	}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			recv, ok := sel.X.(*ast.Ident)
			if !ok || !(recv.Name == "l" && sel.Sel.Name != "fail" || recv.Name == "os" && (sel.Sel.Name == "Getenv" || sel.Sel.Name == "LookupEnv")) {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, _ := strconv.Unquote(lit.Value)
			found++
			if !listed[v] {
				t.Errorf("%s: %s.%s(%q): not in Variables", fset.Position(call.Pos()), recv.Name, sel.Sel.Name, v)
			}
			return true
		})
	}
	if found < 25 {
		t.Fatalf("found only %d literal reads: the parse no longer sees how pkg/config reads its variables", found)
	}
}
