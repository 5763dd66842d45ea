package client

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeys checks a server's host key against a known_hosts file and
// remembers why it refused one, so that the caller learns the class even
// when the handshake's error text changes.
type hostKeys struct {
	file    string
	accept  bool
	refusal error
}

func (s *SSH) knownHosts() string {
	if s.KnownHostsFile != "" {
		return s.KnownHostsFile
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".ssh", "known_hosts")
}

// check is the ssh.HostKeyCallback.
func (h *hostKeys) check(host string, remote net.Addr, key ssh.PublicKey) error {
	err := h.verify(host, remote, key)
	h.refusal = err
	return err
}

func (h *hostKeys) verify(host string, remote net.Addr, key ssh.PublicKey) error {
	if h.file == "" {
		return fmt.Errorf("%w: no known_hosts file", ErrHostKeyUnknown)
	}
	cb, err := knownhosts.New(h.file)
	if errors.Is(err, os.ErrNotExist) && h.accept {
		return h.add(host, key)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrHostKeyUnknown, err)
	}
	err = cb(host, remote, key)
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke) && len(ke.Want) > 0:
		return fmt.Errorf("%w: the %s key of %s is not the one %s:%d names", ErrHostKeyMismatch, key.Type(), host, ke.Want[0].Filename, ke.Want[0].Line)
	case errors.As(err, &ke) && h.accept:
		return h.add(host, key)
	case errors.As(err, &ke):
		return fmt.Errorf("%w: %s (%s %s) is not in %s", ErrHostKeyUnknown, host, key.Type(), ssh.FingerprintSHA256(key), h.file)
	}
	return err
}

// add appends the key to the known_hosts file, creating it when missing.
func (h *hostKeys) add(host string, key ssh.PublicKey) error {
	f, err := os.OpenFile(h.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, knownhosts.Line([]string{knownhosts.Normalize(host)}, key))
	return errors.Join(err, f.Close())
}

// algorithms returns the host key algorithms of the keys known_hosts names
// for addr, so that a server with several host keys shows one that can be
// checked: otherwise a host known by its RSA key would offer its ed25519
// key and look changed. nil (every algorithm) when the host is unknown.
func (h *hostKeys) algorithms(addr string) []string {
	cb, err := knownhosts.New(h.file)
	if err != nil {
		return nil
	}
	remote, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if !errors.As(cb(addr, remote, probeKey{}), &ke) {
		return nil
	}
	var algos []string
	for _, k := range ke.Want {
		algos = append(algos, keyAlgorithms(k.Key.Type())...)
	}
	return algos
}

// keyAlgorithms returns the signature algorithms of a key type: an RSA key
// signs with SHA-2 too.
func keyAlgorithms(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// probeKey is a key no known_hosts file names, whose KeyError lists the
// keys the file does name for a host.
type probeKey struct{}

func (probeKey) Type() string                        { return "filemux-probe" }
func (probeKey) Marshal() []byte                     { return []byte("filemux-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe key") }
