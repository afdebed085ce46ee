// Package cpulimit fits GOMAXPROCS to the CPU time an FC instance really has.
//
// FC gives an instance a share of a vCPU (s.yaml's cpu, 0.05 to 16). Go reads that share from the
// process's cgroup but rounds a limit under 2 up to 2, so on a fraction of one CPU the runtime
// schedules for two: more threads waking, more futex and scheduler work per invocation. [Fit] sets
// GOMAXPROCS to 1 when the limit is at most one CPU, unless the operator set GOMAXPROCS.
package cpulimit

import (
	"bufio"
	"bytes"
	"io/fs"
	"math"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Fit sets GOMAXPROCS from the process's cgroup CPU limit and returns the value it set, or 0 when
// it left Go's default alone.
func Fit(getenv func(string) string) int {
	limit, ok := Limit(os.DirFS("/"))
	n := Procs(getenv, limit, ok)
	if n > 0 {
		runtime.GOMAXPROCS(n)
	}
	return n
}

// Procs is the GOMAXPROCS to set for a CPU limit (in CPUs; ok false when there is none): 1 for a
// limit of at most one CPU, else 0 (Go's default is right). A GOMAXPROCS set by the operator
// wins: 0.
func Procs(getenv func(string) string, limit float64, ok bool) int {
	if getenv("GOMAXPROCS") != "" || !ok || limit > 1 {
		return 0
	}
	return 1
}

// Limit is the CPU bandwidth limit of the cgroup the process runs in, in CPUs (quota / period): the
// lowest along its path up to the hierarchy's root, from cgroup v1's cpu.cfs_quota_us and
// cpu.cfs_period_us when the cpu controller is on v1, else from cgroup v2's cpu.max. fsys is the
// root file system (os.DirFS("/")); ok is false without a cgroup or a limit.
func Limit(fsys fs.FS) (limit float64, ok bool) {
	self, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	// "hierarchy-id:controllers:path"; v2 is "0::path".
	var v1, v2 string
	haveV1, haveV2 := false, false
	for line := range strings.Lines(string(self)) {
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			v2, haveV2 = f[2], true
		case slices.Contains(strings.Split(f[1], ","), "cpu"):
			v1, haveV1 = f[2], true
		}
	}
	if !haveV1 && !haveV2 {
		return 0, false
	}
	mounts, err := fs.ReadFile(fsys, "proc/self/mountinfo")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(mounts))
	for sc.Scan() {
		// 36 35 0:30 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu
		pre, post, found := strings.Cut(sc.Text(), " - ")
		pf, sf := strings.Fields(pre), strings.Fields(post)
		if !found || len(pf) < 5 || len(sf) < 3 {
			continue
		}
		root, mnt := pf[3], pf[4]
		switch {
		case haveV1 && sf[0] == "cgroup" && slices.Contains(strings.Split(sf[2], ","), "cpu"):
			return walk(fsys, mnt, within(v1, root), v1Limit)
		case !haveV1 && sf[0] == "cgroup2":
			return walk(fsys, mnt, within(v2, root), v2Limit)
		}
	}
	return 0, false
}

// within is a cgroup's path below the mount of its hierarchy, whose root is root.
func within(cgroup, root string) string {
	if root == "/" {
		return cgroup
	}
	if rel, ok := strings.CutPrefix(cgroup, root); ok {
		return rel
	}
	return "/" // a path outside the mount (a cgroup namespace): only the mount itself is visible
}

// walk takes the lowest limit from the cgroup's directory up to the mount point.
func walk(fsys fs.FS, mnt, rel string, read func(fs.FS, string) (float64, bool)) (float64, bool) {
	limit, ok := math.Inf(1), false
	for dir := path.Clean("/" + rel); ; dir = path.Dir(dir) {
		if l, found := read(fsys, strings.TrimPrefix(path.Join(mnt, dir), "/")); found && l < limit {
			limit, ok = l, true
		}
		if dir == "/" {
			return limit, ok
		}
	}
}

// v1Limit reads cpu.cfs_quota_us ("-1": none) and cpu.cfs_period_us.
func v1Limit(fsys fs.FS, dir string) (float64, bool) {
	quota, err1 := readFloat(fsys, dir+"/cpu.cfs_quota_us")
	period, err2 := readFloat(fsys, dir+"/cpu.cfs_period_us")
	if err1 != nil || err2 != nil || quota <= 0 || period <= 0 {
		return 0, false
	}
	return quota / period, true
}

// v2Limit reads cpu.max: "max 100000" (none) or "15000 100000".
func v2Limit(fsys fs.FS, dir string) (float64, bool) {
	b, err := fs.ReadFile(fsys, dir+"/cpu.max")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] == "max" {
		return 0, false
	}
	quota, err1 := strconv.ParseFloat(f[0], 64)
	period, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || quota <= 0 || period <= 0 {
		return 0, false
	}
	return quota / period, true
}

func readFloat(fsys fs.FS, name string) (float64, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
}
