package bootlab

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// QEMU is the program a Machine runs unless Config.Program is set.
const QEMU = "qemu-system-x86_64"

// Config describes one Machine.
type Config struct {
	// Program is the emulator to run; empty means QEMU. Tests of the
	// harness itself run a shell here.
	Program string
	// Args are the program's arguments. Machines run with -nographic, so
	// the serial console is the program's standard output.
	Args []string
	// Netns, when set, runs the program inside that network namespace
	// (ip netns exec).
	Netns string
	// Limit bounds the whole run: the Machine is killed when it passes.
	// Zero means DefaultLimit. iPXE and OVMF never power off by
	// themselves, so every run ends here or at Stop.
	Limit time.Duration
}

// DefaultLimit bounds a Machine whose Config sets no Limit.
const DefaultLimit = 5 * time.Minute

// Machine is a running emulator with its console captured.
type Machine struct {
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{}

	mu      sync.Mutex
	console bytes.Buffer
	changed chan struct{} // closed and replaced at each console write
}

// Start starts the machine described by cfg and stops it when the test ends
// (t.Cleanup), logging its console there if the test failed. A machine that
// cannot start fails the test.
func Start(t testing.TB, cfg Config) *Machine {
	t.Helper()
	m, err := start(cfg)
	if err != nil {
		t.Fatalf("bootlab: %v", err)
	}
	t.Cleanup(func() {
		m.Stop()
		if t.Failed() {
			t.Logf("bootlab: console after %v:\n%s", time.Since(m.started).Round(time.Second), m.Console())
		}
	})
	return m
}

func start(cfg Config) (*Machine, error) {
	prog, args := cfg.Program, cfg.Args
	if prog == "" {
		prog = QEMU
	}
	if cfg.Netns != "" {
		prog, args = "ip", append([]string{"netns", "exec", cfg.Netns, prog}, args...)
	}
	limit := cfg.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	m := &Machine{done: make(chan struct{}), changed: make(chan struct{})}
	m.cmd = exec.Command(prog, args...)
	m.cmd.Stdout = (*consoleWriter)(m)
	m.cmd.Stderr = (*consoleWriter)(m)
	// Its own process group, so that Stop ends ip netns exec's child too.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	m.started = time.Now()
	go m.wait(limit)
	return m, nil
}

// wait reaps the process, killing it first when limit passes.
func (m *Machine) wait(limit time.Duration) {
	timer := time.AfterFunc(limit, m.kill)
	defer timer.Stop()
	_ = m.cmd.Wait()
	close(m.done)
	m.mu.Lock()
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
}

// kill ends the process group the machine leads, by its pid.
func (m *Machine) kill() { _ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL) }

// Pid returns the process id of the emulator (or of ip netns exec, which
// execs it).
func (m *Machine) Pid() int { return m.cmd.Process.Pid }

// Stop kills the machine, if it still runs, and waits for it to end. It may
// be called more than once.
func (m *Machine) Stop() {
	select {
	case <-m.done:
		return
	default:
	}
	m.kill()
	<-m.done
}

// Exited reports whether the machine has ended.
func (m *Machine) Exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// Elapsed returns the time since the machine started.
func (m *Machine) Elapsed() time.Duration { return time.Since(m.started) }

// Console returns everything the machine printed so far, with ANSI escape
// sequences and carriage returns removed.
func (m *Machine) Console() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Clean(m.console.String())
}

type consoleWriter Machine

func (w *consoleWriter) Write(p []byte) (int, error) {
	m := (*Machine)(w)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.console.Write(p)
	close(m.changed)
	m.changed = make(chan struct{})
	return len(p), nil
}

// ErrExited is returned by WaitFor when the machine ended before its console
// matched.
var ErrExited = errors.New("bootlab: the machine exited")

// WaitFor waits until the cleaned console matches re, for at most timeout,
// and returns the first match. It fails with an error naming re when the
// timeout passes or the machine exits first (ErrExited).
func (m *Machine) WaitFor(re *regexp.Regexp, timeout time.Duration) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		m.mu.Lock()
		changed := m.changed
		s := Clean(m.console.String())
		m.mu.Unlock()
		if match := re.FindString(s); match != "" {
			return match, nil
		}
		select {
		case <-changed:
			if m.Exited() && re.FindString(m.Console()) == "" {
				return "", fmt.Errorf("%w before its console matched %q", ErrExited, re)
			}
		case <-deadline.C:
			return "", fmt.Errorf("bootlab: the console did not match %q within %v", re, timeout)
		}
	}
}

// ansi matches the escape sequences iPXE and OVMF draw their screens with.
var ansi = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cDEHM])`)

// Clean removes ANSI escape sequences and carriage returns from console
// output, so that tests match plain lines.
func Clean(s string) string {
	return strings.ReplaceAll(ansi.ReplaceAllString(s, ""), "\r", "")
}
