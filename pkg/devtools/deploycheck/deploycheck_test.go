package deploycheck

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/config"
)

const sYAML = "../../../s.yaml"

func broker(t *testing.T) (*File, Props) {
	t.Helper()
	f, err := Read(sYAML)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := f.Resources["broker"]
	if !ok {
		t.Fatal("s.yaml has no resources.broker")
	}
	return f, r.Props
}

// TestEnvironmentVariablesAreConfigVariables: s.yaml passes exactly the
// variables pkg/config reads. FC hands the function nothing else, so a
// variable read but not passed cannot be set in the cloud (webhooks could
// not be turned on before), and one passed but not read is a dead setting.
func TestEnvironmentVariablesAreConfigVariables(t *testing.T) {
	_, p := broker(t)
	passed := slices.Sorted(maps.Keys(p.EnvironmentVariables))
	read := slices.Sorted(slices.Values(config.Variables))
	for _, v := range read {
		if _, ok := p.EnvironmentVariables[v]; !ok {
			t.Errorf("pkg/config reads %s, but s.yaml's environmentVariables does not pass it: it cannot be set on FC", v)
		}
	}
	for _, v := range passed {
		if !slices.Contains(read, v) {
			t.Errorf("s.yaml passes %s, which pkg/config does not read", v)
		}
	}
}

// TestRequiredValuesHaveNoDefault: OSS_BUCKET and the JWT key source are
// ${env('NAME')} without a default somewhere s evaluates, so s refuses the
// deploy when they are missing (deploy_test.go proves it with the real s);
// every other value has a default, so nothing else stops a deploy.
func TestRequiredValuesHaveNoDefault(t *testing.T) {
	f, p := broker(t)
	noDefault := regexp.MustCompile(`env\('([A-Z0-9_]+)'\)`)
	var required []string
	for _, v := range p.EnvironmentVariables {
		for _, m := range noDefault.FindAllStringSubmatch(v, -1) {
			required = append(required, m[1])
		}
	}
	if !slices.Equal(required, []string{"OSS_BUCKET"}) {
		t.Errorf("environmentVariables without a default: %v, want exactly OSS_BUCKET", required)
	}
	src := f.Vars["jwtKeySource"]
	for _, v := range []string{"JWT_HS256_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS", "JWT_JWKS_URL"} {
		if !strings.Contains(src, "env('"+v+"'") {
			t.Errorf("vars.jwtKeySource does not consider %s: %s", v, src)
		}
	}
	if m := noDefault.FindAllStringSubmatch(src, -1); len(m) != 1 || m[0][1] != "JWT_JWKS_URL" {
		t.Errorf("vars.jwtKeySource must end in env('JWT_JWKS_URL') without a default (the recommended source, named in s's error): %s", src)
	}
}

// TestAccessIsLiteral: s does not resolve variables in access (its fc3
// credential lookup then fails with "Not found access: ${env(...)}").
func TestAccessIsLiteral(t *testing.T) {
	f, _ := broker(t)
	if f.Access == "" || strings.Contains(f.Access, "${") {
		t.Fatalf("access: %q, want a literal alias (make deploy passes -a $(S_ACCESS))", f.Access)
	}
}

// TestTriggerServesTheAlias: the HTTP trigger points at vars.alias, the
// alias make deploy moves (FC_ALIAS in the Makefile).
func TestTriggerServesTheAlias(t *testing.T) {
	f, p := broker(t)
	if len(p.Triggers) != 1 || p.Triggers[0].Qualifier != "${vars.alias}" {
		t.Fatalf("triggers: %+v, want one with qualifier ${vars.alias}", p.Triggers)
	}
	alias := f.Vars["alias"]
	if alias == "" || alias == "LATEST" {
		t.Fatalf("vars.alias %q", alias)
	}
	if got := makeVar(t, "FC_ALIAS"); got != alias {
		t.Fatalf("Makefile FC_ALIAS %q, s.yaml vars.alias %q: make deploy would move an alias the trigger does not serve", got, alias)
	}
}

// TestEnvBytes: the count is the JSON object's size.
func TestEnvBytes(t *testing.T) {
	if n := EnvBytes(map[string]string{"A": "b"}); n != len(`{"A":"b"}`) {
		t.Fatalf("%d", n)
	}
}

// TestInstanceShapes: every function's memorySize and cpu make an instance FC creates. Without cpu,
// fc3's schema default is 0.35 vCPU, which needs at least 384 MB: neither 192 nor 128 MB fits it.
func TestInstanceShapes(t *testing.T) {
	f, err := Read(sYAML)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range f.Resources {
		cpu := r.Props.CPU
		if cpu == 0 {
			cpu = DefaultCPU
		}
		if err := CheckShape(r.Props.MemorySize, cpu); err != nil {
			t.Errorf("resources.%s: %v", name, err)
		}
	}
}

func TestCheckShape(t *testing.T) {
	tests := []struct {
		memory int
		cpu    float64
		ok     bool
	}{
		{128, 0.05, true}, {128, 0.1, true}, {128, 0.15, false}, // 0.125 GB: 0.03125 to 0.125 vCPU
		{192, 0.05, true}, {192, 0.15, true}, {192, 0.2, false}, {192, 0.35, false},
		{512, 0.35, true}, {384, 0.35, true}, {320, 0.35, false}, {2048, 0.5, true}, {2048, 0.45, false},
		{4096, 1, true}, {1024, 1, true}, {32768, 8, true}, {32768, 16, true},
		{192, 0.12, false}, {192, 0.04, false}, {100, 0.05, false}, {200, 0.1, false}, {32832, 16, false}, {16384, 17, false},
	}
	for _, tt := range tests {
		if err := CheckShape(tt.memory, tt.cpu); (err == nil) != tt.ok {
			t.Errorf("CheckShape(%d, %v) = %v, want ok %v", tt.memory, tt.cpu, err, tt.ok)
		}
	}
}
