package daemon

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/filemux/filemux/behaviour"
	"golang.org/x/crypto/ssh"
)

// Defaults of the SSH server's defences against hostile load.
const (
	DefaultSSHBanThreshold = 10
	DefaultSSHBanWindow    = 10 * time.Minute
	DefaultSSHBanDuration  = 10 * time.Minute
)

// The reasons the server closes a connection before it authenticated. The
// peer sees nothing of them: it is disconnected.
var (
	errSSHShed   = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "connection lost", Err: errors.New("daemon: ssh pre-auth connection shed to make room (max startups)")}
	errSSHBanned = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "connection lost", Err: errors.New("daemon: ssh address banned after failed logins")}
)

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
	// FailedLogins counts the failed logins scored against their address:
	// every wrong password, and once each connection that tried keys (or
	// other methods) and never logged in.
	FailedLogins uint64
	// Bans counts the bans of addresses (BanThreshold).
	Bans uint64
	// Banned is the number of addresses banned now.
	Banned int
	// Refused counts the connections of banned addresses, closed on
	// arrival.
	Refused uint64
}

// Guard returns a snapshot of the defences; the zero SSHGuard before
// serving starts.
func (d *SSH) Guard() SSHGuard {
	s := d.run.current()
	if s == nil {
		return SSHGuard{}
	}
	return SSHGuard{
		Preauth:      s.preauth.count(),
		Shed:         s.preauth.shed.Load(),
		FailedLogins: s.defender.failed.Load(),
		Bans:         s.defender.banned.Load(),
		Banned:       s.defender.bannedNow(time.Now()),
		Refused:      s.defender.refused.Load(),
	}
}

// logHandshakeFailure logs a handshake that failed. Connections the
// server shed or closed for a ban log at debug level only: an attacker
// makes as many of them as it likes, and the metrics count them.
func (c *sshConn) logHandshakeFailure(err error) {
	level := slog.LevelInfo
	if r := c.closeReason(); r == errSSHShed || r == errSSHBanned {
		level, err = slog.LevelDebug, r
	}
	c.srv.cfg.log.Log(context.Background(), level, "ssh handshake failed", "peer", c.peer, "err", err)
}

// sshGuardSettings are the defences' fields with their defaults applied.
type sshGuardSettings struct {
	startups     SSHStartups
	banThreshold int // 0: never ban
	banWindow    time.Duration
	banFor       time.Duration
}

func (d *SSH) guardSettings() sshGuardSettings {
	threshold := orDefault(d.BanThreshold, DefaultSSHBanThreshold)
	return sshGuardSettings{
		startups:     d.MaxStartups.orDefault(),
		banThreshold: max(threshold, 0),
		banWindow:    orNone(d.BanWindow, DefaultSSHBanWindow),
		banFor:       orNone(d.BanDuration, DefaultSSHBanDuration),
	}
}

// checkGuard checks the fields of the defences against hostile load.
func (d *SSH) checkGuard(c *checks) {
	if err := d.MaxStartups.validate(); err != nil {
		c.check(true, "MaxStartups: %w", err)
	}
	c.check(d.BanWindow < 0, "BanWindow %v is negative", d.BanWindow)
	c.check(d.BanDuration < 0, "BanDuration %v is negative", d.BanDuration)
}

// sshAttempts is what one connection tried before it logged in or gave
// up. x/crypto calls AuthLogCallback from the handshake's goroutine, one
// attempt at a time, which reads it after the handshake.
type sshAttempts struct {
	scored bool // a wrong password was scored
	probed bool // a key (or a method not served) was refused
}

// loginConfig returns the server configuration of one connection: the
// server's, with an AuthLogCallback that records the connection's
// progress and scores its failures. (x/crypto copies the configuration
// per connection too.)
func (c *sshConn) loginConfig() (*ssh.ServerConfig, *sshAttempts) {
	conf := *c.srv.cfg.ssh
	prog := c.srv.preauth.progress(c)
	tries := &sshAttempts{}
	next := conf.AuthLogCallback
	conf.AuthLogCallback = func(meta ssh.ConnMetadata, method string, err error) {
		prog.authing.Store(true)
		c.attempt(tries, method, err, conf.PasswordCallback != nil)
		if next != nil {
			next(meta, method, err)
		}
	}
	return &conf, tries
}

// attempt scores one authentication attempt. A wrong password is a guess
// and scores at once. A refused key is not: OpenSSH's client offers every
// key it has before the right one, so keys score once per connection, and
// only for a connection that never logs in (handshakeEnded).
func (c *sshConn) attempt(tries *sshAttempts, method string, err error, passwords bool) {
	switch {
	case err == nil, method == "none":
	case method == "password" && passwords:
		tries.scored = true
		c.srv.failLogin(c)
	default:
		tries.probed = true
	}
}

// handshakeEnded takes c out of the pre-auth budget and scores a
// connection that tried keys and never logged in.
func (s *sshServer) handshakeEnded(c *sshConn, tries *sshAttempts, err error) {
	s.preauth.done(c)
	if err != nil && tries.probed && !tries.scored {
		s.failLogin(c)
	}
	if err != nil && (tries.probed || tries.scored) {
		s.refused(c.peer, errSSHLoginFailed)
	}
}

// failLogin scores a failed login; a ban it starts closes the address's
// unauthenticated connections, this one included.
func (s *sshServer) failLogin(c *sshConn) {
	a := c.peer.Addr()
	if !s.defender.fail(a, time.Now()) {
		return
	}
	s.cfg.log.Warn("ssh address banned after failed logins", "addr", a, "failures", s.defender.threshold,
		"within", s.defender.window, "for", s.defender.banFor)
	for _, victim := range s.preauth.from(a) {
		victim.close(errSSHBanned)
	}
}
