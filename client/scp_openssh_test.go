package client_test

import (
	"context"
	"github.com/filemux/filemux/behaviour"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/internal/peers"
	"golang.org/x/crypto/ssh"
)

// startSSHDForSCP runs OpenSSH's sshd (see startSSHD), whose scp -f and -t
// need OpenSSH's scp program on the machine.
func startSSHDForSCP(t *testing.T) *client.SCP {
	t.Helper()
	needSCP(t)
	return &client.SCP{SSH: startSSHD(t).SSH}
}

// needSCP skips the test (fails it with CI=true) without OpenSSH's scp,
// which sshd runs for scp -f and -t.
func needSCP(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/scp"); err != nil {
		if peers.Strict() {
			t.Fatalf("/usr/bin/scp is required with CI=true: %v (.ci/run installs openssh-client)", err)
		}
		t.Skipf("skipping, sshd runs OpenSSH's scp, which is missing: %v (apt-get install openssh-client)", err)
	}
}

func TestSCPOpenSSH(t *testing.T) {
	c := startSSHDForSCP(t)
	dir := t.TempDir()
	sizes := scpSizes
	if !testing.Short() {
		sizes = append(sizes, 64<<20)
	}
	scpRoundTrips(t, c, dir, func(name string) string { return filepath.Join(dir, name) }, sizes)

	// sshd runs the command in the user's shell: names that a shell would
	// split, expand or run arrive as they are.
	for _, name := range []string{"it's a file.bin", "$(touch pwned).bin", "`touch pwned`;x.bin", "-dash.bin"} {
		remote := filepath.Join(dir, name)
		if _, err := c.WriteBytes(context.Background(), remote, []byte(name)); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if b, _, err := c.ReadBytes(context.Background(), remote); err != nil || string(b) != name {
			t.Fatalf("%q: ReadBytes = %q, %v", name, b, err)
		}
		if b, _ := os.ReadFile(remote); string(b) != name {
			t.Fatalf("%q: the server's copy is %q", name, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Fatal("the remote shell ran a command from a file name")
	}
	if home, err := os.UserHomeDir(); err == nil {
		if _, err := os.Stat(filepath.Join(home, "pwned")); err == nil {
			t.Fatal("the remote shell ran a command from a file name")
		}
	}

	private := *c
	private.Mode = 0o600
	if _, err := private.WriteBytes(context.Background(), filepath.Join(dir, "private.key"), []byte("k")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "private.key")); err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Fatalf("with Mode 0600 sshd created a file of mode %v", fi.Mode())
	}

	local := filepath.Join(t.TempDir(), "m")
	_, err := c.ReadFile(context.Background(), filepath.Join(dir, "missing"), local)
	se := assertClass(t, err, behaviour.ErrNotFound)
	if !strings.HasSuffix(se.Message, "missing: No such file or directory") {
		t.Errorf("Message = %q, want OpenSSH's line", se.Message)
	}
	assertNothingAt(t, local)

	_, err = c.WriteBytes(context.Background(), filepath.Join(dir, "no-dir", "x"), []byte("x"))
	assertClass(t, err, behaviour.ErrNotFound)
	_, _, err = c.ReadBytes(context.Background(), filepath.Join(dir, ".."))
	assertClass(t, err, client.ErrOther) // refused before asking

	other := *c
	other.IdentityFile = filepath.Join(t.TempDir(), "other_key")
	writeKey(t, other.IdentityFile)
	_, err = other.ReadFile(context.Background(), filepath.Join(dir, "up-1.bin"), local)
	assertClass(t, err, client.ErrAuthentication)
	assertNothingAt(t, local)
	other.IdentityFile, other.Password = "", "wrong password"
	_, err = other.WriteBytes(context.Background(), filepath.Join(dir, "pw.bin"), []byte("x"))
	assertClass(t, err, client.ErrAuthentication)

	changed := *c
	changed.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	b, err := os.ReadFile(c.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ := strings.Cut(string(b), " ")
	key := writeKey(t, filepath.Join(t.TempDir(), "not_the_host_key"))
	writeFile(t, filepath.Dir(changed.KnownHostsFile), "known_hosts", []byte(host+" "+string(ssh.MarshalAuthorizedKey(key))))
	_, err = changed.ReadFile(context.Background(), filepath.Join(dir, "up-1.bin"), local)
	assertClass(t, err, client.ErrHostKeyMismatch)
	assertNothingAt(t, local)
}

// SCP as the dedicated non-root user against OpenSSH's sshd: a wrong and a
// right password, and a directory the user may not enter, for a download
// and an upload (OpenSSH's scp says "Permission denied").
func TestSCPPermissionOpenSSH(t *testing.T) {
	needSCP(t)
	d := runSSHD(t, sshdSetup{config: "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n"})
	u, password := passwordUser(t)
	openToOthers(t, d.dir)
	writeFile(t, d.dir, "there.bin", []byte("there"))
	locked := filepath.Join(d.dir, "locked")
	if err := os.Mkdir(locked, 0o700); err != nil { // root's, closed to others
		t.Fatal(err)
	}
	writeFile(t, locked, "secret.bin", []byte("secret"))
	c := &client.SCP{SSH: d.client(t).SSH}
	c.User, c.IdentityFile, c.Password = u.Username, "", "wrong password"
	local := filepath.Join(t.TempDir(), "local.bin")
	_, err := c.ReadFile(context.Background(), filepath.Join(d.dir, "there.bin"), local)
	assertClass(t, err, client.ErrAuthentication)
	assertNothingAt(t, local)

	c.Password = password
	if got, _, err := c.ReadBytes(context.Background(), filepath.Join(d.dir, "there.bin")); err != nil || string(got) != "there" {
		t.Fatalf("with the right password: %q, %v", got, err)
	}
	_, err = c.ReadFile(context.Background(), filepath.Join(locked, "secret.bin"), local)
	se := assertClass(t, err, behaviour.ErrAccessViolation)
	if !strings.Contains(se.Message, "Permission denied") {
		t.Errorf("Message = %q, want OpenSSH's line", se.Message)
	}
	assertNothingAt(t, local)
	_, err = c.WriteBytes(context.Background(), filepath.Join(locked, "up.bin"), []byte("refused"))
	assertClass(t, err, behaviour.ErrAccessViolation)
	if _, err := os.Stat(filepath.Join(locked, "up.bin")); err == nil {
		t.Fatal("the refused upload exists")
	}
}
