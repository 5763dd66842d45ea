// Package cgroup gives a benchmarked server a cgroup v2 of its own, so
// that the CPU time of every process it forks is counted (in microseconds,
// where /proc/PID/stat counts ticks of 10 ms), including processes that
// ended without being waited for: tftpd-hpa ignores SIGCHLD, so its
// per-transfer children never reach its children's CPU time in /proc.
package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Cgroup is a cgroup v2 of its own for one server.
type Cgroup struct{ dir string }

// New creates a cgroup v2 named after the benchmark and the server, or
// fails when the machine has no writable cgroup2 hierarchy.
func New(bench, name string) (*Cgroup, error) {
	mount, err := cgroup2Mount()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(mount, fmt.Sprintf("filemux-%s-%d-%s", bench, os.Getpid(), name))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	return &Cgroup{dir: dir}, nil
}

// cgroup2Mount finds where the cgroup2 hierarchy is mounted: /sys/fs/cgroup
// on a pure v2 system, /sys/fs/cgroup/unified on a hybrid one.
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i, fld := range fields {
			if fld == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return fields[4], nil
			}
		}
	}
	return "", errors.New("no cgroup2 hierarchy is mounted")
}

// Add moves a process (with all its threads) into the cgroup; the
// processes it forks afterwards are born there.
func (c *Cgroup) Add(pid int) error {
	return os.WriteFile(filepath.Join(c.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
}

// Procs returns the processes in the cgroup now.
func (c *Cgroup) Procs() []int {
	b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// CPU returns the CPU time used by every process that ever ran in the
// cgroup.
func (c *Cgroup) CPU() time.Duration {
	return time.Duration(c.stat("cpu.stat", "usage_usec")) * time.Microsecond
}

// PeakKiB returns the cgroup's peak memory (memory.peak), or -1 where the
// memory controller is not enabled for it.
func (c *Cgroup) PeakKiB() int64 {
	b, err := os.ReadFile(filepath.Join(c.dir, "memory.peak"))
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n / 1024
}

func (c *Cgroup) stat(file, key string) int64 {
	b, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// Remove deletes the cgroup once its processes are gone.
func (c *Cgroup) Remove() {
	deadline := time.Now().Add(2 * time.Second)
	for os.Remove(c.dir) != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}
