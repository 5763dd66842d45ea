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
