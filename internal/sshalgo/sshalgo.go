// Package sshalgo is filemux's one SSH algorithm policy: what the SSH
// server (daemon) and the SSH client (client) offer, by default and with
// legacy algorithms for old network gear. Both sides take their lists from
// here, so that they cannot drift apart (the server's own copy once offered
// RC4).
//
// The default is x/crypto's secure set without hmac-sha1: ML-KEM,
// curve25519, ECDH and SHA-2 Diffie-Hellman key exchanges; AES-GCM,
// chacha20-poly1305 and AES-CTR ciphers; SHA-2 MACs; ed25519, ECDSA, ML-DSA
// and RSA-SHA2 signatures. Legacy adds what old gear needs and nothing
// more: the SHA-1 key exchanges, the CBC ciphers aes128-cbc and 3des-cbc,
// the SHA-1 MACs and ssh-rsa (SHA-1) signatures. RC4 (arcfour) is never
// offered: it is broken, no device this serves needs it, and OpenSSH
// dropped it long ago.
package sshalgo

import (
	"runtime"
	"slices"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/cpu"
)

// legacy are the algorithms that legacy mode adds, in the order offered.
// x/crypto has no aes192-cbc or aes256-cbc.
var legacy = ssh.Algorithms{
	KeyExchanges: []string{ssh.InsecureKeyExchangeDH14SHA1, ssh.InsecureKeyExchangeDH1SHA1, ssh.InsecureKeyExchangeDHGEXSHA1},
	Ciphers:      []string{ssh.InsecureCipherAES128CBC, ssh.InsecureCipherTripleDESCBC},
	MACs:         []string{ssh.HMACSHA1, ssh.InsecureHMACSHA196},
	// The server offers ssh-rsa host signatures through its RSA host key
	// signer (see HostKey), not through this list.
	HostKeys:       []string{ssh.KeyAlgoRSA, ssh.CertAlgoRSAv01},
	PublicKeyAuths: []string{ssh.KeyAlgoRSA},
}

// Legacy returns the algorithms that legacy mode adds to the default.
func Legacy() ssh.Algorithms { return clone(legacy) }

// Client returns what the client offers. Its own order of preference
// decides the cipher, and x/crypto's puts AES-GCM first, so the client
// keeps chacha20-poly1305: it is picked only when a server offers nothing
// better.
func Client(withLegacy bool) ssh.Algorithms {
	a := secure()
	if withLegacy {
		a = add(a, legacy)
	}
	return a
}

// Server returns what the server offers. On CPUs with AES instructions it
// leaves chacha20-poly1305 out: x/crypto implements ChaCha20 in portable
// Go, which costs the server about half as much CPU again as AES-GCM or
// AES-CTR per byte, and OpenSSH's client asks for chacha20-poly1305 first
// (without it on offer, it picks aes128-ctr). On CPUs without AES
// instructions ChaCha20 is the faster and stays.
func Server(withLegacy bool) ssh.Algorithms {
	a := Client(withLegacy)
	if AESHardware() {
		a.Ciphers = slices.DeleteFunc(a.Ciphers, func(c string) bool { return c == ssh.CipherChaCha20Poly1305 })
	}
	return a
}

// HostKey returns the host key signer to serve k with: an RSA key signs
// with SHA-2 only (x/crypto would offer ssh-rsa, SHA-1, for every RSA key
// it is given), or with ssh-rsa too in legacy mode.
func HostKey(k ssh.Signer, withLegacy bool) (ssh.Signer, error) {
	as, ok := k.(ssh.AlgorithmSigner)
	if k.PublicKey().Type() != ssh.KeyAlgoRSA || !ok {
		return k, nil
	}
	algos := []string{ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512}
	if withLegacy {
		algos = append(algos, ssh.KeyAlgoRSA)
	}
	return ssh.NewSignerWithAlgorithms(as, algos)
}

// AESHardware reports whether the CPU has the AES (and carry-less
// multiplication) instructions that make AES-GCM and AES-CTR fast.
func AESHardware() bool {
	switch runtime.GOARCH {
	case "amd64", "386":
		return cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ
	case "arm64":
		return cpu.ARM64.HasAES && cpu.ARM64.HasPMULL
	case "s390x":
		return cpu.S390X.HasAESGCM
	}
	return false
}

// secure is x/crypto's secure set without hmac-sha1, which x/crypto counts
// as secure but filemux keeps for legacy mode, as it does every SHA-1
// algorithm.
func secure() ssh.Algorithms {
	a := ssh.SupportedAlgorithms()
	a.MACs = slices.DeleteFunc(a.MACs, func(m string) bool { return m == ssh.HMACSHA1 })
	return a
}

func add(a, b ssh.Algorithms) ssh.Algorithms {
	return ssh.Algorithms{
		KeyExchanges:   slices.Concat(a.KeyExchanges, b.KeyExchanges),
		Ciphers:        slices.Concat(a.Ciphers, b.Ciphers),
		MACs:           slices.Concat(a.MACs, b.MACs),
		HostKeys:       slices.Concat(a.HostKeys, b.HostKeys),
		PublicKeyAuths: slices.Concat(a.PublicKeyAuths, b.PublicKeyAuths),
	}
}

func clone(a ssh.Algorithms) ssh.Algorithms { return add(a, ssh.Algorithms{}) }
