package deploycheck

import (
	"encoding/json"
	"fmt"
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
