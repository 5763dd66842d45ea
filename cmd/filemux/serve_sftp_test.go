package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/filemux/filemux/internal/peers"
)

// userHome makes a home directory holding an authorized_keys file with a
// new key, and returns it with the private key's path and the environment
// that points filemux at it.
func userHome(t *testing.T) (home, key string, env []string) {
	t.Helper()
	home = t.TempDir()
	key, pub := sshKey(t)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, ".ssh", "authorized_keys"), []byte(pub))
	return home, key, []string{"HOME=" + home, "XDG_STATE_HOME="}
}

// bannerAddr returns the address after prefix on a line of the banner.
func bannerAddr(t *testing.T, banner, prefix string) string {
	t.Helper()
	for line := range strings.Lines(banner) {
		if a, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			return a
		}
	}
	t.Fatalf("banner lacks %q:\n%s", prefix, banner)
	return ""
}

// opensshGet fetches name from the SFTP server at addr with OpenSSH's sftp
// in batch mode, logging in with key, and returns the bytes.
func opensshGet(t *testing.T, addr, key, name string) []byte {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "got")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sftp", "-b", "-", "-P", port, "-i", key, "-F", "/dev/null",
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "user@"+host)
	cmd.Stdin = strings.NewReader("get " + name + " " + out + "\n")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sftp get %s: %v\n%s", name, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestServeDemoSFTP: the embedded default serves the demo file and the
// directory over SFTP to OpenSSH, logging in with a key of the user's
// authorized_keys, with a host key generated once in the state directory.
func TestServeDemoSFTP(t *testing.T) {
	peers.Need(t, "sftp")
	home, key, env := userHome(t)
	dir := t.TempDir()
	data := peers.RandomBytes(70000)
	writeFile(t, filepath.Join(dir, "boot.img"), data)
	s := startServeEnv(t, dir, env, "--sftp", "127.0.0.1:0")
	addr := bannerAddr(t, s.banner, "filemux: serving SFTP and SCP on ")
	_, port, _ := net.SplitHostPort(addr)
	if want := "sftp -P " + port + " 127.0.0.1:filemux-demo.txt"; !strings.Contains(s.banner, want) {
		t.Errorf("banner lacks %q:\n%s", want, s.banner)
	}
	demo := opensshGet(t, addr, key, "filemux-demo.txt")
	if !bytes.HasPrefix(demo, []byte("Hello from filemux!")) || !bytes.Contains(demo, []byte("sftp -P "+port)) {
		t.Errorf("demo file over SFTP:\n%s", demo)
	}
	if got := opensshGet(t, addr, key, "boot.img"); sha(got) != sha(data) {
		t.Error("boot.img differs over SFTP")
	}
	hostKey := filepath.Join(home, ".local", "state", "filemux", "ssh_host_ed25519_key")
	first := checkMode(t, hostKey, 0o600)
	signer, err := ssh.ParsePrivateKey(first)
	if err != nil {
		t.Fatal(err)
	}
	if fp := ssh.FingerprintSHA256(signer.PublicKey()); !strings.Contains(s.banner, fp) {
		t.Errorf("banner lacks the host key's fingerprint %s:\n%s", fp, s.banner)
	}
	checkMode(t, filepath.Dir(hostKey), 0o700|os.ModeDir)
	s.stop(t)
	startServeEnv(t, dir, env, "--sftp", "127.0.0.1:0").stop(t)
	if again, _ := os.ReadFile(hostKey); !bytes.Equal(again, first) {
		t.Error("the host key changed on the second start")
	}
}

// checkMode fails the test unless path has mode want, and returns its
// content for a file.
func checkMode(t *testing.T, path string, want os.FileMode) []byte {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
	}
	if fi.IsDir() {
		return nil
	}
	data, _ := os.ReadFile(path)
	return data
}

// TestServeSFTPOffWithoutKeys: without ~/.ssh/authorized_keys, the
// default still serves TFTP, says SFTP is off and why, and listens on no
// SSH port.
func TestServeSFTPOffWithoutKeys(t *testing.T) {
	peers.Need(t, "curl")
	home := t.TempDir()
	s := startServeEnv(t, t.TempDir(), []string{"HOME=" + home, "XDG_STATE_HOME="}, "--sftp", "127.0.0.1:0")
	if !strings.Contains(s.banner, "SFTP and SCP are off: "+filepath.Join(home, ".ssh", "authorized_keys")+" does not exist") {
		t.Errorf("banner does not say why SFTP is off:\n%s", s.banner)
	}
	if strings.Contains(s.banner, "serving SFTP") || strings.Contains(s.banner, "sftp -P") {
		t.Errorf("banner offers SFTP:\n%s", s.banner)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	demo, err := exec.CommandContext(ctx, "curl", "-sS", "tftp://"+s.addr+"/filemux-demo.txt").Output()
	if err != nil || !strings.HasPrefix(string(demo), "Hello from filemux!") {
		t.Fatalf("curl got %q, %v", demo, err)
	}
	if _, err := os.Stat(filepath.Join(home, ".local")); err == nil {
		t.Error("a host key was made for an SSH server that does not run")
	}
	s.stop(t)
}
