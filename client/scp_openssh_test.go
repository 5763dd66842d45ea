package client_test

import (
	"context"
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
	if _, err := os.Stat("/usr/bin/scp"); err != nil {
		if peers.Strict() {
			t.Fatalf("/usr/bin/scp is required with CI=true: %v (.ci/run installs openssh-client)", err)
		}
		t.Skipf("skipping, sshd runs OpenSSH's scp, which is missing: %v (apt-get install openssh-client)", err)
	}
	return &client.SCP{SSH: startSSHD(t).SSH}
}

func TestSCPOpenSSH(t *testing.T) {
	c := startSSHDForSCP(t)
	dir := t.TempDir()
	sizes := scpSizes
	if !testing.Short() {
		sizes = append(sizes, 64<<20)
	}
	scpRoundTrips(t, c, dir, func(name string) string { return filepath.Join(dir, name) }, sizes)

	local := filepath.Join(t.TempDir(), "m")
	_, err := c.ReadFile(context.Background(), filepath.Join(dir, "missing"), local)
	se := assertClass(t, err, client.ErrNotFound)
	if !strings.HasSuffix(se.Message, "missing: No such file or directory") {
		t.Errorf("Message = %q, want OpenSSH's line", se.Message)
	}
	assertNothingAt(t, local)

	_, err = c.WriteBytes(context.Background(), filepath.Join(dir, "no-dir", "x"), []byte("x"))
	assertClass(t, err, client.ErrNotFound)
	_, err = c.ReadBytes(context.Background(), filepath.Join(dir, ".."))
	assertClass(t, err, client.ErrOther) // refused before asking

	other := *c
	other.IdentityFile = filepath.Join(t.TempDir(), "other_key")
	writeKey(t, other.IdentityFile)
	_, err = other.ReadFile(context.Background(), filepath.Join(dir, "up-1.bin"), local)
	assertClass(t, err, client.ErrAuthentication)
	assertNothingAt(t, local)

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
