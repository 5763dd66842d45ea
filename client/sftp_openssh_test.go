package client_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/internal/peers"
	"golang.org/x/crypto/ssh"
)

const sshdPath = "/usr/sbin/sshd"

// sshd is a running OpenSSH sshd and what a client needs to log in.
type sshd struct {
	dir, addr, known, key string
}

// sshdSetup says how to start sshd: more sshd_config lines, and an RSA host
// key and client key instead of ed25519 ones (for legacy algorithms).
type sshdSetup struct {
	config string
	rsa    bool
}

// startSSHD runs OpenSSH's sshd on a free loopback port with a host key and
// an authorized key of its own, and returns a client for the current user.
func startSSHD(t *testing.T) *client.SFTP {
	t.Helper()
	d := runSSHD(t, sshdSetup{})
	return d.client(t)
}

func needSSHD(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		if peers.Strict() {
			t.Fatalf("%s is required with CI=true: %v (.ci/run installs openssh-server)", sshdPath, err)
		}
		t.Skipf("skipping, OpenSSH's sshd is not available: %v (apt-get install openssh-server)", err)
	}
}

func runSSHD(t *testing.T, setup sshdSetup) *sshd {
	t.Helper()
	needSSHD(t)
	d := &sshd{dir: t.TempDir()}
	keyGen := writeKey
	if setup.rsa {
		keyGen = writeRSAKey
	}
	hostKey := keyGen(t, filepath.Join(d.dir, "host_key"))
	d.key = filepath.Join(d.dir, "id_client")
	clientKey := keyGen(t, d.key)
	authorized := filepath.Join(d.dir, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(clientKey), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeTCPPort(t)
	config := filepath.Join(d.dir, "sshd_config")
	// setup.config comes first: sshd keeps the first value of a keyword.
	writeFile(t, d.dir, "sshd_config", []byte(fmt.Sprintf(
		"%sPort %d\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nPidFile none\n"+
			"Subsystem sftp internal-sftp\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n",
		setup.config, port, filepath.Join(d.dir, "host_key"), authorized)))
	_ = os.MkdirAll("/run/sshd", 0o755)
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", config)
	cmd.Stderr = &testLog{t: t}
	if err := cmd.Start(); err != nil {
		t.Fatalf("sshd: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	d.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitListening(t, d.addr)
	d.known = filepath.Join(d.dir, "known_hosts")
	writeFile(t, d.dir, "known_hosts", []byte("[127.0.0.1]:"+strconv.Itoa(port)+" "+string(ssh.MarshalAuthorizedKey(hostKey))))
	return d
}

// client returns a client that logs in as the current user with the
// authorized key.
func (d *sshd) client(t *testing.T) *client.SFTP {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return sshClient(d.addr, u.Username, d.key, d.known)
}

// writeKey writes a new ed25519 private key in OpenSSH's format (mode 0600)
// and returns its public key.
func writeKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	pk, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

// writeRSAKey writes a new 2048-bit RSA private key in OpenSSH's format
// (mode 0600) and returns its public key.
func writeRSAKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	pk, err := ssh.NewPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sshd did not listen on %s", addr)
}

// testLog passes a program's stderr to the test log.
type testLog struct{ t *testing.T }

func (l *testLog) Write(p []byte) (int, error) { l.t.Logf("sshd: %s", p); return len(p), nil }
