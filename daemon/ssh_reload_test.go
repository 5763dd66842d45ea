package daemon_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

// sshReloadServer serves "file" to the keys of a keys file and the users
// of a password file, both written by the test.
func sshReloadServer(t *testing.T, keys []ssh.PublicKey, hashes map[string]string) (s *daemontest.SSHServer, keyFile, pwFile string) {
	dir := t.TempDir()
	keyFile, pwFile = filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "passwords")
	sshWriteKeys(t, keyFile, keys...)
	sshWritePasswords(t, pwFile, hashes)
	s = daemontest.NewSSH(t, behaviour.Bytes([]byte("content")), func(d *daemon.SSH) {
		d.AuthorizedKeys, d.AuthorizedKeysFile, d.PasswordFile = nil, keyFile, pwFile
	})
	return s, keyFile, pwFile
}

func sshWriteKeys(t *testing.T, file string, keys ...ssh.PublicKey) {
	t.Helper()
	var data []byte
	for _, k := range keys {
		data = append(data, ssh.MarshalAuthorizedKey(k)...)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sshWritePasswords writes a password file of hashes by user.
func sshWritePasswords(t *testing.T, file string, hashes map[string]string) {
	t.Helper()
	var data []byte
	for user, hash := range hashes {
		data = append(data, user+":"+hash+"\n"...)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func sshHash(t *testing.T, password string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(hash)
}

// sftpLoginAs logs in and opens an sftp session, failing the test when it
// cannot.
func sftpLoginAs(t *testing.T, s *daemontest.SSHServer, user string, auth ssh.AuthMethod) (*ssh.Client, *sftp.Client) {
	t.Helper()
	c, err := sshDialAs(s, user, auth)
	if err != nil {
		t.Fatalf("%s: %v", user, err)
	}
	fc, err := sftp.NewClient(c)
	if err != nil {
		c.Close()
		t.Fatalf("%s: sftp: %v", user, err)
	}
	t.Cleanup(func() { fc.Close(); c.Close() })
	return c, fc
}

// sshClosedByServer waits until the server has closed c.
func sshClosedByServer(t *testing.T, c *ssh.Client) bool {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(10 * time.Second):
		return false
	}
}

// A key removed from the keys file, or a user removed from the password
// file, is refused at the next login after ReloadAuth, and the
// connections that logged in with them are closed; the others keep
// working.
func TestSSHReloadAuthRevokes(t *testing.T) {
	revoked, kept := newExampleSigner(), newExampleSigner()
	alice, bob := sshHash(t, "alice-pw"), sshHash(t, "bob-pw")
	s, keyFile, pwFile := sshReloadServer(t, []ssh.PublicKey{revoked.PublicKey(), kept.PublicKey()},
		map[string]string{"alice": alice, "bob": bob})
	revokedConn, _ := sftpLoginAs(t, s, "tester", ssh.PublicKeys(revoked))
	keptConn, keptFS := sftpLoginAs(t, s, "tester", ssh.PublicKeys(kept))
	aliceConn, _ := sftpLoginAs(t, s, "alice", ssh.Password("alice-pw"))
	bobConn, bobFS := sftpLoginAs(t, s, "bob", ssh.Password("bob-pw"))

	sshWriteKeys(t, keyFile, kept.PublicKey())
	sshWritePasswords(t, pwFile, map[string]string{"bob": bob})
	if err := s.SSH.ReloadAuth(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user string
		auth ssh.AuthMethod
		ok   bool
	}{
		{"tester", ssh.PublicKeys(revoked), false},
		{"alice", ssh.Password("alice-pw"), false},
		{"tester", ssh.PublicKeys(kept), true},
		{"bob", ssh.Password("bob-pw"), true},
	} {
		c, err := sshDialAs(s, tc.user, tc.auth)
		if (err == nil) != tc.ok {
			t.Errorf("%s after the reload: login %v, want success %v", tc.user, err, tc.ok)
		}
		if err == nil {
			c.Close()
		}
	}
	for what, c := range map[string]*ssh.Client{"revoked key": revokedConn, "removed password": aliceConn} {
		if !sshClosedByServer(t, c) {
			t.Errorf("the connection of the %s is still open", what)
		}
	}
	for what, fc := range map[string]*sftp.Client{"kept key": keptFS, "kept password": bobFS} {
		if _, err := fc.Stat("file"); err != nil {
			t.Errorf("the connection of the %s fails after the reload: %v", what, err)
		}
	}
	_, _ = keptConn, bobConn
}

// A keys or password file that no longer loads refuses the reload as a
// whole: the credentials in use stay, and so do their connections.
func TestSSHReloadAuthRefusesBadFiles(t *testing.T) {
	key := newExampleSigner()
	alice := sshHash(t, "alice-pw")
	s, keyFile, pwFile := sshReloadServer(t, []ssh.PublicKey{key.PublicKey()}, map[string]string{"alice": alice})
	_, keyFS := sftpLoginAs(t, s, "tester", ssh.PublicKeys(key))
	goodKeys, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, content string
	}{
		{"a keys file that does not parse", keyFile, "ssh-ed25519 not-base64\n"},
		{"a keys file with an option filemux cannot honour", keyFile, `command="/bin/sh" ` + string(goodKeys)},
		{"a password file that does not parse", pwFile, "alice\n"},
		{"a missing keys file", keyFile, ""},
	} {
		if tc.content == "" {
			os.Remove(tc.file)
		} else if err := os.WriteFile(tc.file, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		// The password file is rewritten without alice's entry meanwhile:
		// a refused reload must not apply that either.
		if tc.file == keyFile {
			sshWritePasswords(t, pwFile, nil)
		}
		if err := s.SSH.ReloadAuth(); err == nil {
			t.Errorf("%s: ReloadAuth succeeded", tc.name)
		}
		for _, login := range []struct {
			user string
			auth ssh.AuthMethod
		}{{"tester", ssh.PublicKeys(key)}, {"alice", ssh.Password("alice-pw")}} {
			c, err := sshDialAs(s, login.user, login.auth)
			if err != nil {
				t.Errorf("%s: %s refused after the refused reload: %v", tc.name, login.user, err)
				continue
			}
			c.Close()
		}
		if _, err := keyFS.Stat("file"); err != nil {
			t.Errorf("%s: the open connection fails: %v", tc.name, err)
		}
		sshWriteKeys(t, keyFile, key.PublicKey())
		sshWritePasswords(t, pwFile, map[string]string{"alice": alice})
	}
}
