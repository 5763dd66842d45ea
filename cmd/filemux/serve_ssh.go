package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/sshkeys"
)

// defaultSSHAddr is where the embedded default serves SFTP and SCP.
const defaultSSHAddr = "127.0.0.1:2222"

// sshPlan is how serve from flags runs SFTP and SCP: its host key and
// authorized keys, or why it does not run at all.
type sshPlan struct {
	hostKey  ssh.Signer
	keyFile  string
	authFile string
	off      string // why SFTP is off; "" when it runs
}

// planSSH settles the keys of the SSH server. The authorized keys named by
// --authorized-keys must load; the user's own ~/.ssh/authorized_keys may
// be missing or empty, which turns SFTP off (TFTP still serves) rather
// than ever letting anyone in without a key.
func planSSH(f serveFlags) (sshPlan, error) {
	var p sshPlan
	auth, explicit := f.authKeys, f.authKeys != ""
	if !explicit {
		home, err := os.UserHomeDir()
		if err != nil {
			p.off = "no home directory to find ~/.ssh/authorized_keys in (give --authorized-keys FILE)"
			return p, nil
		}
		auth = filepath.Join(home, ".ssh", "authorized_keys")
	}
	entries, err := sshkeys.LoadAuthorized(auth)
	switch {
	case err != nil && explicit:
		return p, fmt.Errorf("--authorized-keys: %w", err)
	case errors.Is(err, fs.ErrNotExist):
		p.off = auth + " does not exist (give --authorized-keys FILE)"
		return p, nil
	case err != nil:
		p.off = err.Error()
		return p, nil
	case len(entries) == 0:
		p.off = auth + " holds no key"
		return p, nil
	}
	p.authFile = auth
	return p, p.loadHostKey(f.hostKey)
}

// loadHostKey loads the host key at path, or at the default place in the
// user's state directory, generating it on the first start.
func (p *sshPlan) loadHostKey(path string) error {
	if path == "" {
		dir, err := stateDir()
		if err != nil {
			return err
		}
		path = filepath.Join(dir, "ssh_host_ed25519_key")
	}
	key, _, err := sshkeys.LoadOrGenerate(path, sshkeys.Ed25519)
	if err != nil {
		return fmt.Errorf("host key: %w", err)
	}
	p.hostKey, p.keyFile = key, path
	return nil
}

// stateDir is filemux's directory under $XDG_STATE_HOME (default
// ~/.local/state), created private to the user, since it holds the host
// key.
func stateDir() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(base) { // the XDG spec says to ignore relative paths
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("state directory: %w (give --host-key FILE)", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	dir := filepath.Join(base, "filemux")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("state directory: %w", err)
	}
	return dir, nil
}

// daemon returns the SSH server of the plan for ln; the caller sets its
// handler and logger.
func (p sshPlan) daemon(ln net.Listener) *daemon.SSH {
	return &daemon.SSH{ListenAddr: ln.Addr().String(), HostKeys: []ssh.Signer{p.hostKey}, AuthorizedKeysFile: p.authFile}
}

// listenTCP listens on every address, closing them all when one fails:
// the SFTP or HTTP addresses of the flags.
func listenTCP(addrs []string) ([]net.Listener, error) {
	var lns []net.Listener
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		lns = append(lns, ln)
	}
	return lns, nil
}
