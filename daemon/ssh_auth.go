package daemon

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/filemux/filemux/internal/sshkeys"
	"golang.org/x/crypto/ssh"
)

// Extensions of the ssh.Permissions the authentication callbacks return:
// the only record of how a connection authenticated (CVE-2024-45337: the
// public key callback also runs for keys a client merely offers).
const (
	sshExtMethod = "filemux-auth-method"
	sshExtKey    = "filemux-auth-key" // SHA256 fingerprint of the accepted key
)

var errSSHAuth = errors.New("daemon: ssh authentication refused")

// sshAuth holds the credentials loaded when serving starts, or by a
// reload (see sshCreds).
type sshAuth struct {
	anyUser   *sshkeys.KeySet            // keys valid for every user name
	userKeys  map[string]*sshkeys.KeySet // keys bound to one user name
	passwords *sshkeys.Passwords
}

// authenticator loads the authentication files and fields.
func (d *SSH) authenticator() (*sshAuth, error) {
	a := &sshAuth{anyUser: sshkeys.NewKeySet(), userKeys: make(map[string]*sshkeys.KeySet), passwords: &sshkeys.Passwords{}}
	if d.AuthorizedKeysFile != "" {
		entries, err := sshkeys.LoadAuthorized(d.AuthorizedKeysFile)
		if err != nil {
			return nil, fmt.Errorf("daemon: SSH.AuthorizedKeysFile: %w", err)
		}
		a.anyUser.Add(entries...)
	}
	for _, k := range d.AuthorizedKeys {
		a.anyUser.Add(sshkeys.Entry{Key: k})
	}
	for user, keys := range d.UserKeys {
		set := sshkeys.NewKeySet()
		for _, k := range keys {
			set.Add(sshkeys.Entry{Key: k})
		}
		a.userKeys[user] = set
	}
	if d.PasswordFile != "" {
		p, err := sshkeys.LoadPasswords(d.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("daemon: SSH.PasswordFile: %w", err)
		}
		a.passwords = p
	}
	for user, hash := range d.Passwords {
		if err := a.passwords.Set(user, []byte(hash)); err != nil {
			return nil, fmt.Errorf("daemon: SSH.Passwords: %w", err)
		}
	}
	return a, nil
}

func (a *sshAuth) publicKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	addr := sshAddrOf(meta.RemoteAddr()).Addr()
	ok := a.anyUser.Allows(key, addr)
	if set := a.userKeys[meta.User()]; !ok && set != nil {
		ok = set.Allows(key, addr)
	}
	if !ok {
		return nil, errSSHAuth
	}
	return &ssh.Permissions{Extensions: map[string]string{
		sshExtMethod: "publickey",
		sshExtKey:    ssh.FingerprintSHA256(key),
	}, ExtraData: map[any]any{sshLoginKey{}: key}}, nil
}

func (a *sshAuth) password(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	if !a.passwords.Check(meta.User(), password) {
		return nil, errSSHAuth
	}
	hash, _ := a.passwords.Hash(meta.User())
	return &ssh.Permissions{Extensions: map[string]string{sshExtMethod: "password"},
		ExtraData: map[any]any{sshLoginKey{}: hash}}, nil
}

// sshAddrOf returns the address and port of a TCP address (or the zero
// AddrPort for anything else), with IPv4-mapped addresses unmapped.
func sshAddrOf(a net.Addr) netip.AddrPort {
	if tcp, ok := a.(*net.TCPAddr); ok {
		ap := tcp.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}
