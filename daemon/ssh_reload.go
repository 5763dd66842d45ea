package daemon

import (
	"bytes"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/filemux/filemux/behaviour"
	"golang.org/x/crypto/ssh"
)

// errSSHRevoked ends the connections whose credentials a reload removed.
var errSSHRevoked = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "credentials revoked",
	Err: errors.New("daemon: the key or password of the connection is no longer accepted")}

// sshLoginKey is the ssh.Permissions ExtraData key under which the
// authentication callbacks keep what accepted a login (the public key, or
// the user's password hash), so that a reload can tell whether it still
// would.
type sshLoginKey struct{}

// sshCreds are the credentials that logins are checked against now;
// ReloadAuth replaces them while the server runs.
type sshCreds struct {
	cur             atomic.Pointer[sshAuth]
	keys, passwords bool       // the methods offered, fixed when serving starts
	reload          sync.Mutex // one reload at a time, so revocations follow swaps in order
}

// newSSHCreds offers a method when it has credentials, or a file that a
// reload may fill: never "none", never a method that nothing could pass.
func (d *SSH) newSSHCreds(a *sshAuth) *sshCreds {
	c := &sshCreds{
		keys:      a.anyUser.Len() > 0 || len(a.userKeys) > 0 || d.AuthorizedKeysFile != "",
		passwords: a.passwords.Len() > 0 || d.PasswordFile != "",
	}
	c.cur.Store(a)
	return c
}

// install sets the callbacks of the offered methods, which ask the
// credentials in use at each attempt.
func (c *sshCreds) install(cfg *ssh.ServerConfig) {
	if c.keys {
		cfg.PublicKeyCallback = func(m ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			return c.cur.Load().publicKey(m, k)
		}
	}
	if c.passwords {
		cfg.PasswordCallback = func(m ssh.ConnMetadata, p []byte) (*ssh.Permissions, error) {
			return c.cur.Load().password(m, p)
		}
	}
}

// ReloadAuth reads AuthorizedKeysFile and PasswordFile again (and takes
// AuthorizedKeys, UserKeys and Passwords again), and checks every later
// login against them. It also closes the connections whose login they no
// longer accept: a key that was removed or whose from= no longer admits
// the client's address, a user whose password entry was removed or
// changed. Their running transfers are aborted, as when a client goes
// away. When a file cannot be read or parsed, ReloadAuth returns the error
// and the credentials in use stay, all of them.
//
// Before Serve, and after the server has ended, ReloadAuth only checks
// that the files load. It is safe to call at any time, from any goroutine.
func (d *SSH) ReloadAuth() error {
	s := d.run.current()
	if s == nil || s.ended() {
		_, err := d.authenticator()
		return err
	}
	creds := s.cfg.creds
	creds.reload.Lock()
	defer creds.reload.Unlock()
	a, err := d.authenticator()
	if err != nil {
		return err
	}
	creds.cur.Store(a)
	s.revoke(a)
	return nil
}

// revoke closes the logged-in connections that a no longer accepts. A
// connection still in its handshake checks itself once it logs in
// (admitLogin): it either stored its login before the swap, and is seen
// here, or checks after it, against a.
func (s *sshServer) revoke(a *sshAuth) {
	s.each(func(c *sshConn) bool {
		p := c.login.Load()
		if p == nil || a.accepts(c.user, c.peer.Addr(), p) {
			return false
		}
		s.cfg.log.Warn("ssh credentials revoked: connection closed", "peer", c.peer, "user", c.user,
			"method", p.Extensions[sshExtMethod], "key", p.Extensions[sshExtKey])
		return true
	}, func(c *sshConn) { c.close(errSSHRevoked) })
}

// admitLogin records the login of a connection that has just
// authenticated and reports whether the credentials in use still accept
// it: a reload may have come between the callback and the end of the
// handshake.
func (c *sshConn) admitLogin(sc *ssh.ServerConn) bool {
	c.login.Store(sc.Permissions)
	return c.srv.cfg.creds.cur.Load().accepts(sc.User(), c.peer.Addr(), sc.Permissions)
}

// accepts reports whether a would let the login p of user from addr in.
func (a *sshAuth) accepts(user string, addr netip.Addr, p *ssh.Permissions) bool {
	switch v := p.ExtraData[sshLoginKey{}].(type) {
	case ssh.PublicKey:
		set := a.userKeys[user]
		return a.anyUser.Allows(v, addr) || set != nil && set.Allows(v, addr)
	case []byte:
		hash, ok := a.passwords.Hash(user)
		return ok && bytes.Equal(hash, v)
	}
	return false
}
