package daemontest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"golang.org/x/crypto/ssh"
)

// SSHUser is the user name the test key logs in as. Any other name works
// too: the test key is authorized for every user name.
const SSHUser = "tester"

// SSHOption configures the SSH server before it starts: any field of
// daemon.SSH, such as limits, hooks, a logger, more keys or passwords, or
// ListenAddr ("[::1]:0" for IPv6).
type SSHOption func(*daemon.SSH)

// SSHServer is an SSH server (SFTP and SCP) serving on loopback for the
// length of a test, with a host key and a client key generated for it.
type SSHServer struct {
	// SSH is the running server, for Active, Shutdown and the like.
	SSH *daemon.SSH
	// User is the user name clients log in as (SSHUser).
	User string
	// Signer is the test user's private key, authorized on the server.
	Signer ssh.Signer
	// KeyFile is that private key in OpenSSH's format (mode 0600), for
	// `ssh -i`, `sftp -i`, `curl --key`; KeyFile+".pub" is its public key.
	KeyFile string
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey
	// KnownHostsFile is a known_hosts file that names HostKey for the
	// server's address, for `-o UserKnownHostsFile=`.
	KnownHostsFile string

	key  ed25519.PrivateKey
	addr netip.AddrPort
	done chan error
}

// NewSSH starts an SSH server serving h on 127.0.0.1 on a free port, with a
// new ed25519 host key and a new client key authorized for every user name,
// applies the options, and closes the server when the test ends
// (t.Cleanup); the cleanup fails the test if the server stopped with an
// unexpected error. A server that cannot start fails the test at once.
func NewSSH(t testing.TB, h behaviour.Handler, opts ...SSHOption) *SSHServer {
	t.Helper()
	host, clientKey, err := sshTestKeys()
	if err != nil {
		t.Fatalf("daemontest: %v", err)
	}
	client, err := ssh.NewSignerFromKey(clientKey)
	if err != nil {
		t.Fatalf("daemontest: %v", err)
	}
	d := &daemon.SSH{
		Handler:        h,
		ListenAddr:     DefaultAddr,
		HostKeys:       []ssh.Signer{host},
		AuthorizedKeys: []ssh.PublicKey{client.PublicKey()},
	}
	for _, opt := range opts {
		opt(d)
	}
	ln, err := net.Listen("tcp", d.ListenAddr)
	if err != nil {
		t.Fatalf("daemontest: %v", err)
	}
	s := &SSHServer{SSH: d, User: SSHUser, Signer: client, HostKey: host.PublicKey(), key: clientKey, done: make(chan error, 1)}
	go func() { s.done <- d.Serve(ln) }()
	if err := s.waitStarted(); err != nil {
		t.Fatalf("daemontest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.close(); err != nil {
			t.Errorf("daemontest: %v", err)
		}
	})
	if err := s.writeFiles(t.TempDir()); err != nil {
		t.Fatalf("daemontest: %v", err)
	}
	return s
}

// sshTestKeys generates the host key and the client's private key.
func sshTestKeys() (ssh.Signer, ed25519.PrivateKey, error) {
	_, hostKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	host, err := ssh.NewSignerFromKey(hostKey)
	if err != nil {
		return nil, nil, err
	}
	_, client, err := ed25519.GenerateKey(rand.Reader)
	return host, client, err
}

func (s *SSHServer) waitStarted() (err error) {
	s.addr, err = waitStarted(s.SSH.Addr, s.done, "the SSH server did not start")
	return err
}

// writeFiles writes the client key and the known_hosts file into dir.
func (s *SSHServer) writeFiles(dir string) error {
	s.KeyFile = filepath.Join(dir, "id_ed25519")
	s.KnownHostsFile = filepath.Join(dir, "known_hosts")
	block, err := ssh.MarshalPrivateKey(s.key, "filemux test key")
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.KeyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(s.KeyFile+".pub", ssh.MarshalAuthorizedKey(s.Signer.PublicKey()), 0o644); err != nil {
		return err
	}
	host := "[" + s.addr.Addr().String() + "]:" + strconv.Itoa(int(s.addr.Port()))
	line := host + " " + string(ssh.MarshalAuthorizedKey(s.HostKey))
	return os.WriteFile(s.KnownHostsFile, []byte(line), 0o644)
}

// Addr returns the address and port the server listens on.
func (s *SSHServer) Addr() netip.AddrPort { return s.addr }

// URL returns the URL of the named file with the given scheme ("sftp" or
// "scp") and the test user, as curl and lftp take it. name is relative to
// the served root.
func (s *SSHServer) URL(scheme, name string) string {
	return fmt.Sprintf("%s://%s@%s/%s", scheme, s.User, s.addr, name)
}

// ClientConfig returns an x/crypto client configuration that logs in as
// the test user with the test key and accepts only the server's host key.
func (s *SSHServer) ClientConfig() *ssh.ClientConfig {
	return &ssh.ClientConfig{
		User:            s.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.Signer)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
		Timeout:         startTimeout,
	}
}

// Dial connects to the server as the test user.
func (s *SSHServer) Dial() (*ssh.Client, error) {
	return ssh.Dial("tcp", s.addr.String(), s.ClientConfig())
}

// OpenSSHOptions returns the options with which OpenSSH's ssh, sftp and scp
// log in with the test key, check the host key against KnownHostsFile and
// never prompt. Add the port (-P for sftp and scp, -p for ssh).
func (s *SSHServer) OpenSSHOptions() []string {
	return []string{
		"-i", s.KeyFile,
		"-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none",
		"-o", "UserKnownHostsFile=" + s.KnownHostsFile,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "BatchMode=yes",
		"-o", "LogLevel=ERROR",
	}
}

// Close stops the server at once, aborting running transfers. The test's
// cleanup calls it; calling it earlier is allowed.
func (s *SSHServer) Close() { _ = s.close() }

func (s *SSHServer) close() error {
	_ = s.SSH.Close()
	err := <-s.done
	s.done <- err
	if err != nil && !errors.Is(err, daemon.ErrServerClosed) {
		return fmt.Errorf("SSH server stopped: %w", err)
	}
	return nil
}
