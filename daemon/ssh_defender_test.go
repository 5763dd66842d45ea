package daemon_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

// sshPasswordServer serves f to the user ops with the password "right",
// besides the test key.
func sshPasswordServer(t *testing.T, opts ...daemontest.SSHOption) *daemontest.SSHServer {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return sshFloodServer(t, append([]daemontest.SSHOption{func(d *daemon.SSH) {
		d.Passwords = map[string]string{"ops": string(hash)}
	}}, opts...)...)
}

// sshPasswordConfig logs in as ops with password, tried up to tries times.
func sshPasswordConfig(s *daemontest.SSHServer, password string, tries int) *ssh.ClientConfig {
	cfg := s.ClientConfig()
	cfg.User = "ops"
	cfg.Auth = []ssh.AuthMethod{ssh.RetryableAuthMethod(ssh.Password(password), tries)}
	return cfg
}

// checkClosedAtOnce checks that the server closes a new connection from
// source without a word: no SSH version line, no handshake.
func checkClosedAtOnce(t *testing.T, s *daemontest.SSHServer, source string) {
	t.Helper()
	nc, err := sshDialFrom(source, s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(nc)
	if len(got) > 0 || (err != nil && !errors.Is(err, syscall.ECONNRESET)) {
		t.Errorf("a connection from banned %s got %q, %v; want it closed at once", source, got, err)
	}
}

// Failed password logins from one address ban it for BanDuration: its new
// connections are closed at once, even with the right password, while
// another address logs in; after the ban, it logs in again.
func TestSSHFailedLoginsBanAddress(t *testing.T) {
	const threshold, banFor = 5, 2 * time.Second
	s := sshPasswordServer(t, func(d *daemon.SSH) {
		d.BanThreshold, d.BanDuration = threshold, banFor
		d.HandshakeTimeout = time.Minute // so that only the ban can close the silent connection
	})
	silent, err := sshDialFrom("127.0.0.1", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	wrong := sshPasswordConfig(s, "wrong", 3)
	for i := range threshold {
		if _, err := sshLoginFrom(s, "127.0.0.1", wrong); err == nil {
			t.Fatalf("attempt %d: the wrong password logged in", i+1)
		}
	}
	banned := time.Now()
	checkClosedAtOnce(t, s, "127.0.0.1")
	_ = silent.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(silent); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the ban left the address's unauthenticated connection open: %v", err)
	}
	right := sshPasswordConfig(s, "right", 1)
	if _, err := sshLoginFrom(s, "127.0.0.1", right); err == nil {
		t.Errorf("the banned address logged in")
	}
	if _, err := sshLoginFrom(s, "127.0.0.2", right); err != nil {
		t.Errorf("another address during the ban: %v", err)
	}
	if g := s.SSH.Guard(); g.Bans != 1 || g.Banned != 1 || g.FailedLogins < threshold || g.Refused < 2 {
		t.Errorf("guard during the ban: %+v, want 1 ban, 1 banned, at least %d failures and 2 refused", g, threshold)
	}
	for {
		_, err := sshLoginFrom(s, "127.0.0.1", right)
		if err == nil {
			break
		}
		if time.Since(banned) > banFor+10*time.Second {
			t.Fatalf("the ban did not expire: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if g := s.SSH.Guard(); g.Banned != 0 {
		t.Errorf("guard after the ban: %+v, want nobody banned", g)
	}
}

// A client that offers other keys before the right one (as OpenSSH's does)
// is never scored for them; a connection that offers only refused keys and
// gives up scores once.
func TestSSHKeyProbingScoresOnlyFailedLogins(t *testing.T) {
	const threshold = 3
	s := sshFloodServer(t, func(d *daemon.SSH) { d.BanThreshold = threshold })
	var strangers []ssh.Signer
	for range 4 {
		strangers = append(strangers, sshStrangerKey(t))
	}
	probing := s.ClientConfig()
	probing.Auth = []ssh.AuthMethod{ssh.PublicKeys(append(strangers, s.Signer)...)}
	for i := range 2 * threshold {
		if _, err := sshLoginFrom(s, "127.0.0.1", probing); err != nil {
			t.Fatalf("login %d after offering %d other keys: %v", i+1, len(strangers), err)
		}
	}
	if g := s.SSH.Guard(); g.FailedLogins != 0 {
		t.Errorf("logins that offered other keys first scored %d failures", g.FailedLogins)
	}
	stranger := s.ClientConfig()
	stranger.Auth = []ssh.AuthMethod{ssh.PublicKeys(strangers...)}
	for i := range threshold {
		if _, err := sshLoginFrom(s, "127.0.0.1", stranger); err == nil {
			t.Fatalf("attempt %d: unknown keys logged in", i+1)
		}
	}
	// A connection that only tried keys scores when it ends, which the
	// client may see after it gave up.
	deadline := time.Now().Add(10 * time.Second)
	for s.SSH.Guard().Bans == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := s.SSH.Guard(); g.FailedLogins != threshold || g.Bans != 1 {
		t.Errorf("after %d connections with unknown keys: %+v, want %d failures and a ban", threshold, g, threshold)
	}
	checkClosedAtOnce(t, s, "127.0.0.1")
}

// A negative BanThreshold never bans.
func TestSSHBansOff(t *testing.T) {
	s := sshPasswordServer(t, func(d *daemon.SSH) { d.BanThreshold = -1 })
	wrong := sshPasswordConfig(s, "wrong", 6)
	for i := range 3 {
		if _, err := sshLoginFrom(s, "127.0.0.1", wrong); err == nil {
			t.Fatalf("attempt %d: the wrong password logged in", i+1)
		}
	}
	if _, err := sshLoginFrom(s, "127.0.0.1", sshPasswordConfig(s, "right", 1)); err != nil {
		t.Errorf("after %d failures with bans off: %v", 18, err)
	}
	if g := s.SSH.Guard(); g.FailedLogins != 18 || g.Bans != 0 {
		t.Errorf("guard with bans off: %+v, want 18 failures and no ban", g)
	}
}

// sshStrangerKey returns a key the server does not know.
func sshStrangerKey(t *testing.T) ssh.Signer {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
