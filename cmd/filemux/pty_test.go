//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
	"golang.org/x/sys/unix"
)

// openPTY returns the controlling and the terminal side of a new
// pseudo-terminal.
func openPTY(t *testing.T) (ptmx, pts *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close(); pts.Close() })
	return ptmx, pts
}

// TestProgressBarOnTerminal: with stderr on a terminal, get draws the bar
// (name, size, percentage) and still ends with the summary; the pipe case
// (no bar) is TestGetPutOwnDaemon's.
func TestProgressBarOnTerminal(t *testing.T) {
	ptmx, pts := openPTY(t)
	root, srv := ownServer(t, handlers.WriteNone)
	writeFile(t, root+"/fw.bin", peers.RandomBytes(200000))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filemuxBin, "get", "--tsize", srv.URL("fw.bin"), "-")
	cmd.Stdout, cmd.Stderr = io.Discard, pts
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&screen, ptmx); close(copied) }()
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pts.Close()
	_ = ptmx.SetReadDeadline(time.Now().Add(time.Second))
	<-copied
	out := screen.String()
	for _, want := range []string{"\r", "fw.bin", "195.3 KiB", "%", "got tftp://"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, out)
		}
	}
}
