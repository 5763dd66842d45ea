package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/filemux/filemux/internal/peers"
)

// served is a running "filemux serve".
type served struct {
	cmd    *exec.Cmd
	addr   string
	banner string
	exited chan error
}

// startServe runs the built "filemux serve" in dir on a free loopback port
// with extra flags, and waits for its banner. The test's cleanup stops it.
func startServe(t *testing.T, dir string, flags ...string) *served {
	t.Helper()
	return startServeEnv(t, dir, nil, flags...)
}

// startServeEnv is startServe with env added to the environment.
func startServeEnv(t *testing.T, dir string, env []string, flags ...string) *served {
	t.Helper()
	port, err := peers.FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(filemuxBin, append([]string{"serve", "--tftp", addr}, flags...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	s := startCmd(t, cmd)
	s.addr = addr
	return s
}

// startCmd starts cmd, a "filemux serve", and waits for its banner. The
// test's cleanup stops it.
func startCmd(t *testing.T, cmd *exec.Cmd) *served {
	t.Helper()
	// Read only after Wait returned, when exec's copier is done with it.
	var logs strings.Builder
	cmd.Stderr = &logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, exited: make(chan error, 1)}
	banner := make(chan string, 1)
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
				banner <- b.String()
			}
		}
		_, _ = io.Copy(io.Discard, out)
		s.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("filemux serve logs:\n%s", logs.String())
		}
	})
	select {
	case s.banner = <-banner:
	case err := <-s.exited:
		t.Fatalf("filemux serve exited: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("filemux serve printed no banner")
	}
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *served) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		s.exited <- err
		if err != nil {
			t.Fatalf("filemux serve after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("filemux serve did not stop on SIGTERM")
	}
}

// TestServeDemo: the embedded default serves the demo file to curl and to
// filemux get, serves the directory read-only, and stops on SIGTERM.
func TestServeDemo(t *testing.T) {
	peers.Need(t, "curl")
	dir := t.TempDir()
	data := peers.RandomBytes(100000)
	writeFile(t, filepath.Join(dir, "boot.img"), data)
	s := startServe(t, dir)
	for _, want := range []string{"filemux get tftp://" + s.addr + "/filemux-demo.txt", "curl tftp://" + s.addr + "/filemux-demo.txt"} {
		if !strings.Contains(s.banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, s.banner)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	demo, err := exec.CommandContext(ctx, "curl", "-sS", "tftp://"+s.addr+"/filemux-demo.txt").Output()
	if err != nil || !strings.HasPrefix(string(demo), "Hello from filemux!") {
		t.Fatalf("curl got %q, %v", demo, err)
	}
	work := t.TempDir()
	o := filemux(t, work, nil, "get", "--quiet", "tftp://"+s.addr+"/filemux-demo.txt", "-").expect(t, statusOK)
	if o.stdout != string(demo) {
		t.Errorf("filemux get and curl disagree:\n%q\n%q", o.stdout, demo)
	}
	filemux(t, work, nil, "get", "tftp://"+s.addr+"/boot.img").expect(t, statusOK)
	if fileSHA(t, filepath.Join(work, "boot.img")) != sha(data) {
		t.Error("boot.img differs")
	}
	filemux(t, work, nil, "put", "boot.img", "tftp://"+s.addr+"/copy.img").expect(t, statusAccess)
	s.stop(t)
}

// TestServeWritableRoot: --root and --writable accept uploads into DIR.
func TestServeWritableRoot(t *testing.T) {
	root, work := t.TempDir(), t.TempDir()
	data := peers.RandomBytes(5000)
	writeFile(t, filepath.Join(work, "cfg.txt"), data)
	s := startServe(t, work, "--root", root, "--writable")
	filemux(t, work, nil, "put", "cfg.txt", "tftp://"+s.addr+"/backup/").expect(t, statusNotFound)
	filemux(t, work, nil, "put", "cfg.txt", "tftp://"+s.addr+"/cfg.txt").expect(t, statusOK)
	if fileSHA(t, filepath.Join(root, "cfg.txt")) != sha(data) {
		t.Fatal("the upload differs")
	}
	filemux(t, work, nil, "put", "cfg.txt", "tftp://"+s.addr+"/filemux-demo.txt").expect(t, statusAccess)
	s.stop(t)
}

// TestServeBadFlags: a bad address or root fails at once.
func TestServeBadFlags(t *testing.T) {
	filemux(t, t.TempDir(), nil, "serve", "--tftp", "nonsense").expect(t, statusUsage)
	filemux(t, t.TempDir(), nil, "serve", "--tftp", "127.0.0.1:0", "--root", filepath.Join(t.TempDir(), "missing")).expect(t, statusFailure)
	filemux(t, t.TempDir(), nil, "serve", "extra").expect(t, statusUsage)
}
