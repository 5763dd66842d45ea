package daemon_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net"
	"slices"
	"testing"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/cpu"
)

// The lists the server sends in its KEXINIT, read off a real socket, are
// exactly the policy: no SHA-1 and no CBC by default, the legacy set with
// LegacyAlgorithms, and never RC4. chacha20-poly1305 is offered only on a
// CPU without AES instructions.
func TestSSHOfferedAlgorithms(t *testing.T) {
	modern := sshModernCiphers()
	cases := []struct {
		legacy                       bool
		kex, hostKeys, ciphers, macs []string
	}{
		{false,
			[]string{"mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
				"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256", "diffie-hellman-group16-sha512",
				"diffie-hellman-group-exchange-sha256", "kex-strict-s-v00@openssh.com"},
			[]string{"ssh-ed25519", "rsa-sha2-256", "rsa-sha2-512"},
			modern,
			[]string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"}},
		{true,
			[]string{"mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
				"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256", "diffie-hellman-group16-sha512",
				"diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1",
				"diffie-hellman-group-exchange-sha1", "kex-strict-s-v00@openssh.com"},
			[]string{"ssh-ed25519", "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"},
			append(slices.Clone(modern), "aes128-cbc", "3des-cbc"),
			[]string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512",
				"hmac-sha1", "hmac-sha1-96"}},
	}
	rsaKey := sshRSASigner(t)
	for _, tc := range cases {
		s := daemontest.NewSSH(t, handlers.NewMemory(), func(d *daemon.SSH) {
			d.LegacyAlgorithms = tc.legacy
			d.HostKeys = append(d.HostKeys, rsaKey)
		})
		conn, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		version, k, err := sshtest.ExchangeKexInit(conn, "SSH-2.0-filemux-test")
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if version != "SSH-2.0-filemux" {
			t.Errorf("version %q", version)
		}
		for _, l := range []struct {
			what      string
			got, want []string
		}{
			{"key exchanges", k.KeyExchanges, tc.kex}, {"host keys", k.HostKeys, tc.hostKeys},
			{"ciphers to the server", k.CiphersOut, tc.ciphers}, {"ciphers to the client", k.CiphersIn, tc.ciphers},
			{"MACs to the server", k.MACsOut, tc.macs}, {"MACs to the client", k.MACsIn, tc.macs},
			{"compression", k.CompressionOut, []string{"none"}},
		} {
			if !slices.Equal(l.got, l.want) {
				t.Errorf("legacy %v: %s offered\n%q, want\n%q", tc.legacy, l.what, l.got, l.want)
			}
		}
		for _, c := range slices.Concat(k.CiphersOut, k.CiphersIn) {
			if c == "arcfour" || c == "arcfour128" || c == "arcfour256" {
				t.Errorf("legacy %v: RC4 (%s) offered", tc.legacy, c)
			}
		}
	}
}

// sshModernCiphers are the ciphers offered in every mode on this CPU.
func sshModernCiphers() []string {
	if cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ || cpu.ARM64.HasAES && cpu.ARM64.HasPMULL || cpu.S390X.HasAESGCM {
		return []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"}
	}
	return []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
		"aes128-ctr", "aes192-ctr", "aes256-ctr"}
}

func sshRSASigner(t *testing.T) ssh.Signer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}
