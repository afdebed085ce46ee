package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cgroupPeriod is the CFS period the CPU quota is given in (the kernel's default, 100 ms).
const cgroupPeriod = 100_000

// hierarchies are the cgroup mounts the tool needs: cgroup v2 with the cpu and memory controllers,
// or the v1 cpu, cpuacct and memory hierarchies (cpu and cpuacct often share one).
type hierarchies struct {
	v2                   string // the cgroup2 mount point, when it offers cpu and memory
	cpu, cpuacct, memory string // v1 mount points
}

// findHierarchies reads /proc/self/mountinfo. It prefers v2 when its mount offers both controllers.
func findHierarchies() (hierarchies, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return hierarchies{}, fmt.Errorf("no /proc/self/mountinfo (not Linux?): %w", err)
	}
	defer f.Close()
	var h hierarchies
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 36 35 0:30 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, sf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(sf) < 3 || pf[3] != "/" {
			continue // a bind mount of a sub-cgroup: not a root we can create under
		}
		mnt := pf[4]
		switch sf[0] {
		case "cgroup2":
			b, err := os.ReadFile(filepath.Join(mnt, "cgroup.controllers"))
			if err == nil && slices.Contains(strings.Fields(string(b)), "cpu") &&
				slices.Contains(strings.Fields(string(b)), "memory") {
				h.v2 = mnt
			}
		case "cgroup":
			opts := strings.Split(sf[2], ",")
			if slices.Contains(opts, "cpu") && h.cpu == "" {
				h.cpu = mnt
			}
			if slices.Contains(opts, "cpuacct") && h.cpuacct == "" {
				h.cpuacct = mnt
			}
			if slices.Contains(opts, "memory") && h.memory == "" {
				h.memory = mnt
			}
		}
	}
	if err := sc.Err(); err != nil {
		return hierarchies{}, err
	}
	if h.v2 == "" && (h.cpu == "" || h.cpuacct == "" || h.memory == "") {
		return hierarchies{}, errors.New("no cgroup v2 mount with the cpu and memory controllers, " +
			"and no cgroup v1 cpu, cpuacct and memory hierarchies")
	}
	return h, nil
}

// removeStale removes the empty cgroups an interrupted run left behind.
func (h hierarchies) removeStale() {
	for _, mnt := range []string{h.v2, h.cpu, h.cpuacct, h.memory} {
		if mnt == "" {
			continue
		}
		stale, _ := filepath.Glob(filepath.Join(mnt, "ossbroker-fcshape-*"))
		for _, d := range stale {
			os.Remove(d) // fails, harmlessly, while a process is still in it
		}
	}
}

// A shape is one cgroup shaped like an FC instance: a CPU quota of its vCPU share and a memory
// limit of its memory size, without swap. One function process runs in it; its counters are that
// process's.
type shape struct {
	v2                bool
	cpu, acct, memory string // the cgroup's directories (all the same one on v2)
}

var shapeSeq int

// newShape creates the cgroup. It needs root (or a delegated hierarchy).
func newShape(h hierarchies, vcpu float64, memMB int) (*shape, error) {
	shapeSeq++
	name := fmt.Sprintf("ossbroker-fcshape-%d-%d", os.Getpid(), shapeSeq) // removeStale knows this prefix
	quota := strconv.Itoa(int(vcpu*cgroupPeriod + 0.5))
	limit := strconv.FormatInt(int64(memMB)<<20, 10)
	if h.v2 != "" {
		// The controllers must be enabled for the root's children; "+cpu +memory" is a no-op when
		// they are.
		if err := write(filepath.Join(h.v2, "cgroup.subtree_control"), "+cpu +memory"); err != nil {
			return nil, err
		}
		dir := filepath.Join(h.v2, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
		s := &shape{v2: true, cpu: dir, acct: dir, memory: dir}
		err := errors.Join(
			write(filepath.Join(dir, "cpu.max"), quota+" "+strconv.Itoa(cgroupPeriod)),
			write(filepath.Join(dir, "memory.max"), limit),
			writeIfExists(filepath.Join(dir, "memory.swap.max"), "0"),
		)
		if err != nil {
			s.remove()
			return nil, err
		}
		return s, nil
	}
	s := &shape{}
	for _, d := range []struct {
		mnt string
		dir *string
	}{{h.cpu, &s.cpu}, {h.cpuacct, &s.acct}, {h.memory, &s.memory}} {
		*d.dir = filepath.Join(d.mnt, name)
		if err := os.Mkdir(*d.dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			s.remove()
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
	}
	err := errors.Join(
		write(filepath.Join(s.cpu, "cpu.cfs_period_us"), strconv.Itoa(cgroupPeriod)),
		write(filepath.Join(s.cpu, "cpu.cfs_quota_us"), quota),
		write(filepath.Join(s.memory, "memory.limit_in_bytes"), limit),
		// memsw (memory + swap) exists only with swap accounting; equal to the limit, it means no
		// swap.
		writeIfExists(filepath.Join(s.memory, "memory.memsw.limit_in_bytes"), limit),
	)
	if err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

// command runs bin inside the cgroup from its first instruction: a shell moves itself in, then
// execs bin, so the Go runtime sees the quota when it sizes GOMAXPROCS and nothing else is counted.
func (s *shape) command(bin string) *exec.Cmd {
	var procs []string
	for _, d := range s.dirs() {
		procs = append(procs, "echo $$ > '"+filepath.Join(d, "cgroup.procs")+"'")
	}
	return exec.Command("/bin/sh", "-c", strings.Join(procs, " && ")+` && exec "$0"`, bin)
}

func (s *shape) dirs() []string {
	var out []string
	for _, d := range []string{s.cpu, s.acct, s.memory} {
		if d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// cpuNanos is the CPU time the cgroup's processes have used.
func (s *shape) cpuNanos() (int64, error) {
	if s.v2 {
		us, err := readKey(filepath.Join(s.acct, "cpu.stat"), "usage_usec")
		return us * 1000, err
	}
	return readInt(filepath.Join(s.acct, "cpuacct.usage"))
}

// peakBytes is the most memory the cgroup has been charged with.
func (s *shape) peakBytes() (int64, error) {
	if s.v2 {
		return readInt(filepath.Join(s.memory, "memory.peak"))
	}
	return readInt(filepath.Join(s.memory, "memory.max_usage_in_bytes"))
}

// oomKills is how many processes the kernel's OOM killer ended in the cgroup.
func (s *shape) oomKills() (int64, error) {
	if s.v2 {
		return readKey(filepath.Join(s.memory, "memory.events"), "oom_kill")
	}
	return readKey(filepath.Join(s.memory, "memory.oom_control"), "oom_kill")
}

// remove deletes the cgroup once its process has exited (the kernel may take a moment to notice).
func (s *shape) remove() error {
	var err error
	for _, d := range s.dirs() {
		for i := 0; ; i++ {
			if err1 := os.Remove(d); err1 == nil || errors.Is(err1, os.ErrNotExist) {
				break
			} else if i == 50 {
				err = errors.Join(err, err1)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return err
}

func write(path, v string) error {
	if err := os.WriteFile(path, []byte(v), 0); err != nil {
		return fmt.Errorf("cgroup: write %q: %w", v, err)
	}
	return nil
}

func writeIfExists(path, v string) error {
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	return write(path, v)
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// readKey reads the value of key from a flat keyed file ("key value" lines).
func readKey(path, key string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in %s", key, path)
}
