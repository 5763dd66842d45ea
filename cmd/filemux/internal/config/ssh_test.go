package config_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/daemon"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// TestSSHDaemons serves a configuration's routes over SFTP with the keys
// the file names: a host key generated on the first start, and an
// authorized_keys file.
func TestSSHDaemons(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	path := setup(t, `sftp:
  listen: ["127.0.0.1:0"]
  host_key: keys/host_ed25519
  authorized_keys: authorized_keys
  idle_timeout: off
  max_handles: 3
routes:
  - match: 'pub/.*'
    memory: {files: {pub/motd: "welcome\n"}}
`, map[string]string{"authorized_keys": string(ssh.MarshalAuthorizedKey(signer.PublicKey())), "keys/.keep": ""})
	f, _, reg := serve(t, path, config.BuildOptions{})
	ds := f.SSHDaemons(reg, nil)
	if len(ds) != 1 {
		t.Fatalf("%d servers", len(ds))
	}
	d := ds[0]
	if d.IdleTimeout >= 0 || d.MaxHandles != 3 || d.MaxAuthTries != 6 || d.HostKeyFile == "keys/host_ed25519" {
		t.Errorf("server settings: %+v", d)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ln) }()
	defer func() {
		d.Close()
		if err := <-done; !errors.Is(err, daemon.ErrServerClosed) {
			t.Errorf("server stopped with %v", err)
		}
	}()
	conn, err := ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{
		User: "ops", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	file, err := c.Open("/pub/motd")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(file)
	file.Close()
	if err != nil || string(b) != "welcome\n" {
		t.Errorf("sftp read: %q, %v", b, err)
	}
}

// The defences against hostile load reach the SSH servers: max_startups
// in OpenSSH's forms, and ban_threshold off turning bans off.
func TestSSHDaemonsGuard(t *testing.T) {
	for _, tt := range []struct {
		yaml      string
		startups  daemon.SSHStartups
		threshold int
		window    time.Duration
	}{
		{"", daemon.DefaultSSHMaxStartups, 10, 10 * time.Minute},
		{"  max_startups: 5:50:20\n  ban_threshold: 3\n  ban_window: 1m\n", daemon.SSHStartups{Start: 5, Rate: 50, Full: 20}, 3, time.Minute},
		{"  max_startups: 30\n  ban_threshold: off\n", daemon.SSHStartups{Start: 30, Rate: 100, Full: 30}, -1, 10 * time.Minute},
	} {
		path := setup(t, "sftp:\n  listen: [\"127.0.0.1:0\"]\n  host_key: k\n  password_file: pw\n"+tt.yaml+
			"routes: [{match: x, memory: {}}]\n", map[string]string{"pw": "ops:$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n"})
		f, _, reg := serve(t, path, config.BuildOptions{})
		d := f.SSHDaemons(reg, nil)[0]
		if d.MaxStartups != tt.startups || d.BanThreshold != tt.threshold || d.BanWindow != tt.window ||
			d.BanDuration != 10*time.Minute || d.HandshakeTimeout != 10*time.Second {
			t.Errorf("%q: max startups %v, ban threshold %d, window %v, duration %v, handshake %v", tt.yaml,
				d.MaxStartups, d.BanThreshold, d.BanWindow, d.BanDuration, d.HandshakeTimeout)
		}
	}
}
