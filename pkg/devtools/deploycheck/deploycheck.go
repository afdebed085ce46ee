package deploycheck

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"go.yaml.in/yaml/v4"
)

// MaxEnvBytes is FC's limit on a function's environment variables: "the
// total size of all environment variables cannot exceed 4 KB"
// (https://www.alibabacloud.com/help/en/functioncompute/fc/environment-variables).
const MaxEnvBytes = 4 << 10

// File is the part of s.yaml these checks read, unrendered (values keep
// their ${...} expressions).
type File struct {
	Access    string            `yaml:"access"`
	Vars      map[string]string `yaml:"vars"`
	Resources map[string]struct {
		Component string `yaml:"component"`
		Props     Props  `yaml:"props"`
	} `yaml:"resources"`
}

// Props is fc3's props block, as far as the checks go.
type Props struct {
	Code                 string            `yaml:"code" json:"code"`
	MemorySize           int               `yaml:"memorySize" json:"memorySize"`
	CPU                  float64           `yaml:"cpu" json:"cpu"`
	EnvironmentVariables map[string]string `yaml:"environmentVariables" json:"environmentVariables"`
	Triggers             []Trigger         `yaml:"triggers" json:"triggers"`
}

// Trigger is one entry of props.triggers.
type Trigger struct {
	TriggerName string `yaml:"triggerName" json:"triggerName"`
	TriggerType string `yaml:"triggerType" json:"triggerType"`
	Qualifier   string `yaml:"qualifier" json:"qualifier"`
}

// Read parses the s.yaml at path.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

// EnvBytes is the size of a rendered set of variables as FC's API receives
// it: the JSON object of names and values. That counts quotes, colons and
// commas too, so it is an upper bound on any count FC may make.
func EnvBytes(env map[string]string) int {
	b, _ := json.Marshal(env)
	return len(b)
}

// DefaultCPU is the vCPU share fc3 deploys when props set no cpu (its schema's default).
const DefaultCPU = 0.35

// CheckShape checks an instance's memorySize (MB) and cpu (vCPU) against FC's rules for CPU
// instances: 0.05 to 16 vCPU in steps of 0.05, 128 to 32768 MB in steps of 64, and 1 to 4 GB of
// memory per vCPU
// (https://www.alibabacloud.com/help/en/function-compute/latest/instance-types-and-instance-modes).
func CheckShape(memoryMB int, cpu float64) error {
	steps := cpu / 0.05
	if cpu < 0.05 || cpu > 16 || math.Abs(steps-math.Round(steps)) > 1e-9 {
		return fmt.Errorf("cpu %v: FC takes 0.05 to 16 vCPU in steps of 0.05", cpu)
	}
	if memoryMB < 128 || memoryMB > 32768 || memoryMB%64 != 0 {
		return fmt.Errorf("memorySize %d: FC takes 128 to 32768 MB in steps of 64", memoryMB)
	}
	if perCPU := float64(memoryMB) / 1024 / cpu; perCPU < 1-1e-9 || perCPU > 4+1e-9 {
		return fmt.Errorf("memorySize %d with cpu %v: %.2f GB per vCPU, FC takes 1 to 4", memoryMB, cpu, perCPU)
	}
	return nil
}
