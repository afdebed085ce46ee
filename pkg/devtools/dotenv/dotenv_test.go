package dotenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(path, []byte("# the README's .env\nOSS_BUCKET=examplebucket\n\nexport OSS_REGION=cn-shanghai\n"+
		"ALLOWED_ORIGINS=\"https://app.example.com\"\nJWT_ISSUER='https://login.example.com/'\nEMPTY=\nWITH_EQ=a=b\n"), 0o600)
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"OSS_BUCKET": "examplebucket", "OSS_REGION": "cn-shanghai", "ALLOWED_ORIGINS": "https://app.example.com",
		"JWT_ISSUER": "https://login.example.com/", "EMPTY": "", "WITH_EQ": "a=b"}
	if len(got) != len(want) {
		t.Errorf("Read = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	env := Getenv(func(name string) string { return map[string]string{"OSS_BUCKET": "frombucket"}[name] }, got)
	if env("OSS_BUCKET") != "frombucket" || env("OSS_REGION") != "cn-shanghai" {
		t.Errorf("the environment must win over the file: %q %q", env("OSS_BUCKET"), env("OSS_REGION"))
	}
	if m, err := Read(filepath.Join(t.TempDir(), "none")); err != nil || len(m) != 0 {
		t.Errorf("a missing file: %v %v", m, err)
	}
	os.WriteFile(path, []byte("not a line\n"), 0o600)
	if _, err := Read(path); err == nil {
		t.Error("a line without = was accepted")
	}
}
