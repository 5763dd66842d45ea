package client_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/sshtest"
)

// Each case is an sshd that offers only one kind of legacy algorithm for
// one step of the handshake (and modern ones for the others): the default
// client refuses it, LegacyAlgorithms logs in.
func TestSSHLegacyAlgorithmsOpenSSH(t *testing.T) {
	cases := []struct {
		name, config string
		class        error
	}{
		{"kex group1-sha1", "KexAlgorithms diffie-hellman-group1-sha1\n", client.ErrOther},
		{"kex group14-sha1", "KexAlgorithms diffie-hellman-group14-sha1\n", client.ErrOther},
		{"kex group-exchange-sha1", "KexAlgorithms diffie-hellman-group-exchange-sha1\n", client.ErrOther},
		{"cipher aes128-cbc", "Ciphers aes128-cbc\n", client.ErrOther},
		{"cipher 3des-cbc", "Ciphers 3des-cbc\n", client.ErrOther},
		// AES-GCM and chacha20-poly1305 carry their own MAC: a MAC is only
		// negotiated with another cipher.
		{"mac hmac-sha1-96", "Ciphers aes128-ctr\nMACs hmac-sha1-96\n", client.ErrOther},
		{"host key ssh-rsa", "HostKeyAlgorithms ssh-rsa\n", client.ErrOther},
		{"user key ssh-rsa", "PubkeyAcceptedAlgorithms ssh-rsa\n", client.ErrAuthentication},
		{"all of them", "KexAlgorithms diffie-hellman-group1-sha1\nCiphers 3des-cbc\nMACs hmac-sha1-96\n" +
			"HostKeyAlgorithms ssh-rsa\nPubkeyAcceptedAlgorithms ssh-rsa\n", client.ErrOther},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := runSSHD(t, sshdSetup{config: tc.config, rsa: true})
			writeFile(t, d.dir, "legacy.bin", []byte("old gear"))
			c := d.client(t)
			remote := filepath.Join(d.dir, "legacy.bin")
			se := assertClass(t, readErr(c, remote), tc.class)
			if tc.class == client.ErrOther && !strings.Contains(se.Error(), "LegacyAlgorithms") {
				t.Errorf("no hint at LegacyAlgorithms in %v", se)
			}
			c.LegacyAlgorithms = true
			if got, _, err := c.ReadBytes(context.Background(), remote); err != nil || string(got) != "old gear" {
				t.Fatalf("with LegacyAlgorithms: %q, %v", got, err)
			}
		})
	}
}

func readErr(c *client.SFTP, remote string) error {
	_, _, err := c.ReadBytes(context.Background(), remote)
	return err
}

// The agent's keys log in to OpenSSH's sshd with no key file nor password,
// by AgentSocket and by $SSH_AUTH_SOCK; an agent holding only other keys is
// refused with ErrAuthentication.
func TestSSHAgentOpenSSH(t *testing.T) {
	d := runSSHD(t, sshdSetup{})
	writeFile(t, d.dir, "agent.bin", []byte("by agent"))
	remote := filepath.Join(d.dir, "agent.bin")
	c := d.client(t)
	c.IdentityFile, c.Agent = "", true
	c.AgentSocket = sshtest.Agent(t, d.key)
	if got, _, err := c.ReadBytes(context.Background(), remote); err != nil || string(got) != "by agent" {
		t.Fatalf("AgentSocket: %q, %v", got, err)
	}
	t.Setenv("SSH_AUTH_SOCK", c.AgentSocket)
	c.AgentSocket = ""
	if got, _, err := c.ReadBytes(context.Background(), remote); err != nil || string(got) != "by agent" {
		t.Fatalf("SSH_AUTH_SOCK: %q, %v", got, err)
	}
	other := filepath.Join(t.TempDir(), "other")
	writeKey(t, other)
	c.AgentSocket = sshtest.Agent(t, other)
	assertClass(t, readErr(c, remote), client.ErrAuthentication)

	c.Agent = false // the agent is never used unless asked for
	if err := readErr(c, remote); err == nil || !strings.Contains(err.Error(), "needs a Password") {
		t.Fatalf("without Agent: %v", err)
	}
}

// The agent also logs in to our own server; an empty socket is an error
// before anything is sent.
func TestSSHAgentOwnServer(t *testing.T) {
	mem := handlers.NewMemory()
	mem.Put("a.bin", []byte("ours"))
	srv := daemontest.NewSSH(t, mem)
	c := sshClient(srv.Addr().String(), srv.User, "", srv.KnownHostsFile)
	c.Agent, c.AgentSocket = true, sshtest.Agent(t, srv.KeyFile)
	if got, _, err := c.ReadBytes(context.Background(), "a.bin"); err != nil || string(got) != "ours" {
		t.Fatalf("%q, %v", got, err)
	}
	// A refused key file does not hide the agent's keys, which x/crypto
	// would skip if they came as a second publickey method.
	c.IdentityFile = daemontest.NewSSH(t, handlers.NewMemory()).KeyFile
	if got, _, err := c.ReadBytes(context.Background(), "a.bin"); err != nil || string(got) != "ours" {
		t.Fatalf("with a refused key file first: %q, %v", got, err)
	}
	c.IdentityFile = ""
	t.Setenv("SSH_AUTH_SOCK", "")
	c.AgentSocket = ""
	if err := readErr(c, "a.bin"); err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK") {
		t.Fatalf("with no agent socket: %v", err)
	}
}

// TransferTimeout ends a transfer that keeps going too long, even while
// data still moves now and then (IdleTimeout would not fire).
func TestSSHTransferTimeout(t *testing.T) {
	slow := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return &trickle{n: 1 << 20, every: 20 * time.Millisecond}, nil
	})
	srv := daemontest.NewSSH(t, slow)
	c := sshClient(srv.Addr().String(), srv.User, srv.KeyFile, srv.KnownHostsFile)
	c.IdleTimeout, c.TransferTimeout = time.Second, 400*time.Millisecond
	local := filepath.Join(t.TempDir(), "slow.bin")
	start := time.Now()
	_, err := c.ReadFile(context.Background(), "slow.bin", local)
	se := assertClass(t, err, client.ErrTimeout)
	if d := time.Since(start); d < 400*time.Millisecond || d > 10*time.Second {
		t.Fatalf("failed after %v: %v", d, err)
	}
	if !strings.Contains(se.Error(), "took longer than") {
		t.Errorf("the error does not say the transfer took too long: %v", se)
	}
	assertNothingAt(t, local)
}

// trickle yields up to 1 KiB every so often until n bytes are out.
type trickle struct {
	n     int
	every time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	time.Sleep(r.every)
	k := min(len(p), r.n, 1024)
	r.n -= k
	return k, nil
}

// A password offered to an sshd that takes keys only (OpenSSH without PAM
// refuses keyboard-interactive without a prompt) is an authentication
// failure, not a protocol error.
func TestSSHPasswordRefusedByKeyOnlySSHD(t *testing.T) {
	d := runSSHD(t, sshdSetup{})
	c := d.client(t)
	c.IdentityFile, c.Password = "", "anything"
	assertClass(t, readErr(c, filepath.Join(d.dir, "x")), client.ErrAuthentication)
}
