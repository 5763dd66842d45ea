package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// TestConfigReloadRevokesKeys: a key removed from sftp.authorized_keys is
// refused after SIGHUP, and the connection it had open is closed; a keys
// file that no longer parses refuses the reload and the keys in use stay;
// POST /reload reads the keys too.
func TestConfigReloadRevokesKeys(t *testing.T) {
	revokedKey, revokedLine := sshKey(t)
	keptKey, keptLine := sshKey(t)
	path := writeConfig(t, map[string]string{
		"filemux.yaml": `sftp: {listen: ["127.0.0.1:0"], host_key: host_key, authorized_keys: authorized_keys}
metrics: {listen: "127.0.0.1:0"}
routes:
  - {name: motd, match: 'motd', memory: {files: {motd: "hello\n"}}}
`,
		"authorized_keys": revokedLine + keptLine,
	})
	keys := filepath.Join(filepath.Dir(path), "authorized_keys")
	s := startConfigured(t, path)
	open := sftpLogin(t, s.sftp, revokedKey)
	if open == nil {
		t.Fatal("the key logs in before it is revoked: refused")
	}

	writeFile(t, keys, []byte(keptLine))
	s.signal(t, syscall.SIGHUP)
	s.waitLog(t, "configuration reloaded")
	if c := sftpLogin(t, s.sftp, revokedKey); c != nil {
		t.Error("the revoked key logs in after SIGHUP")
	}
	if c := sftpLogin(t, s.sftp, keptKey); c == nil {
		t.Error("the kept key is refused after SIGHUP")
	}
	if !closedSoon(open) {
		t.Error("the connection of the revoked key is still open after SIGHUP")
	}
	s.waitLog(t, "ssh credentials revoked")

	writeFile(t, keys, []byte("ssh-ed25519 broken\n"))
	s.signal(t, syscall.SIGHUP)
	s.waitLog(t, "reload refused")
	if !strings.Contains(s.logs.String(), "authorized keys line 1") {
		t.Errorf("the refusal does not say what is wrong:\n%s", s.logs.String())
	}
	if c := sftpLogin(t, s.sftp, keptKey); c == nil {
		t.Error("the kept key is refused after a refused reload")
	}
	if v := metric(t, s.metrics, "filemux_config_last_reload_successful"); v != 0 {
		t.Errorf("config_last_reload_successful = %v after a refused reload", v)
	}

	writeFile(t, keys, []byte(revokedLine))
	resp, err := http.Post("http://"+s.metrics+"/reload", "text/plain", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /reload: %v %v", resp, err)
	}
	resp.Body.Close()
	if c := sftpLogin(t, s.sftp, revokedKey); c == nil {
		t.Error("the key put back is refused after POST /reload")
	}
	if c := sftpLogin(t, s.sftp, keptKey); c != nil {
		t.Error("the key removed before POST /reload logs in")
	}
}

// sftpLogin logs in to addr with the private key file and reads motd over
// SFTP; it returns the connection, left open until the test ends, or nil
// when the login is refused.
func sftpLogin(t *testing.T, addr, keyFile string) *ssh.Client {
	t.Helper()
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "user", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		return nil
	}
	t.Cleanup(func() { c.Close() })
	fc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatalf("sftp: %v", err)
	}
	if _, err := fc.Stat("motd"); err != nil {
		t.Fatalf("stat motd: %v", err)
	}
	return c
}

// closedSoon reports whether the server closes c within 10 seconds.
func closedSoon(c *ssh.Client) bool {
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(10 * time.Second):
		return false
	}
}
