// Package dotenv reads the .env file beside s.yaml, the file the README's
// Deploy section writes and s loads, so that the deployer's make targets
// (make token, make print-ram-policy ...) see the values s deploys with.
package dotenv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Read parses path: NAME=value lines, an optional "export " before NAME,
// values optionally in single or double quotes, blank lines and lines
// starting with # ignored. A missing file is an empty map.
func Read(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	n := 0
	for line := range strings.Lines(string(b)) {
		n++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\"'") {
			return nil, fmt.Errorf("%s:%d: not a NAME=value line", path, n)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		vars[name] = value
	}
	return vars, nil
}

// Getenv is getenv with the file's values under it: a variable set (non-empty)
// in the environment wins over the file's.
func Getenv(getenv func(string) string, file map[string]string) func(string) string {
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return file[name]
	}
}
