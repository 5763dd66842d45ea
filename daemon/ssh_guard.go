package daemon

import (
	"errors"
	"fmt"

	"github.com/filemux/filemux/behaviour"
	"golang.org/x/crypto/ssh"
)

// errSSHShed is why the server closes a connection that had not
// authenticated, to make room. The peer sees nothing of it: it is
// disconnected.
var errSSHShed = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "connection lost", Err: errors.New("daemon: ssh pre-auth connection shed to make room (max startups)")}

// SSHGuard is a snapshot of the SSH server's defences against hostile
// load, for metrics: what an operator watches to see an attack. The
// counters count from the start of serving.
type SSHGuard struct {
	// Preauth is the number of connections that have not authenticated
	// yet.
	Preauth int
	// Shed counts the unauthenticated connections closed to make room for
	// newcomers (MaxStartups).
	Shed uint64
}

// Guard returns a snapshot of the defences; the zero SSHGuard before
// serving starts.
func (d *SSH) Guard() SSHGuard {
	s := d.server()
	if s == nil {
		return SSHGuard{}
	}
	return SSHGuard{Preauth: s.preauth.count(), Shed: s.preauth.shed.Load()}
}

// sshGuardSettings are the defences' fields with their defaults applied.
type sshGuardSettings struct {
	startups SSHStartups
}

func (d *SSH) guardSettings() sshGuardSettings {
	return sshGuardSettings{startups: d.MaxStartups.orDefault()}
}

func (d *SSH) guardErrors() []error {
	var errs []error
	if err := d.MaxStartups.validate(); err != nil {
		errs = append(errs, fmt.Errorf("daemon: SSH.MaxStartups: %w", err))
	}
	return errs
}

// loginConfig returns the server configuration of one connection: the
// server's, with an AuthLogCallback that records the connection's
// progress. (x/crypto copies the configuration per connection too.)
func (c *sshConn) loginConfig() *ssh.ServerConfig {
	conf := *c.srv.cfg.ssh
	prog := c.srv.preauth.progress(c)
	next := conf.AuthLogCallback
	conf.AuthLogCallback = func(meta ssh.ConnMetadata, method string, err error) {
		prog.authing.Store(true)
		if next != nil {
			next(meta, method, err)
		}
	}
	return &conf
}
