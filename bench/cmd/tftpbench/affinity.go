package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// placement splits the CPUs for -pin: the server under test gets the last
// one, the clients (this process, what it runs, the storm's goroutines) the
// others, as on a server machine whose clients are elsewhere. Without it
// 500 clients and the server share every CPU, and the scheduler's fairness
// between them (per thread, so a server with a thread per transfer is
// given more of the machine) is measured as much as the server.
type placement struct {
	clients, server unix.CPUSet
	desc            string
}

func newPlacement() (*placement, error) {
	n := runtime.NumCPU()
	if n < 2 {
		return nil, fmt.Errorf("-pin needs at least 2 CPUs, this machine has %d", n)
	}
	p := &placement{}
	for i := range n - 1 {
		p.clients.Set(i)
	}
	p.server.Set(n - 1)
	p.desc = fmt.Sprintf("servers pinned to CPU %d, clients to CPUs 0-%d", n-1, n-2)
	if n == 2 {
		p.desc = "servers pinned to CPU 1, clients to CPU 0"
	}
	return p, nil
}

// pin sets the affinity of every thread of process pid; threads and
// processes it creates later inherit it.
func pin(pid int, set *unix.CPUSet) error {
	tasks, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("pinning thread %d of %d: %w", tid, pid, err)
		}
	}
	return nil
}
