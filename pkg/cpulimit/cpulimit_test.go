package cpulimit

import (
	"testing"
	"testing/fstest"
)

// The mountinfo lines follow proc_pid_mountinfo(5) ("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 -
// ext3 /dev/root rw,errors=continue"), with the cgroup mounts of a v1 host (cpu and cpuacct apart,
// as on the machine this was written on, or joined as systemd mounts them), a hybrid one, and a v2
// one.
const (
	mountV1 = "25 20 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n" +
		"30 25 0:26 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
		"31 25 0:27 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n" +
		"32 25 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
		"33 25 0:29 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	mountV1Joined = "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
	mountV2       = "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
	// A container's view: the host's /kubepods/pod1 mounted at the container's /sys/fs/cgroup.
	mountV2Container = "1043 1042 0:26 /kubepods/pod1 /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw\n"
)

func TestLimit(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		limit float64
		ok    bool
	}{
		{"v1, 0.15 vCPU", map[string]string{
			"proc/self/cgroup":                       "4:memory:/fc\n2:cpuacct:/fc\n1:cpu:/fc\n0::/\n",
			"proc/self/mountinfo":                    mountV1,
			"sys/fs/cgroup/cpu/cpu.cfs_quota_us":     "-1\n",
			"sys/fs/cgroup/cpu/cpu.cfs_period_us":    "100000\n",
			"sys/fs/cgroup/cpu/fc/cpu.cfs_quota_us":  "15000\n",
			"sys/fs/cgroup/cpu/fc/cpu.cfs_period_us": "100000\n",
		}, 0.15, true},
		{"v1, no quota", map[string]string{
			"proc/self/cgroup":                       "1:cpu:/fc\n",
			"proc/self/mountinfo":                    mountV1,
			"sys/fs/cgroup/cpu/fc/cpu.cfs_quota_us":  "-1\n",
			"sys/fs/cgroup/cpu/fc/cpu.cfs_period_us": "100000\n",
		}, 0, false},
		{"v1, cpu and cpuacct joined, limit on the parent", map[string]string{
			"proc/self/cgroup":                                        "3:cpu,cpuacct:/fc/instance\n",
			"proc/self/mountinfo":                                     mountV1Joined,
			"sys/fs/cgroup/cpu,cpuacct/fc/cpu.cfs_quota_us":           "50000\n",
			"sys/fs/cgroup/cpu,cpuacct/fc/cpu.cfs_period_us":          "100000\n",
			"sys/fs/cgroup/cpu,cpuacct/fc/instance/cpu.cfs_quota_us":  "200000\n",
			"sys/fs/cgroup/cpu,cpuacct/fc/instance/cpu.cfs_period_us": "100000\n",
		}, 0.5, true},
		{"v2, 0.15 vCPU", map[string]string{
			"proc/self/cgroup":         "0::/fc\n",
			"proc/self/mountinfo":      mountV2,
			"sys/fs/cgroup/fc/cpu.max": "15000 100000\n",
		}, 0.15, true},
		{"v2, max", map[string]string{
			"proc/self/cgroup":         "0::/fc\n",
			"proc/self/mountinfo":      mountV2,
			"sys/fs/cgroup/fc/cpu.max": "max 100000\n",
		}, 0, false},
		{"v2, 1.5 CPUs", map[string]string{
			"proc/self/cgroup":         "0::/fc\n",
			"proc/self/mountinfo":      mountV2,
			"sys/fs/cgroup/fc/cpu.max": "150000 100000\n",
		}, 1.5, true},
		{"v2 in a container (mount root below the host's)", map[string]string{
			"proc/self/cgroup":      "0::/kubepods/pod1\n",
			"proc/self/mountinfo":   mountV2Container,
			"sys/fs/cgroup/cpu.max": "25000 100000\n",
		}, 0.25, true},
		{"hybrid: the cpu controller on v1 wins over the empty v2", map[string]string{
			"proc/self/cgroup":                       "1:cpu:/fc\n0::/fc\n",
			"proc/self/mountinfo":                    mountV1,
			"sys/fs/cgroup/cpu/fc/cpu.cfs_quota_us":  "10000\n",
			"sys/fs/cgroup/cpu/fc/cpu.cfs_period_us": "100000\n",
			"sys/fs/cgroup/unified/fc/cpu.max":       "max 100000\n",
		}, 0.1, true},
		{"no cgroup file (not Linux)", map[string]string{}, 0, false},
		{"garbage", map[string]string{
			"proc/self/cgroup":         "0::/fc\n",
			"proc/self/mountinfo":      mountV2,
			"sys/fs/cgroup/fc/cpu.max": "lots\n",
		}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			limit, ok := Limit(fsys)
			if ok != tt.ok || limit != tt.limit && tt.ok {
				t.Errorf("Limit = %v, %v; want %v, %v", limit, ok, tt.limit, tt.ok)
			}
		})
	}
}

func TestProcs(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		limit float64
		ok    bool
		want  int
	}{
		{"0.15 vCPU", nil, 0.15, true, 1},
		{"one vCPU", nil, 1, true, 1},
		{"1.5 vCPU: Go's 2 is right", nil, 1.5, true, 0},
		{"no limit", nil, 0, false, 0},
		{"the operator's GOMAXPROCS wins", map[string]string{"GOMAXPROCS": "2"}, 0.15, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Procs(func(k string) string { return tt.env[k] }, tt.limit, tt.ok); got != tt.want {
				t.Errorf("Procs = %d, want %d", got, tt.want)
			}
		})
	}
}
