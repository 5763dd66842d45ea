package sshkeys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

func TestLoadOrGenerate(t *testing.T) {
	for _, kind := range []Kind{Ed25519, RSA} {
		t.Run(kind.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "host_key")
			first, created, err := LoadOrGenerate(path, kind)
			if err != nil || !created {
				t.Fatalf("first start: created %v, %v", created, err)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
			}
			pemText, _ := os.ReadFile(path)
			if !bytes.HasPrefix(pemText, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")) {
				t.Errorf("key file is not in OpenSSH format: %.40q", pemText)
			}
			again, created, err := LoadOrGenerate(path, kind)
			if err != nil || created {
				t.Fatalf("second start: created %v, %v", created, err)
			}
			if !bytes.Equal(first.PublicKey().Marshal(), again.PublicKey().Marshal()) {
				t.Errorf("the key changed between starts")
			}
			wantType := map[Kind]string{Ed25519: ssh.KeyAlgoED25519, RSA: ssh.KeyAlgoRSA}[kind]
			if got := first.PublicKey().Type(); got != wantType {
				t.Errorf("key type %s, want %s", got, wantType)
			}
		})
	}
}

func TestLoadRefusesOpenPermissionsAndGarbage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if _, _, err := LoadOrGenerate(path, Ed25519); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrGenerate(path, Ed25519); !errors.Is(err, ErrKeyPermissions) {
		t.Errorf("world-readable key: %v, want ErrKeyPermissions", err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrGenerate(garbage, Ed25519); err == nil {
		t.Errorf("garbage key loaded")
	}
	if b, _ := os.ReadFile(garbage); string(b) != "not a key" {
		t.Errorf("a bad key file was replaced")
	}
	if err := Save(garbage, ed25519.NewKeyFromSeed(make([]byte, 32))); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Save over an existing file: %v, want fs.ErrExist", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing key: %v, want fs.ErrNotExist", err)
	}
}

func newKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func authorizedLine(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

func TestParseAuthorized(t *testing.T) {
	a, b, c, d := newKey(t), newKey(t), newKey(t), newKey(t)
	file := "# comment\n\n" +
		authorizedLine(a) + " alice@laptop\n" +
		`from="10.0.0.0/8,!10.1.2.3" ` + authorizedLine(b) + "\n" +
		"restrict,no-pty " + authorizedLine(c) + "\r\n" +
		`from="192.168.1.*,::1" ` + authorizedLine(d) + "\n"
	entries, err := ParseAuthorized([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 || entries[0].Comment != "alice@laptop" || entries[1].Line != 4 {
		t.Fatalf("entries %+v", entries)
	}
	set := NewKeySet(entries...)
	for _, tc := range []struct {
		key  ssh.PublicKey
		addr string
		want bool
	}{
		{a, "203.0.113.9", true},
		{b, "10.9.8.7", true},
		{b, "10.1.2.3", false}, // negated
		{b, "192.0.2.1", false},
		{b, "::ffff:10.9.8.7", true}, // IPv4-mapped
		{c, "192.0.2.1", true},
		{d, "192.168.1.77", true},
		{d, "192.168.2.77", false},
		{d, "::1", true},
		{newKey(t), "127.0.0.1", false},
	} {
		if got := set.Allows(tc.key, netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("key %s from %s: %v, want %v", ssh.FingerprintSHA256(tc.key), tc.addr, got, tc.want)
		}
	}
}

func TestParseAuthorizedRefuses(t *testing.T) {
	k := authorizedLine(newKey(t))
	for name, line := range map[string]string{
		"forced command":  `command="/bin/true" ` + k,
		"environment":     `environment="A=B" ` + k,
		"cert authority":  "cert-authority " + k,
		"garbage":         "ssh-ed25519 AAAAnotbase64",
		"unquoted from":   "from=10.0.0.1 " + k,
		"bad cidr":        `from="10.0.0.0/99" ` + k,
		"empty pattern":   `from="10.0.0.1,," ` + k,
		"trailing option": "no-pty," + k,
	} {
		if _, err := ParseAuthorized([]byte("\n" + line + "\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%s: %v, want an error naming line 2", name, err)
		}
	}
}

func TestPasswords(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePasswords([]byte("# users\nalice:" + string(hash) + "\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, password string
		want           bool
	}{
		{"alice", "s3cret", true},
		{"alice", "wrong", false},
		{"bob", "s3cret", false},
		{"", "", false},
	} {
		if got := p.Check(tc.user, []byte(tc.password)); got != tc.want {
			t.Errorf("Check(%q, %q) = %v, want %v", tc.user, tc.password, got, tc.want)
		}
	}
	for name, file := range map[string]string{
		"no colon":   "alice\n",
		"plain text": "alice:s3cret\n",
		"twice":      "alice:" + string(hash) + "\nalice:" + string(hash) + "\n",
		"no user":    ":" + string(hash) + "\n",
	} {
		if _, err := ParsePasswords([]byte(file)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	var empty Passwords
	if empty.Check("alice", []byte("s3cret")) || empty.Len() != 0 {
		t.Errorf("the zero Passwords let someone in")
	}
	if err := empty.Set("bob", []byte("plain")); err == nil {
		t.Errorf("Set took a plain password")
	}
}
