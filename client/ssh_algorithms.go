package client

import (
	"fmt"
	"slices"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// algorithms returns what the client offers: the algorithms x/crypto calls
// secure, plus, with LegacyAlgorithms, the SHA-1 key exchanges, CBC ciphers,
// hmac-sha1-96 and SHA-1 host key signatures that old network devices
// still need. x/crypto's own defaults mix some SHA-1 algorithms in; filemux
// makes every one of them an explicit opt-in. RC4 stays out even then: no
// device this serves needs it and OpenSSH dropped it long ago.
func (s *SSH) algorithms() ssh.Algorithms {
	a := ssh.SupportedAlgorithms()
	if !s.LegacyAlgorithms {
		return a
	}
	old := ssh.InsecureAlgorithms()
	a.KeyExchanges = append(a.KeyExchanges, old.KeyExchanges...)
	a.Ciphers = append(a.Ciphers, ssh.InsecureCipherAES128CBC, ssh.InsecureCipherTripleDESCBC)
	a.MACs = append(a.MACs, old.MACs...)
	a.HostKeys = append(a.HostKeys, old.HostKeys...)
	a.PublicKeyAuths = append(a.PublicKeyAuths, old.PublicKeyAuths...)
	return a
}

// clientConfig builds the handshake's configuration; known are the host key
// algorithms of the keys known_hosts names for the server (nil when it
// names none).
func (s *SSH) clientConfig(methods []ssh.AuthMethod, hk *hostKeys, known []string) (*ssh.ClientConfig, error) {
	a := s.algorithms()
	hostAlgos := a.HostKeys
	if known != nil {
		hostAlgos = slices.DeleteFunc(known, func(k string) bool { return !slices.Contains(a.HostKeys, k) })
		if len(hostAlgos) == 0 {
			return nil, fmt.Errorf("client: known_hosts names only legacy host key types for %s; set LegacyAlgorithms (--legacy-algorithms) to use them", s.address())
		}
	}
	cfg := &ssh.ClientConfig{User: s.User, Auth: methods, HostKeyCallback: hk.check, HostKeyAlgorithms: hostAlgos}
	cfg.KeyExchanges, cfg.Ciphers, cfg.MACs = a.KeyExchanges, a.Ciphers, a.MACs
	return cfg, nil
}

// offer returns the signers to offer: the key file's, then the agent's
// (ag may be nil). An RSA key signs with SHA-2 only, unless
// LegacyAlgorithms is set: then it is offered a second time signing with
// SHA-1 (ssh-rsa), for servers that advertise SHA-2 signatures and refuse
// them, or advertise none (x/crypto then falls back to ssh-rsa by itself).
func (s *SSH) offer(keys []ssh.Signer, ag agent.ExtendedAgent) ([]ssh.Signer, error) {
	if ag != nil {
		more, err := ag.Signers()
		if err != nil {
			return nil, fmt.Errorf("client: ssh-agent: %w", err)
		}
		keys = append(slices.Clip(keys), more...)
	}
	var out []ssh.Signer
	for _, signer := range keys {
		if signer.PublicKey().Type() != ssh.KeyAlgoRSA {
			out = append(out, signer)
			continue
		}
		out = append(out, only(signer, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256))
		if s.LegacyAlgorithms {
			out = append(out, only(signer, ssh.KeyAlgoRSA))
		}
	}
	return out, nil
}

// only restricts signer to the algorithms, or returns it as it is when it
// cannot be restricted (a signer that chose its algorithms itself).
func only(signer ssh.Signer, algorithms ...string) ssh.Signer {
	as, ok := signer.(ssh.AlgorithmSigner)
	if !ok {
		return signer
	}
	r, err := ssh.NewSignerWithAlgorithms(as, algorithms)
	if err != nil {
		return signer
	}
	return r
}
