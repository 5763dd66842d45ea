package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
	"golang.org/x/crypto/ssh"
)

// sshConn is one client connection, from the TCP accept to its close.
type sshConn struct {
	srv         *sshServer
	nc          net.Conn
	peer, local netip.AddrPort
	ctx         context.Context // cancelled when the connection ends
	cancel      context.CancelFunc

	// Set once the handshake succeeded.
	sc      *ssh.ServerConn
	user    string
	handler behaviour.Handler
	login   atomic.Pointer[ssh.Permissions] // how it authenticated, for ReloadAuth

	lastActive atomic.Int64 // unix nanoseconds of the last channel data
	sessions   atomic.Int32
	transfers  atomic.Int32 // running transfers (sshServer.track)
	inCall     atomic.Int32 // handler calls running
	closeOnce  sync.Once
	reason     atomic.Pointer[error] // why the server closed the connection
}

func newSSHConn(s *sshServer, nc net.Conn) *sshConn {
	c := &sshConn{srv: s, nc: nc, peer: sshAddrOf(nc.RemoteAddr()), local: sshAddrOf(nc.LocalAddr())}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	c.touch()
	return c
}

// serve runs the handshake, then the channels, until the client leaves or
// the server closes the connection.
func (c *sshConn) serve() {
	defer c.srv.forget(c)
	defer c.close(errSSHLost)
	defer c.recoverPanic("connection")
	chans, reqs, err := c.handshake()
	if err != nil {
		c.logHandshakeFailure(err)
		return
	}
	c.srv.cfg.log.Info("ssh login", "peer", c.peer, "user", c.user,
		"method", c.sc.Permissions.Extensions[sshExtMethod], "key", c.sc.Permissions.Extensions[sshExtKey])
	go ssh.DiscardRequests(reqs)
	go c.watch()
	var wg sync.WaitGroup
	for nch := range chans {
		c.openChannel(nch, &wg)
	}
	wg.Wait()
}

// handshake runs the key exchange and authentication under the handshake
// deadline, then chooses the user's handler.
func (c *sshConn) handshake() (<-chan ssh.NewChannel, <-chan *ssh.Request, error) {
	cfg := c.srv.cfg
	_ = c.nc.SetDeadline(time.Now().Add(cfg.handshake))
	conf, tries := c.loginConfig()
	sc, chans, reqs, err := ssh.NewServerConn(c.nc, conf)
	c.srv.handshakeEnded(c, tries, err)
	if err != nil {
		return nil, nil, err
	}
	_ = c.nc.SetDeadline(time.Time{})
	if reason := c.srv.logins.enter(c); reason != "" {
		c.srv.refused(c.peer, &behaviour.Error{Code: behaviour.CodeUndefined, Message: reason})
		c.refuseLogin(sc, chans, reqs, reason)
		return nil, nil, errors.New("daemon: ssh login refused: " + reason)
	}
	c.sc, c.user = sc, sc.User()
	if !c.admitLogin(sc) {
		sc.Close()
		return nil, nil, errSSHRevoked
	}
	c.handler = cfg.handler
	if cfg.handlerFor != nil {
		if h := cfg.handlerFor(c.user); h != nil {
			c.handler = h
		}
	}
	if c.handler == nil {
		sc.Close()
		c.srv.refused(c.peer, errSSHNoHandler)
		return nil, nil, errSSHNoHandler
	}
	return chans, reqs, nil
}

// openChannel accepts session channels within the limit and refuses every
// other type.
func (c *sshConn) openChannel(nch ssh.NewChannel, wg *sync.WaitGroup) {
	if nch.ChannelType() != "session" {
		c.srv.refused(c.peer, errSSHChannelType) // before the answer, so that a client that saw it finds it counted
		_ = nch.Reject(ssh.UnknownChannelType, errSSHChannelType.Message)
		return
	}
	if int(c.sessions.Add(1)) > c.srv.cfg.maxSessions {
		c.sessions.Add(-1)
		c.srv.refused(c.peer, errSSHTooManySess)
		_ = nch.Reject(ssh.ResourceShortage, errSSHTooManySess.Message)
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		c.sessions.Add(-1)
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer c.sessions.Add(-1)
		newSSHSession(c, ch, reqs).serve()
	}()
}

// watch sends keepalives and enforces the idle timeout until the
// connection ends.
func (c *sshConn) watch() {
	cfg := c.srv.cfg
	period := cfg.keepAlive
	if cfg.idle > 0 && (period == 0 || cfg.idle/4 < period) {
		period = max(cfg.idle/4, time.Millisecond)
	}
	if period == 0 {
		return
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	var k sshKeepAlive
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-tick.C:
			if reason := c.check(now, &k); reason != nil {
				c.close(reason)
				return
			}
		}
	}
}

// sshKeepAlive is the keepalive state of one connection.
type sshKeepAlive struct {
	last    time.Time
	pending atomic.Bool
	missed  int
}

// check runs one tick of watch: it returns why the connection must close.
func (c *sshConn) check(now time.Time, k *sshKeepAlive) error {
	cfg := c.srv.cfg
	if cfg.idle > 0 && c.inCall.Load() == 0 && now.Sub(time.Unix(0, c.lastActive.Load())) >= cfg.idle {
		return errSSHIdle
	}
	if cfg.keepAlive == 0 || now.Sub(k.last) < cfg.keepAlive {
		return nil
	}
	k.last = now
	if k.pending.Load() {
		if k.missed++; k.missed >= cfg.keepAliveMax {
			return errSSHKeepAlive
		}
		return nil
	}
	k.missed = 0
	k.pending.Store(true)
	go func() {
		// Any answer, even a refusal, proves the client alive.
		_, _, err := c.sc.SendRequest("keepalive@openssh.com", true, nil)
		if err == nil {
			k.pending.Store(false)
		}
	}()
	return nil
}

func (c *sshConn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// close ends the connection once; reason is what its open transfers are
// aborted with.
func (c *sshConn) close(reason error) {
	c.closeOnce.Do(func() {
		c.reason.Store(&reason)
		c.cancel()
		c.nc.Close() // ends x/crypto's loops too, even during the handshake
	})
}

// closeReason returns why the connection was closed, or errSSHLost when
// the client went away first.
func (c *sshConn) closeReason() error {
	if r := c.reason.Load(); r != nil && *r != nil {
		return *r
	}
	return errSSHLost
}

// idle reports a connection that runs no transfer: shutting down may
// close it at once.
func (c *sshConn) idle() bool { return c.transfers.Load() == 0 }

// stuck reports a connection held only by a handler call that does not
// return: shutting down may leave it.
func (c *sshConn) stuck() bool { return c.inCall.Load() > 0 }

// recoverPanic contains a panic in the server's own code for one
// connection or channel.
func (c *sshConn) recoverPanic(what string) {
	if r := recover(); r != nil {
		c.recoverPanicValue(what, r)
	}
}

// recoverPanicValue logs a recovered panic with its stack.
func (c *sshConn) recoverPanicValue(what string, r any) {
	c.logPanic(what, r, debug.Stack())
}

func (c *sshConn) logPanic(what string, r any, stack []byte) {
	c.srv.cfg.log.Error("ssh panic", "in", what, "peer", c.peer, "user", c.user,
		"panic", fmt.Sprint(r), "stack", string(stack))
}

// handlerPanicked logs a panic of a handler call outside a transfer.
func (c *sshConn) handlerPanicked(what string, r any, stack []byte) {
	c.logPanic("handler "+what, r, stack)
}

// contained runs a handler call that belongs to no transfer (stat, list,
// the changes), counting it as running and turning a panic into an error.
func (c *sshConn) contained(what string, fn func() error) error {
	c.inCall.Add(1)
	defer c.inCall.Add(-1)
	return drive.Contain(what, c.handlerPanicked, fn)
}
