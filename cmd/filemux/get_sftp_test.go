package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
	"github.com/filemux/filemux/internal/sshtest"
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
	t.Setenv("SSH_AUTH_SOCK", "")                                             // no agent either
	filemux(t, work, nil, "get", "sftp://127.0.0.1/x").expect(t, statusUsage) // no credentials
	o = filemux(t, work, nil, "help").expect(t, statusOK)
	for _, want := range []string{"10  ssh: the server refused", "11  ssh: the host key"} {
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

// With neither --identity nor --password-file, get logs in with the
// ssh-agent at SSH_AUTH_SOCK, as ssh does; --agent asks for it beside a key.
func TestGetSFTPAgent(t *testing.T) {
	root, srv, _ := sshServer(t)
	writeFile(t, filepath.Join(root, "a.bin"), []byte("agent"))
	work := t.TempDir()
	t.Setenv("SSH_AUTH_SOCK", sshtest.Agent(t, srv.KeyFile))
	filemux(t, work, nil, "get", "--known-hosts", srv.KnownHostsFile, srv.URL("sftp", "a.bin")).expect(t, statusOK)
	if b, _ := os.ReadFile(filepath.Join(work, "a.bin")); string(b) != "agent" {
		t.Fatalf("got %q", b)
	}
	other := daemontest.NewSSH(t, handlers.NewMemory()) // its key is not authorized on srv
	filemux(t, work, nil, "get", "--agent", "--identity", other.KeyFile, "--known-hosts", srv.KnownHostsFile,
		srv.URL("sftp", "a.bin"), "b.bin").expect(t, statusOK)
	t.Setenv("SSH_AUTH_SOCK", "")
	filemux(t, work, nil, "get", "--known-hosts", srv.KnownHostsFile, srv.URL("sftp", "a.bin"), "c.bin").expect(t, statusUsage)
}

// An OpenSSH sshd that offers only SHA-1 key exchange and an ssh-rsa host
// key: refused by default, reached with --legacy-algorithms.
func TestGetSFTPLegacyAlgorithms(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		if peers.Strict() {
			t.Fatalf("/usr/sbin/sshd is required with CI=true: %v", err)
		}
		t.Skipf("skipping, OpenSSH's sshd is not available: %v", err)
	}
	dir := t.TempDir()
	for _, k := range []string{"host_key", "id_rsa"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	port := sftpFreePort(t)
	config := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_key\nAuthorizedKeysFile %s/id_rsa.pub\n"+
		"PidFile none\nSubsystem sftp internal-sftp\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n"+
		"KexAlgorithms diffie-hellman-group14-sha1\nHostKeyAlgorithms ssh-rsa\n", port, dir, dir)
	writeFile(t, filepath.Join(dir, "sshd_config"), []byte(config))
	writeFile(t, filepath.Join(dir, "old.cfg"), []byte("hostname old-router\n"))
	_ = os.MkdirAll("/run/sshd", 0o755)
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sftpWaitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("sftp://%s@127.0.0.1:%d%s/old.cfg", me.Username, port, dir)
	work := t.TempDir()
	args := []string{"get", "--identity", filepath.Join(dir, "id_rsa"), "--known-hosts", filepath.Join(work, "kh"), "--accept-new-host-key"}
	o := filemux(t, work, nil, append(args, url)...).expect(t, statusFailure)
	if !strings.Contains(o.stderr, "--legacy-algorithms") {
		t.Errorf("stderr %q does not point at --legacy-algorithms", o.stderr)
	}
	filemux(t, work, nil, append(args, "--legacy-algorithms", url)...).expect(t, statusOK)
	if b, _ := os.ReadFile(filepath.Join(work, "old.cfg")); string(b) != "hostname old-router\n" {
		t.Fatalf("got %q", b)
	}
}

// --transfer-timeout ends a download that still trickles, where --timeout
// (no data for T) would not.
func TestGetSFTPTransferTimeout(t *testing.T) {
	slow := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return &trickle{n: 1 << 20}, nil
	})
	srv := daemontest.NewSSH(t, slow)
	work := t.TempDir()
	filemux(t, work, nil, "get", "--timeout", "5s", "--transfer-timeout", "400ms", "--identity", srv.KeyFile,
		"--known-hosts", srv.KnownHostsFile, srv.URL("sftp", "slow.bin")).expect(t, statusTimeout)
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

// trickle yields 1 KiB every 20 ms until n bytes are out.
type trickle struct{ n int }

func (r *trickle) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	time.Sleep(20 * time.Millisecond)
	k := min(len(p), r.n, 1024)
	r.n -= k
	return k, nil
}

func sftpFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func sftpWaitListening(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s", addr)
}

// put --resume sends only what the remote file lacks.
func TestPutSFTPResume(t *testing.T) {
	root, srv, login := sshServer(t)
	work := t.TempDir()
	data := peers.RandomBytes(2<<20 + 9)
	writeFile(t, filepath.Join(work, "fw.bin"), data)
	writeFile(t, filepath.Join(root, "fw.bin"), data[:700000])
	put := append([]string{"put", "--resume"}, login...)
	o := filemux(t, work, nil, append(put, "fw.bin", srv.URL("sftp", "fw.bin"))...).expect(t, statusOK)
	if fileSHA(t, filepath.Join(root, "fw.bin")) != sha(data) {
		t.Fatal("the resumed file differs")
	}
	if want := humanBytes(int64(len(data) - 700000)); !strings.Contains(o.stderr, want) {
		t.Errorf("the summary %q does not say %s were sent", o.stderr, want)
	}
	filemux(t, work, data, append(put, "-", srv.URL("sftp", "x.bin"))...).expect(t, statusUsage)
}
