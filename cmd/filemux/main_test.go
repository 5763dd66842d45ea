package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// filemuxBin is the command under test, built once by TestMain.
var filemuxBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "filemux-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	filemuxBin = filepath.Join(dir, "filemux")
	if runtime.GOOS == "windows" {
		filemuxBin += ".exe"
	}
	build := exec.Command("go", "build", "-o", filemuxBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building filemux:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// outcome is what one run of the command did.
type outcome struct {
	status         int
	stdout, stderr string
}

// filemux runs the built command with args in dir, feeding it stdin, and
// returns its exit status and output. It fails the test when the command
// does not end within a minute.
func filemux(t *testing.T, dir string, stdin []byte, args ...string) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filemuxBin, args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("filemux %s: did not end: %s", strings.Join(args, " "), errOut.String())
	case err != nil && !errors.As(err, &ee):
		t.Fatalf("filemux %s: %v", strings.Join(args, " "), err)
	}
	return outcome{cmd.ProcessState.ExitCode(), out.String(), errOut.String()}
}

// expect fails the test unless the run ended with status want.
func (o outcome) expect(t *testing.T, want status) outcome {
	t.Helper()
	if o.status != int(want) {
		t.Fatalf("exit status %d, want %d (%v); stderr:\n%s", o.status, int(want), want, o.stderr)
	}
	return o
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha(b)
}
