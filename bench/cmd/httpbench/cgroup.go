package main

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

// cgroup is a cgroup v2 of its own for one server, as in bench/cmd/tftpbench:
// its cpu.stat counts the CPU of every process in it in microseconds, where
// /proc/PID/stat counts in ticks of 10 ms.
type cgroup struct{ dir string }

// newCgroup creates a cgroup v2 named after the server, or fails when the
// machine has no writable cgroup2 hierarchy.
func newCgroup(name string) (*cgroup, error) {
	mount, err := cgroup2Mount()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(mount, fmt.Sprintf("filemux-httpbench-%d-%s", os.Getpid(), name))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	return &cgroup{dir: dir}, nil
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

// add moves a process (with all its threads) into the cgroup; the
// processes it forks afterwards are born there.
func (c *cgroup) add(pid int) error {
	return os.WriteFile(filepath.Join(c.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
}

// cpu returns the CPU time used by every process that ever ran in the
// cgroup.
func (c *cgroup) cpu() time.Duration {
	return time.Duration(c.stat("cpu.stat", "usage_usec")) * time.Microsecond
}

func (c *cgroup) stat(file, key string) int64 {
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

// remove deletes the cgroup once its processes are gone.
func (c *cgroup) remove() {
	deadline := time.Now().Add(2 * time.Second)
	for os.Remove(c.dir) != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}
