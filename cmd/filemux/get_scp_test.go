package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

func TestGetPutSCP(t *testing.T) {
	root, srv, login := sshServer(t)
	work := t.TempDir()
	data := peers.RandomBytes(3<<20 + 5)
	writeFile(t, filepath.Join(root, "fw.bin"), data)

	get := append([]string{"get"}, login...)
	filemux(t, work, nil, append(get, srv.URL("scp", "fw.bin"))...).expect(t, statusOK)
	if fileSHA(t, filepath.Join(work, "fw.bin")) != sha(data) {
		t.Fatal("get into the default local name: content differs")
	}
	filemux(t, work, nil, append(get, "--max-size", "3M", srv.URL("scp", "fw.bin"), "big.bin")...).expect(t, statusTooLarge)
	filemux(t, work, nil, append(get, "--sha256", sha(nil), srv.URL("scp", "fw.bin"), "bad.bin")...).expect(t, statusIntegrity)
	for _, name := range []string{"big.bin", "bad.bin"} {
		if _, err := os.Stat(filepath.Join(work, name)); err == nil {
			t.Errorf("a refused download left %s", name)
		}
	}
	o := filemux(t, work, nil, append(get, "--quiet", srv.URL("scp", "fw.bin"), "-")...).expect(t, statusOK)
	if sha([]byte(o.stdout)) != sha(data) || o.stderr != "" {
		t.Fatalf("get to stdout: %d bytes, stderr %q", len(o.stdout), o.stderr)
	}

	put := append([]string{"put"}, login...)
	filemux(t, work, data, append(put, "-", srv.URL("scp", "stdin.bin"))...).expect(t, statusOK) // a pipe: spooled
	o = filemux(t, work, nil, append(put, "fw.bin", srv.URL("scp", "up.bin"))...).expect(t, statusOK)
	if !strings.Contains(o.stderr, "scp://") {
		t.Errorf("summary %q does not name the scp:// URL", o.stderr)
	}
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	filemux(t, work, nil, append(put, "fw.bin", srv.URL("scp", "dir/"))...).expect(t, statusOK)
	for _, name := range []string{"stdin.bin", "up.bin", "dir/fw.bin"} {
		if fileSHA(t, filepath.Join(root, name)) != sha(data) {
			t.Errorf("put %s: content differs", name)
		}
	}
}

func TestGetPutSCPFailures(t *testing.T) {
	_, srv, login := sshServer(t)
	work := t.TempDir()
	get := func(extra ...string) outcome {
		return filemux(t, work, nil, append(append([]string{"get"}, extra...), srv.URL("scp", "missing.bin"))...)
	}
	o := get(login...).expect(t, statusNotFound)
	if !strings.Contains(o.stderr, "No such file or directory") {
		t.Errorf("stderr %q lacks the server's message", o.stderr)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	pw := filepath.Join(t.TempDir(), "password")
	writeFile(t, pw, []byte("wrong\n"))
	get("--password-file", pw, "--known-hosts", srv.KnownHostsFile).expect(t, statusAuth)

	kh := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, kh, nil)
	get("--identity", srv.KeyFile, "--known-hosts", kh).expect(t, statusHostKey)

	other := daemontest.NewSSH(t, handlers.NewMemory())
	b, err := os.ReadFile(other.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := strings.Cut(string(b), " ")
	writeFile(t, kh, []byte("[127.0.0.1]:"+strconv.Itoa(int(srv.Addr().Port()))+" "+key))
	get("--identity", srv.KeyFile, "--known-hosts", kh, "--accept-new-host-key").expect(t, statusHostKey)

	ro := daemontest.NewSSH(t, handlers.ReadOnly(handlers.NewMemory()))
	writeFile(t, filepath.Join(work, "x.cfg"), []byte("x"))
	filemux(t, work, nil, "put", "--identity", ro.KeyFile, "--known-hosts", ro.KnownHostsFile, "x.cfg", ro.URL("scp", "x.cfg")).expect(t, statusAccess)
	filemux(t, work, nil, "get", "scp://u:secret@127.0.0.1/x").expect(t, statusUsage)
	o = filemux(t, work, nil, "put", "--resume", "--identity", ro.KeyFile, "x.cfg", ro.URL("scp", "x.cfg")).expect(t, statusUsage)
	if !strings.Contains(o.stderr, "sftp:// only") {
		t.Errorf("put --resume over scp://: stderr %q", o.stderr)
	}
}

// The built command against OpenSSH's sshd, whose scp -f and -t are
// OpenSSH's scp program: both ways with sha256, a missing file and a key
// sshd does not know.
func TestGetPutSCPOpenSSH(t *testing.T) {
	for _, p := range []string{"/usr/sbin/sshd", "/usr/bin/scp", "/usr/bin/ssh-keygen"} {
		if _, err := os.Stat(p); err != nil {
			if peers.Strict() {
				t.Fatalf("%s is required with CI=true: %v", p, err)
			}
			t.Skipf("skipping, %s is missing: %v (apt-get install openssh-server)", p, err)
		}
	}
	dir := t.TempDir()
	for _, k := range []string{"host_key", "id_ed25519", "other_key"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	port := sftpFreePort(t)
	writeFile(t, filepath.Join(dir, "sshd_config"), []byte(fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\n"+
		"HostKey %s/host_key\nAuthorizedKeysFile %s/id_ed25519.pub\nPidFile none\nUsePAM no\nStrictModes no\n"+
		"PasswordAuthentication no\n", port, dir, dir)))
	_ = os.MkdirAll("/run/sshd", 0o755)
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sftpWaitListening(t, fmt.Sprintf("127.0.0.1:%d", port))
	hostKey, err := os.ReadFile(filepath.Join(dir, "host_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(dir, "known_hosts")
	writeFile(t, kh, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", port, hostKey)))
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	url := func(name string) string {
		return fmt.Sprintf("scp://%s@127.0.0.1:%d%s/%s", me.Username, port, dir, name)
	}
	login := []string{"--quiet", "--identity", filepath.Join(dir, "id_ed25519"), "--known-hosts", kh}

	work := t.TempDir()
	data := peers.RandomBytes(5<<20 + 3)
	writeFile(t, filepath.Join(work, "fw.bin"), data)
	filemux(t, work, nil, append(append([]string{"put"}, login...), "fw.bin", url("up.bin"))...).expect(t, statusOK)
	if fileSHA(t, filepath.Join(dir, "up.bin")) != sha(data) {
		t.Fatal("put: sshd's copy differs")
	}
	filemux(t, work, nil, append(append([]string{"get"}, login...), url("up.bin"), "down.bin")...).expect(t, statusOK)
	if fileSHA(t, filepath.Join(work, "down.bin")) != sha(data) {
		t.Fatal("get: the local copy differs")
	}
	filemux(t, work, nil, append(append([]string{"get"}, login...), url("missing.bin"))...).expect(t, statusNotFound)
	if _, err := os.Stat(filepath.Join(work, "missing.bin")); err == nil {
		t.Fatal("a failed download left missing.bin")
	}
	filemux(t, work, nil, "get", "--identity", filepath.Join(dir, "other_key"), "--known-hosts", kh, url("up.bin"), "x.bin").expect(t, statusAuth)
}
