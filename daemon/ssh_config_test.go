package daemon

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/filemux/filemux/internal/sshalgo"
	"github.com/filemux/filemux/internal/sshkeys"
	"golang.org/x/crypto/ssh"
)

// The defaults offer no SHA-1, CBC or RC4 algorithm; LegacyAlgorithms
// adds exactly what old gear needs.
func TestSSHAlgorithms(t *testing.T) {
	insecure := ssh.InsecureAlgorithms()
	for _, legacy := range []bool{false, true} {
		d := &SSH{LegacyAlgorithms: legacy}
		cfg := d.serverConfig(d.newSSHCreds(&sshAuth{anyUser: sshkeys.NewKeySet(), passwords: &sshkeys.Passwords{}}), nil)
		lists := map[string][]string{"kex": cfg.KeyExchanges, "cipher": cfg.Ciphers, "mac": cfg.MACs, "pubkey": cfg.PublicKeyAuthAlgorithms}
		bad := append(append(append(insecure.KeyExchanges, insecure.Ciphers...), insecure.MACs...), insecure.PublicKeyAuths...)
		for kind, list := range lists {
			for _, alg := range list {
				if !legacy && slices.Contains(bad, alg) {
					t.Errorf("legacy %v: %s %s offered", legacy, kind, alg)
				}
			}
		}
		for _, want := range []string{ssh.InsecureKeyExchangeDH14SHA1, ssh.InsecureKeyExchangeDH1SHA1, ssh.InsecureCipherAES128CBC, ssh.KeyAlgoRSA} {
			all := slices.Concat(cfg.KeyExchanges, cfg.Ciphers, cfg.PublicKeyAuthAlgorithms)
			if slices.Contains(all, want) != legacy {
				t.Errorf("legacy %v: %s offered %v", legacy, want, !legacy)
			}
		}
		if !slices.Contains(cfg.MACs, ssh.HMACSHA256) || !slices.Contains(cfg.Ciphers, ssh.CipherAES128CTR) {
			t.Errorf("legacy %v: libssh2 1.10 needs aes128-ctr with hmac-sha2-256: %v %v", legacy, cfg.Ciphers, cfg.MACs)
		}
		if slices.Contains(cfg.Ciphers, ssh.CipherChaCha20Poly1305) == sshalgo.AESHardware() {
			t.Errorf("chacha20-poly1305 offered %v with AES hardware %v", !sshalgo.AESHardware(), sshalgo.AESHardware())
		}
	}
}

// An RSA host key signs with SHA-1 only with LegacyAlgorithms.
func TestSSHRSAHostKeyNoSHA1(t *testing.T) {
	dir := t.TempDir()
	d := &SSH{RSAHostKeyFile: dir + "/rsa"}
	keys, err := d.hostKeys(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if mas, ok := keys[0].(ssh.MultiAlgorithmSigner); !ok || slices.Contains(mas.Algorithms(), ssh.KeyAlgoRSA) {
		t.Errorf("the RSA host key may sign with ssh-rsa: %T", keys[0])
	}
	d.LegacyAlgorithms = true
	if keys, err = d.hostKeys(slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if mas, ok := keys[0].(ssh.MultiAlgorithmSigner); ok && !slices.Contains(mas.Algorithms(), ssh.KeyAlgoRSA) {
		t.Errorf("LegacyAlgorithms still keeps the RSA host key from ssh-rsa: %v", mas.Algorithms())
	}
}
