package main

import "testing"

func TestGCSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		percent int
		limit   int64
		ok      bool
	}{
		{"local mode", nil, gcPercent, 0, true},
		{"FC, 128 MB", map[string]string{"FC_FUNCTION_MEMORY_SIZE": "128"}, gcPercent, 128 << 20 * 7 / 10, true},
		{"FC, 2 GB", map[string]string{"FC_FUNCTION_MEMORY_SIZE": "2048"}, gcPercent, 2048 << 20 * 7 / 10, true},
		{"odd memory size", map[string]string{"FC_FUNCTION_MEMORY_SIZE": "lots"}, gcPercent, 0, true},
		{"GOGC set", map[string]string{"GOGC": "100", "FC_FUNCTION_MEMORY_SIZE": "128"}, 0, 0, false},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "64MiB"}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, l, ok := gcSettings(func(k string) string { return tt.env[k] })
			if p != tt.percent || ok != tt.ok || l < tt.limit-1 || l > tt.limit+1 {
				t.Errorf("gcSettings = %d, %d, %v; want %d, %d, %v", p, l, ok, tt.percent, tt.limit, tt.ok)
			}
		})
	}
}
