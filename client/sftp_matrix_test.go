package client_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
	"github.com/filemux/filemux/registry"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

// The sizes of the matrix: each goes up and comes back down.
var matrixSizes = []int{0, 1, 5 << 20, 64 << 20}

// roundTrips uploads a random file of each size with WriteFile, checks what
// the server stored, downloads it with ReadFile and checks the local copy.
func roundTrips(t *testing.T, c *client.SFTP, root string, path func(string) string) {
	t.Helper()
	for _, n := range matrixSizes {
		data := randomBytes(n)
		name := fmt.Sprintf("m%d.bin", n)
		up := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(up, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := c.WriteFile(context.Background(), path(name), up); err != nil || got.Bytes != int64(n) {
			t.Fatalf("%d bytes: WriteFile = %d, %v", n, got.Bytes, err)
		}
		if fileSHA(t, filepath.Join(root, name)) != sha(data) {
			t.Fatalf("%d bytes: the server's file differs", n)
		}
		down := filepath.Join(t.TempDir(), name)
		if got, err := c.ReadFile(context.Background(), path(name), down); err != nil || got.Bytes != int64(n) {
			t.Fatalf("%d bytes: ReadFile = %d, %v", n, got.Bytes, err)
		}
		if fileSHA(t, down) != sha(data) {
			t.Fatalf("%d bytes: the local file differs", n)
		}
		os.Remove(up)
		os.Remove(down)
	}
}

// refused downloads remote with c and expects the class, and nothing at
// the local path.
func refused(t *testing.T, c *client.SFTP, remote string, class error) {
	t.Helper()
	local := filepath.Join(t.TempDir(), "local.bin")
	_, err := c.ReadFile(context.Background(), remote, local)
	assertClass(t, err, class)
	assertNothingAt(t, local)
}

// refusedUpload uploads to remote with c and expects the class, and
// nothing at stored, the file the server would have written.
func refusedUpload(t *testing.T, c *client.SFTP, remote, stored string, class error) {
	t.Helper()
	_, err := c.WriteBytes(context.Background(), remote, []byte("refused"))
	assertClass(t, err, class)
	if _, statErr := os.Stat(stored); statErr == nil {
		t.Fatalf("the refused upload exists: %s", stored)
	}
}

// commonRefusals: a missing remote file, a key the server does not know and
// a known_hosts file naming another key for the server.
func commonRefusals(t *testing.T, c client.SFTP, remote, missing string) {
	t.Helper()
	refused(t, &c, missing, behaviour.ErrNotFound)
	wrongKey := c
	wrongKey.IdentityFile = filepath.Join(t.TempDir(), "other_key")
	writeKey(t, wrongKey.IdentityFile)
	refused(t, &wrongKey, remote, client.ErrAuthentication)
	changed := c
	changed.KnownHostsFile = changedKnownHosts(t, c.Addr)
	refused(t, &changed, remote, client.ErrHostKeyMismatch)
}

// changedKnownHosts writes a known_hosts file that names a new key for addr.
func changedKnownHosts(t *testing.T, addr string) string {
	t.Helper()
	dir := t.TempDir()
	key := writeKey(t, filepath.Join(dir, "impostor"))
	host, port, _ := strings.Cut(addr, ":")
	file := filepath.Join(dir, "known_hosts")
	writeFile(t, dir, "known_hosts", []byte("["+host+"]:"+port+" "+string(ssh.MarshalAuthorizedKey(key))))
	return file
}

// The matrix against our own daemon: a Dir, with a directory locked/ that
// refuses every access, and a password for the test user.
func TestSFTPMatrixOurs(t *testing.T) {
	root := t.TempDir()
	dir, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	var reg registry.Registry
	reg.MustRegister(`locked/.*`, denied{})
	reg.MustRegister(`.*`, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("right password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	srv := daemontest.NewSSH(t, &reg, func(d *daemon.SSH) { d.Passwords = map[string]string{daemontest.SSHUser: string(hash)} })
	c := sshClient(srv.Addr().String(), srv.User, srv.KeyFile, srv.KnownHostsFile)
	same := func(name string) string { return name }

	roundTrips(t, c, root, same)
	writeFile(t, root, "there.bin", []byte("there"))
	commonRefusals(t, *c, "there.bin", "missing.bin")
	pw := *c
	pw.IdentityFile, pw.Password = "", "wrong password"
	refused(t, &pw, "there.bin", client.ErrAuthentication)
	pw.Password = "right password"
	if got, _, err := pw.ReadBytes(context.Background(), "there.bin"); err != nil || string(got) != "there" {
		t.Fatalf("with the right password: %q, %v", got, err)
	}
	refused(t, c, "locked/secret.bin", behaviour.ErrAccessViolation)
	refusedUpload(t, c, "locked/up.bin", filepath.Join(root, "locked", "up.bin"), behaviour.ErrAccessViolation)
}

// denied refuses every transfer, as a directory the user may not enter.
type denied struct{ behaviour.Base }

func (denied) Open(context.Context, *behaviour.Transfer) error {
	return &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "permission denied"}
}

// The matrix against OpenSSH's sshd: transfers and refusals as root with a
// key, then a wrong and a right password and a directory the dedicated
// non-root user may not enter, as that user.
func TestSFTPMatrixOpenSSH(t *testing.T) {
	d := runSSHD(t, sshdSetup{config: "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n"})
	c := d.client(t)
	inDir := func(name string) string { return filepath.Join(d.dir, name) }
	roundTrips(t, c, d.dir, inDir)
	writeFile(t, d.dir, "there.bin", []byte("there"))
	commonRefusals(t, *c, inDir("there.bin"), inDir("missing.bin"))

	u, password := passwordUser(t)
	openToOthers(t, d.dir)
	locked := filepath.Join(d.dir, "locked")
	if err := os.Mkdir(locked, 0o700); err != nil { // root's, closed to others
		t.Fatal(err)
	}
	writeFile(t, locked, "secret.bin", []byte("secret"))
	pw := *c
	pw.User, pw.IdentityFile, pw.Password = u.Username, "", "wrong password"
	refused(t, &pw, inDir("there.bin"), client.ErrAuthentication)
	pw.Password = password
	if got, _, err := pw.ReadBytes(context.Background(), inDir("there.bin")); err != nil || string(got) != "there" {
		t.Fatalf("with the right password: %q, %v", got, err)
	}
	refused(t, &pw, filepath.Join(locked, "secret.bin"), behaviour.ErrAccessViolation)
	refusedUpload(t, &pw, filepath.Join(locked, "up.bin"), filepath.Join(locked, "up.bin"), behaviour.ErrAccessViolation)
}

// sftpTestUser is the dedicated non-root user .ci/run adds.
const sftpTestUser = "filemux-sftp"

// passwordUser returns the dedicated non-root user (FILEMUX_SFTP_USER, by
// default filemux-sftp) with a fresh random password, locked again when the
// test ends. It needs root; without it, or without the user, the test is
// skipped (failed with CI=true).
func passwordUser(t *testing.T) (*user.User, string) {
	t.Helper()
	name := orDefault(os.Getenv("FILEMUX_SFTP_USER"), sftpTestUser)
	u, err := user.Lookup(name)
	if err == nil && os.Geteuid() != 0 {
		err = fmt.Errorf("setting %s's password needs root", name)
	}
	if err != nil {
		if peers.Strict() {
			t.Fatalf("the password and permission tests need the user %s and root with CI=true (.ci/run adds the user): %v", name, err)
		}
		t.Skipf("skipping the password and permission tests: %v (see add_sftp_test_user in .ci/run)", err)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	password := hex.EncodeToString(b)
	chpasswd := exec.Command("chpasswd")
	chpasswd.Stdin = strings.NewReader(name + ":" + password + "\n")
	if out, err := chpasswd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("passwd", "--lock", name).CombinedOutput(); err != nil {
			t.Errorf("locking %s's password again: %v: %s", name, err, out)
		}
	})
	return u, password
}

func orDefault(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// openToOthers lets other users through dir and its parent (t.TempDir
// makes both 0700), so that sshd can read the authorized keys and the
// files as the dedicated user.
func openToOthers(t *testing.T, dir string) {
	t.Helper()
	for _, p := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
