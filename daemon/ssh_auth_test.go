package daemon_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

// sshDialAs connects with the given user and auth methods.
func sshDialAs(s *daemontest.SSHServer, user string, auth ...ssh.AuthMethod) (*ssh.Client, error) {
	cfg := s.ClientConfig()
	cfg.User, cfg.Auth = user, auth
	return ssh.Dial("tcp", s.Addr().String(), cfg)
}

func TestSSHWrongKeyRefused(t *testing.T) {
	s := daemontest.NewSSH(t, behaviour.Bytes([]byte("x")))
	if c, err := sshDialAs(s, "tester", ssh.PublicKeys(newExampleSigner())); err == nil {
		c.Close()
		t.Errorf("an unknown key logged in")
	}
	if c, err := sshDialAs(s, "tester"); err == nil {
		c.Close()
		t.Errorf("a client without credentials logged in")
	}
	// OpenSSH with a key the server does not know.
	local := t.TempDir()
	other := filepath.Join(local, "other")
	if out := sshRun(t, local, "", sshNeed(t, "ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-f", other); out.code != 0 {
		t.Fatal(out)
	}
	opts := s.OpenSSHOptions()
	for i, o := range opts {
		if o == s.KeyFile {
			opts[i] = other
		}
	}
	res := sshRun(t, local, "", sshNeed(t, "sftp"), append(append(opts, sshOpenSSHPort(s)...), "-b", "/dev/null", sshTarget(s))...)
	if res.code == 0 || !strings.Contains(res.stderr, "Permission denied") {
		t.Errorf("sftp with an unknown key: %v", res)
	}
}

// Passwords are bcrypt hashes; keys in UserKeys log in as their user only;
// HandlerFor gives each user its own files.
func TestSSHUsers(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("alice-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	bobKey := newExampleSigner()
	s := daemontest.NewSSH(t, behaviour.Bytes([]byte("shared")), func(d *daemon.SSH) {
		d.Passwords = map[string]string{"alice": string(hash)}
		d.UserKeys = map[string][]ssh.PublicKey{"bob": {bobKey.PublicKey()}}
		d.HandlerFor = func(user string) behaviour.Handler {
			if user == "alice" {
				return behaviour.Bytes([]byte("alice's"))
			}
			return nil
		}
	})
	for _, tc := range []struct {
		user string
		auth ssh.AuthMethod
		want string // "" means refused
	}{
		{"alice", ssh.Password("alice-pw"), "alice's"},
		{"alice", ssh.Password("wrong"), ""},
		{"mallory", ssh.Password("alice-pw"), ""},
		{"bob", ssh.PublicKeys(bobKey), "shared"},
		{"alice", ssh.PublicKeys(bobKey), ""},
		{"anyone", ssh.PublicKeys(s.Signer), "shared"},
	} {
		c, err := sshDialAs(s, tc.user, tc.auth)
		if (err == nil) != (tc.want != "") {
			t.Errorf("%s: login %v, want success %v", tc.user, err, tc.want != "")
		}
		if err != nil {
			continue
		}
		got := sshSFTPRead(t, c, "file")
		c.Close()
		if got != tc.want {
			t.Errorf("%s reads %q, want %q", tc.user, got, tc.want)
		}
	}
}

// sshSFTPRead reads a file over a new sftp session of c.
func sshSFTPRead(t *testing.T, c *ssh.Client, name string) string {
	t.Helper()
	se, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer se.Close()
	return sshRawSFTPRead(t, se, name)
}

// The host key file is generated once and reused: clients that pinned
// the key still connect after a restart.
func TestSSHHostKeyFilePersists(t *testing.T) {
	file := filepath.Join(t.TempDir(), "host_key")
	var keys []ssh.PublicKey
	for range 2 {
		s := daemontest.NewSSH(t, behaviour.Bytes(nil), func(d *daemon.SSH) {
			d.HostKeys = nil
			d.HostKeyFile = file
		})
		var seen ssh.PublicKey
		cfg := s.ClientConfig()
		cfg.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error { seen = key; return nil }
		c, err := ssh.Dial("tcp", s.Addr().String(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		s.Close()
		keys = append(keys, seen)
	}
	if keys[0].Type() != ssh.KeyAlgoED25519 || !bytes.Equal(keys[0].Marshal(), keys[1].Marshal()) {
		t.Errorf("host keys %s and %s", ssh.FingerprintSHA256(keys[0]), ssh.FingerprintSHA256(keys[1]))
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("host key file: %v, %v", fi.Mode().Perm(), err)
	}
}

// The SHA-1 and CBC algorithms of old network gear work only with
// LegacyAlgorithms.
func TestSSHLegacyAlgorithms(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaSigner, err := ssh.NewSignerFromKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	old := func(s *daemontest.SSHServer) *ssh.ClientConfig {
		cfg := s.ClientConfig()
		cfg.KeyExchanges = []string{ssh.InsecureKeyExchangeDH14SHA1}
		cfg.Ciphers = []string{ssh.InsecureCipherAES128CBC}
		cfg.MACs = []string{ssh.HMACSHA1}
		cfg.HostKeyAlgorithms = []string{ssh.KeyAlgoRSA}
		cfg.HostKeyCallback = ssh.FixedHostKey(rsaSigner.PublicKey())
		return cfg
	}
	for _, legacy := range []bool{false, true} {
		s := daemontest.NewSSH(t, behaviour.Bytes(nil), func(d *daemon.SSH) {
			d.HostKeys = append(d.HostKeys, rsaSigner)
			d.LegacyAlgorithms = legacy
		})
		c, err := ssh.Dial("tcp", s.Addr().String(), old(s))
		if (err == nil) != legacy {
			t.Errorf("legacy %v: old client connected: %v", legacy, err)
		}
		if err == nil {
			c.Close()
		}
		modern := s.ClientConfig()
		modern.HostKeyAlgorithms = []string{ssh.KeyAlgoRSASHA256}
		modern.HostKeyCallback = ssh.FixedHostKey(rsaSigner.PublicKey())
		if c, err := ssh.Dial("tcp", s.Addr().String(), modern); err != nil {
			t.Errorf("legacy %v: rsa-sha2-256 client: %v", legacy, err)
		} else {
			c.Close()
		}
	}
}

// An authorized_keys file: the listed key logs in under any name, and a
// from= restriction that excludes loopback keeps another key out.
func TestSSHAuthorizedKeysFile(t *testing.T) {
	far := newExampleSigner()
	file := filepath.Join(t.TempDir(), "authorized_keys")
	s := daemontest.NewSSH(t, behaviour.Bytes([]byte("ok")), func(d *daemon.SSH) {
		// Options run before serving starts, which reads the file.
		content := "# test keys\n" + string(ssh.MarshalAuthorizedKey(d.AuthorizedKeys[0])) +
			`from="192.0.2.0/24" ` + string(ssh.MarshalAuthorizedKey(far.PublicKey()))
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		d.AuthorizedKeys = nil
		d.AuthorizedKeysFile = file
	})
	c, err := sshDialAs(s, "any-name", ssh.PublicKeys(s.Signer))
	if err != nil {
		t.Fatalf("the listed key: %v", err)
	}
	c.Close()
	if c, err := sshDialAs(s, "any-name", ssh.PublicKeys(far)); err == nil {
		c.Close()
		t.Errorf("a key restricted to 192.0.2.0/24 logged in from loopback")
	}
}

// sshRawSFTPRead reads a file with pkg/sftp over an existing session.
func sshRawSFTPRead(t *testing.T, se *ssh.Session, name string) string {
	t.Helper()
	w, err := se.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	r, err := se.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := se.RequestSubsystem("sftp"); err != nil {
		t.Fatal(err)
	}
	c, err := sftp.NewClientPipe(r, w)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
