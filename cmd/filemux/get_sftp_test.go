package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// sshServer starts our SSH server on a fresh directory that takes every
// upload, and returns the directory, the server and the flags that log in
// with its test key and trust its host key.
func sshServer(t *testing.T) (string, *daemontest.SSHServer, []string) {
	t.Helper()
	root := t.TempDir()
	d, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	srv := daemontest.NewSSH(t, d)
	return root, srv, []string{"--identity", srv.KeyFile, "--known-hosts", srv.KnownHostsFile}
}

func TestGetPutSFTP(t *testing.T) {
	root, srv, login := sshServer(t)
	work := t.TempDir()
	data := peers.RandomBytes(3<<20 + 5)
	writeFile(t, filepath.Join(root, "fw.bin"), data)

	args := append([]string{"get"}, login...)
	filemux(t, work, nil, append(args, srv.URL("sftp", "fw.bin"))...).expect(t, statusOK)
	if fileSHA(t, filepath.Join(work, "fw.bin")) != sha(data) {
		t.Fatal("get into the default local name: content differs")
	}
	filemux(t, work, nil, append(args, "--max-size", "3M", srv.URL("sftp", "fw.bin"), "big.bin")...).expect(t, statusTooLarge)
	filemux(t, work, nil, append(args, "--sha256", sha(nil), srv.URL("sftp", "fw.bin"), "bad.bin")...).expect(t, statusIntegrity)
	for _, name := range []string{"big.bin", "bad.bin"} {
		if _, err := os.Stat(filepath.Join(work, name)); err == nil {
			t.Errorf("a refused download left %s", name)
		}
	}
	o := filemux(t, work, nil, append(args, "--quiet", srv.URL("sftp", "fw.bin"), "-")...).expect(t, statusOK)
	if sha([]byte(o.stdout)) != sha(data) || o.stderr != "" {
		t.Fatalf("get to stdout: %d bytes, stderr %q", len(o.stdout), o.stderr)
	}
	put := append([]string{"put", "--concurrency", "8"}, login...)
	filemux(t, work, data, append(put, "-", srv.URL("sftp", "stdin.bin"))...).expect(t, statusOK)
	filemux(t, work, nil, append(put, "fw.bin", srv.URL("sftp", "up.bin"))...).expect(t, statusOK)
	for _, name := range []string{"stdin.bin", "up.bin"} {
		if fileSHA(t, filepath.Join(root, name)) != sha(data) {
			t.Errorf("put %s: content differs", name)
		}
	}
}

func TestGetSFTPFailures(t *testing.T) {
	_, srv, login := sshServer(t)
	work := t.TempDir()
	get := func(extra ...string) outcome {
		return filemux(t, work, nil, append(append([]string{"get"}, extra...), srv.URL("sftp", "missing.bin"))...)
	}
	get(login...).expect(t, statusNotFound)
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	pw := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pw, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	get("--password-file", pw, "--known-hosts", srv.KnownHostsFile).expect(t, statusAuth)

	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o := get("--identity", srv.KeyFile, "--known-hosts", kh).expect(t, statusHostKey)
	if !strings.Contains(o.stderr, "host key unknown") {
		t.Errorf("stderr %q does not say why", o.stderr)
	}
	get("--identity", srv.KeyFile, "--known-hosts", kh, "--accept-new-host-key").expect(t, statusNotFound)
	if b, _ := os.ReadFile(kh); !strings.Contains(string(b), "ssh-ed25519") {
		t.Fatalf("known_hosts after accepting: %q", b)
	}

	// The server's address with another server's key: a changed host key,
	// refused even with --accept-new-host-key.
	other := daemontest.NewSSH(t, handlers.NewMemory())
	b, err := os.ReadFile(other.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := strings.Cut(string(b), " ")
	line := "[127.0.0.1]:" + strconv.Itoa(int(srv.Addr().Port())) + " " + key
	if err := os.WriteFile(kh, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	get("--identity", srv.KeyFile, "--known-hosts", kh, "--accept-new-host-key").expect(t, statusHostKey)
	if after, _ := os.ReadFile(kh); string(after) != line {
		t.Fatalf("known_hosts changed to %q", after)
	}
}

func TestSFTPUsage(t *testing.T) {
	work := t.TempDir()
	o := filemux(t, work, nil, "get", "sftp://u:secret@127.0.0.1/x").expect(t, statusUsage)
	if !strings.Contains(o.stderr, "--password-file") {
		t.Errorf("a password in the URL: stderr %q", o.stderr)
	}
	filemux(t, work, nil, "get", "sftp://127.0.0.1/x").expect(t, statusUsage) // no credentials
	o = filemux(t, work, nil, "help").expect(t, statusOK)
	for _, want := range []string{"10  sftp: the server refused", "11  sftp: the host key"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// A server that stalls mid-file: --timeout ends the download with the
// timeout status and nothing at the local path.
func TestGetSFTPStalled(t *testing.T) {
	release := make(chan struct{})
	stall := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return io.MultiReader(bytes.NewReader(make([]byte, 100000)), stalled(release)), nil
	})
	srv := daemontest.NewSSH(t, stall)
	t.Cleanup(func() { close(release) }) // runs before the server closes
	work := t.TempDir()
	filemux(t, work, nil, "get", "--timeout", "300ms", "--identity", srv.KeyFile, "--known-hosts", srv.KnownHostsFile,
		srv.URL("sftp", "stall.bin")).expect(t, statusTimeout)
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

// stalled is a reader that blocks until it is closed, then ends.
type stalled chan struct{}

func (s stalled) Read([]byte) (int, error) { <-s; return 0, io.EOF }
