package daemon

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// sshRefusalWait is how long a login over the limits waits for the
// client's first channel, to refuse it with the reason the client shows
// (OpenSSH: "channel 0: open failed: resource shortage: ..."), before the
// connection is closed.
const sshRefusalWait = 5 * time.Second

// sshLogins are the authenticated connections, which MaxConnections and
// MaxPerAddress bound. Counting them only once they log in keeps
// connections that never do from taking their slots.
type sshLogins struct {
	maxConns, maxPerAddr int

	mu      sync.Mutex
	all     map[*sshConn]struct{}
	perAddr map[netip.Addr]int
}

func newSSHLogins(maxConns, maxPerAddr int) *sshLogins {
	return &sshLogins{maxConns: maxConns, maxPerAddr: maxPerAddr,
		all: make(map[*sshConn]struct{}), perAddr: make(map[netip.Addr]int)}
}

// enter counts a connection that logged in, or returns why it is over the
// limits.
func (l *sshLogins) enter(c *sshConn) string {
	a := c.peer.Addr()
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case len(l.all) >= l.maxConns:
		return "too many connections"
	case l.perAddr[a] >= l.maxPerAddr:
		return "too many connections from this address"
	}
	l.all[c] = struct{}{}
	l.perAddr[a]++
	return ""
}

// leave forgets an ended connection; one that never entered is ignored.
func (l *sshLogins) leave(c *sshConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.all[c]; !ok {
		return
	}
	delete(l.all, c)
	a := c.peer.Addr()
	if l.perAddr[a]--; l.perAddr[a] <= 0 {
		delete(l.perAddr, a)
	}
}

// refuseLogin turns away a connection that authenticated over the limits:
// it refuses the client's first channel with the reason, then closes the
// connection. The login is not scored as a failure.
func (c *sshConn) refuseLogin(sc *ssh.ServerConn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request, reason string) {
	c.srv.cfg.log.Warn("ssh login refused", "peer", c.peer, "user", sc.User(), "reason", reason)
	go ssh.DiscardRequests(reqs)
	timer := time.NewTimer(sshRefusalWait)
	defer timer.Stop()
	select {
	case nch, ok := <-chans:
		if ok {
			_ = nch.Reject(ssh.ResourceShortage, reason)
		}
	case <-timer.C:
	case <-c.ctx.Done():
	}
	sc.Close()
	for range chans { // x/crypto ends the channel once the connection is closed
	}
}
