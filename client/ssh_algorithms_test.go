package client_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/internal/sshtest"
)

// The lists the client sends in its KEXINIT, read off a real socket by a
// raw listener, are exactly the policy the server shares: no SHA-1 and no
// CBC by default, the legacy set with LegacyAlgorithms, never RC4. The
// client keeps chacha20-poly1305 on every CPU, after AES-GCM.
func TestSSHOfferedAlgorithms(t *testing.T) {
	kex := []string{"mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
		"ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256", "diffie-hellman-group16-sha512",
		"diffie-hellman-group-exchange-sha256"}
	hostKeys := []string{"rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com",
		"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
		"ecdsa-sha2-nistp521-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com", "rsa-sha2-256", "rsa-sha2-512",
		"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-ed25519"}
	ciphers := []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
		"aes128-ctr", "aes192-ctr", "aes256-ctr"}
	macs := []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"}
	strict := []string{"ext-info-c", "kex-strict-c-v00@openssh.com"}
	cases := []struct {
		legacy                       bool
		kex, hostKeys, ciphers, macs []string
	}{
		{false, slices.Concat(kex, strict), hostKeys, ciphers, macs},
		{true,
			slices.Concat(kex, []string{"diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1"}, strict),
			slices.Concat(hostKeys, []string{"ssh-rsa", "ssh-rsa-cert-v01@openssh.com"}),
			slices.Concat(ciphers, []string{"aes128-cbc", "3des-cbc"}),
			slices.Concat(macs, []string{"hmac-sha1", "hmac-sha1-96"})},
	}
	for _, tc := range cases {
		k := sshClientKexInit(t, tc.legacy)
		for _, l := range []struct {
			what      string
			got, want []string
		}{
			{"key exchanges", k.KeyExchanges, tc.kex}, {"host keys", k.HostKeys, tc.hostKeys},
			{"ciphers to the server", k.CiphersOut, tc.ciphers}, {"ciphers to the client", k.CiphersIn, tc.ciphers},
			{"MACs to the server", k.MACsOut, tc.macs}, {"MACs to the client", k.MACsIn, tc.macs},
		} {
			if !slices.Equal(l.got, l.want) {
				t.Errorf("legacy %v: %s offered\n%q, want\n%q", tc.legacy, l.what, l.got, l.want)
			}
		}
	}
}

// sshClientKexInit lets the client dial a raw listener and returns the
// KEXINIT it sends; the handshake goes no further.
func sshClientKexInit(t *testing.T, legacy bool) sshtest.KexInit {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &client.SFTP{SSH: client.SSH{Addr: ln.Addr().String(), User: "u", Password: "p", KnownHostsFile: known,
		LegacyAlgorithms: legacy}}
	done := make(chan error, 1)
	go func() { _, _, err := c.ReadBytes(context.Background(), "x"); done <- err }()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	_, k, err := sshtest.ExchangeKexInit(conn, "SSH-2.0-raw")
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("the client read a file from a listener that never finished the handshake")
	}
	return k
}
