package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
)

// slowReader yields a byte block every few milliseconds, forever.
type slowReader struct{}

func (slowReader) Read(p []byte) (int, error) {
	time.Sleep(5 * time.Millisecond)
	return copy(p, bytes.Repeat([]byte{'x'}, len(p))), nil
}

// TestInterrupt: SIGINT during a get ends it with status 130, leaves
// nothing behind, and the server hears of it.
func TestInterrupt(t *testing.T) {
	failures := make(chan daemon.Stats, 1)
	srv := daemontest.NewTFTP(t, behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return slowReader{}, nil
	}), func(d *daemon.TFTP) { d.OnFailure = func(s daemon.Stats) { failures <- s } })
	work := t.TempDir()
	cmd := exec.Command(filemuxBin, "get", srv.URL("endless"), "out")
	cmd.Dir = work
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitActive(t, srv.TFTP)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if got := cmd.ProcessState.ExitCode(); got != int(statusInterrupted) {
		t.Fatalf("exit status %d, want %d; stderr %s", got, statusInterrupted, stderr.String())
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Fatalf("an interrupted get left %d files", len(entries))
	}
	select {
	case s := <-failures:
		if s.Err == nil || !strings.Contains(s.Err.Error(), "cancel") {
			t.Fatalf("the server saw %v", s.Err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not hear of the interruption")
	}
}

// waitActive waits until the daemon has moved data for a transfer.
func waitActive(t *testing.T, d *daemon.TFTP) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if a := d.Active(); len(a) > 0 && a[0].Bytes > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no transfer started")
}
