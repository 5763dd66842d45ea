package peers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopTimeout bounds the wait for a killed process to be reaped.
const stopTimeout = 5 * time.Second

// process is a program started in a process group of its own, so that the
// children it forks (tftpd-hpa forks one per transfer) stop with it.
type process struct {
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{}
	err  error // valid once done is closed
}

func startProcess(env []string, path string, args ...string) (*process, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &process{cmd: cmd, out: newTailBuffer(256 << 10), done: make(chan struct{})}
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	cmd.SysProcAttr = processAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop kills the process group by its id and reaps the process.
func (p *process) stop() error {
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		return fmt.Errorf("process %d did not stop", pid)
	}
	return waitGroupGone(pid)
}

// waitGroupGone waits until no live process of the group is left: the
// children of a killed server (tftpd-hpa's per-transfer processes) may still
// be dying. Zombies do not count; their new parent reaps them in its time.
func waitGroupGone(pgid int) error {
	deadline := time.Now().Add(stopTimeout)
	for groupAlive(pgid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("processes of group %d are still running", pgid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// groupAlive reports whether a process of group pgid is running (not a
// zombie), from /proc.
func groupAlive(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		state, group, ok := statStateGroup(string(b))
		if ok && group == pgid && state != "Z" && state != "X" {
			return true
		}
	}
	return false
}

// statStateGroup reads the state and process group of a /proc/PID/stat
// line; the command name before them may hold spaces and parentheses.
func statStateGroup(stat string) (state string, pgrp int, ok bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return "", 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 3 {
		return "", 0, false
	}
	pgrp, err := strconv.Atoi(f[2])
	return f[0], pgrp, err == nil
}

// tailBuffer keeps the last max bytes written to it, safe for concurrent
// writers: a chatty server cannot grow a test's memory without bound.
type tailBuffer struct {
	mu      sync.Mutex
	b       []byte
	max     int
	dropped bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	if over := len(w.b) - w.max; over > 0 {
		w.b = append(w.b[:0], w.b[over:]...)
		w.dropped = true
	}
	return len(p), nil
}

func (w *tailBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dropped {
		return "[...]" + string(w.b)
	}
	return string(w.b)
}
