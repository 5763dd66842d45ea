package client

import (
	"fmt"
	"slices"

	"github.com/filemux/filemux/internal/sshalgo"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// algorithms returns what the client offers: internal/sshalgo's policy,
// which the server shares.
func (s *SSH) algorithms() ssh.Algorithms { return sshalgo.Client(s.LegacyAlgorithms) }

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
