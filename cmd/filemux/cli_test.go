package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// ownServer starts our daemon on a fresh directory with policy.
func ownServer(t *testing.T, policy handlers.WritePolicy, opts ...daemontest.Option) (string, *daemontest.TFTPServer) {
	t.Helper()
	root := t.TempDir()
	d, err := handlers.NewDir(root, handlers.DirConfig{Write: policy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return root, daemontest.NewTFTP(t, d, opts...)
}

// TestGetPutOwnDaemon moves files both ways through the command, to a
// path, to stdout and from stdin.
func TestGetPutOwnDaemon(t *testing.T) {
	root, srv := ownServer(t, handlers.WriteAny, func(d *daemon.TFTP) { d.MaxWindowSize = 64 })
	work := t.TempDir()
	data := peers.RandomBytes(300000)
	writeFile(t, filepath.Join(root, "fw.bin"), data)

	o := filemux(t, work, nil, "get", "--blksize", "1468", "--windowsize", "64", "--tsize", "--fsync", srv.URL("fw.bin")).expect(t, statusOK)
	if got := fileSHA(t, filepath.Join(work, "fw.bin")); got != sha(data) {
		t.Fatal("get into the default local name: content differs")
	}
	if !strings.Contains(o.stderr, "300000") && !strings.Contains(o.stderr, "293.0 KiB") || strings.Contains(o.stderr, "\r") {
		t.Errorf("summary %q: want one line with the size and no progress bar (stderr is no terminal)", o.stderr)
	}
	o = filemux(t, work, nil, "get", "--quiet", srv.URL("fw.bin"), "-").expect(t, statusOK)
	if sha([]byte(o.stdout)) != sha(data) || o.stderr != "" {
		t.Fatalf("get to stdout: %d bytes, stderr %q", len(o.stdout), o.stderr)
	}
	filemux(t, work, data, "put", "--tsize", "-", srv.URL("from-stdin.bin")).expect(t, statusOK)
	filemux(t, work, nil, "put", "fw.bin", srv.URL("dir/")).expect(t, statusNotFound) // no such directory
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	filemux(t, work, nil, "put", "--blksize=512", "fw.bin", srv.URL("dir/")).expect(t, statusOK)
	for _, name := range []string{"from-stdin.bin", "dir/fw.bin"} {
		if got := fileSHA(t, filepath.Join(root, name)); got != sha(data) {
			t.Errorf("%s: content differs", name)
		}
	}
}

// TestNetasciiURL: ;mode=netascii in the URL translates line ends.
func TestNetasciiURL(t *testing.T) {
	root, srv := ownServer(t, handlers.WriteAny)
	work := t.TempDir()
	text := "one\ntwo\r\nthree\n"
	writeFile(t, filepath.Join(work, "t.txt"), []byte(text))
	filemux(t, work, nil, "put", "t.txt", srv.URL("t.txt;mode=netascii")).expect(t, statusOK)
	o := filemux(t, work, nil, "get", "--quiet", srv.URL("t.txt;mode=netascii"), "-").expect(t, statusOK)
	if o.stdout != text {
		t.Fatalf("netascii round trip: %q", o.stdout)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "t.txt")); string(b) != text {
		t.Fatalf("stored %q", b)
	}
}

// TestExitStatuses: each class of failure has its own status, and the
// message names the file and the server and says what the server answered.
func TestExitStatuses(t *testing.T) {
	root, srv := ownServer(t, handlers.WriteNone)
	_, full := ownServer(t, handlers.WriteAny, func(d *daemon.TFTP) { d.MaxSize = 100 })
	odd := daemontest.NewTFTP(t, behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return nil, behaviour.NewError(behaviour.CodeNoSuchUser, "who are you")
	}))
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	work := t.TempDir()
	data := peers.RandomBytes(5000)
	writeFile(t, filepath.Join(root, "f"), data)
	writeFile(t, filepath.Join(work, "f"), data)
	cases := []struct {
		name string
		args []string
		want status
		says string
	}{
		{"not found", []string{"get", srv.URL("missing"), "-"}, statusNotFound, `"missing" from ` + srv.Addr().String()},
		{"access violation", []string{"put", "f", srv.URL("f2")}, statusAccess, "access violation"},
		{"disk full", []string{"put", "--tsize", "f", full.URL("f")}, statusDiskFull, "disk full"},
		{"other server error", []string{"get", odd.URL("f"), "-"}, statusServer, "who are you"},
		{"timeout", []string{"get", "--timeout", "100ms", "--retries", "1", "tftp://" + silent.LocalAddr().String() + "/f", "out"}, statusTimeout, "stopped answering"},
		{"integrity", []string{"get", "--sha256", sha([]byte("other")), srv.URL("f"), "checked"}, statusIntegrity, "integrity"},
		{"too large", []string{"get", "--max-size", "1K", srv.URL("f"), "big"}, statusTooLarge, "larger"},
		{"usage: no URL", []string{"get"}, statusUsage, "want 1 or 2 arguments"},
		{"usage: bad URL", []string{"get", "ftp://x/y"}, statusUsage, "tftp://"},
		{"usage: bad flag", []string{"put", "--blksize", "x", "f", srv.URL("f")}, statusUsage, "invalid value"},
		{"usage: bad blksize", []string{"get", "--blksize", "4", srv.URL("f")}, statusUsage, "BlockSize"},
		{"usage: bad digest", []string{"get", "--md5", "abc", srv.URL("f")}, statusUsage, "md5"},
		{"usage: bad mode", []string{"get", "--mode", "mail", srv.URL("f")}, statusUsage, "mail"},
		{"usage: no command", []string{"frobnicate"}, statusUsage, "unknown command"},
		{"local failure", []string{"put", "no-such-file", srv.URL("f")}, statusFailure, "no-such-file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := filemux(t, work, nil, tc.args...).expect(t, tc.want)
			if !strings.Contains(o.stderr, tc.says) {
				t.Errorf("stderr %q does not say %q", o.stderr, tc.says)
			}
		})
	}
	for _, name := range []string{"out", "checked", "big"} {
		if _, err := os.Stat(filepath.Join(work, name)); err == nil {
			t.Errorf("a failed get left %s behind", name)
		}
	}
}

// TestHelp: help succeeds and documents the exit statuses.
func TestHelp(t *testing.T) {
	o := filemux(t, t.TempDir(), nil, "help").expect(t, statusOK)
	for _, s := range []status{statusNotFound, statusTimeout, statusIntegrity} {
		if !strings.Contains(o.stdout, s.describe()) {
			t.Errorf("help lacks %q", s.describe())
		}
	}
	filemux(t, t.TempDir(), nil, "get", "-h").expect(t, statusOK)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
