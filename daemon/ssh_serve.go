package daemon

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"
)

// sshServer is one run of Serve: the listener, the connections and the
// transfers.
type sshServer struct {
	cfg    *sshSettings
	budget *sshBudget
	ln     net.Listener
	addr   netip.AddrPort
	ctx    context.Context // parent of every connection's context
	stop   context.CancelFunc

	// The defences against hostile load: the pre-auth budget, the
	// failed-login bans, the authenticated limits.
	preauth  *sshPreauth
	defender *sshDefender
	logins   *sshLogins

	// serving's mu guards transfers too; its live sessions are the
	// connections.
	serving[*sshConn]
	transfers map[*sshTransfer]struct{}
}

// Serve serves SSH connections arriving on ln, which it closes when it
// returns. It validates the configuration, loads or generates the host keys
// and loads the authentication files first, and returns their errors.
//
// Serve returns ErrServerClosed after Shutdown or Close, once the
// connections have ended, and otherwise the error that ended accepting
// connections (after closing every connection).
func (d *SSH) Serve(ln net.Listener) error {
	return serve(&d.run, ln, errSSHServing, d, newSSHServer)
}

func newSSHServer(cfg *sshSettings, ln net.Listener) *sshServer {
	s := &sshServer{
		cfg:       cfg,
		budget:    newSSHBudget(cfg.maxBuffered),
		preauth:   newSSHPreauth(cfg.guard.startups),
		defender:  newSSHDefender(cfg.guard.banThreshold, cfg.guard.banWindow, cfg.guard.banFor),
		logins:    newSSHLogins(cfg.maxConns, cfg.maxPerAddr),
		ln:        ln,
		addr:      sshAddrOf(ln.Addr()),
		serving:   newServing[*sshConn](),
		transfers: make(map[*sshTransfer]struct{}),
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	return s
}

// Addr returns the address the server listens on (with the port the
// system picked for port 0), or the zero AddrPort before Serve has started.
func (d *SSH) Addr() netip.AddrPort { return d.run.addr() }

// Active returns a snapshot of the running transfers, oldest first.
func (d *SSH) Active() []Stats { return d.run.active() }

func (s *sshServer) local() netip.AddrPort { return s.addr }

func (s *sshServer) active() []Stats { return snapshots(&s.mu, s.transfers, (*sshTransfer).snapshot) }

// Shutdown stops the server gracefully: it stops accepting connections,
// refuses new transfers, closes every connection that has no transfer
// running and lets the others finish until ctx is done; it then closes
// those still open (their transfers are aborted, the handlers' Abort runs).
// Shutdown returns when every connection has ended, except one whose
// handler call does not return: its client is disconnected, and its Abort
// runs when the call returns. It returns nil when every transfer finished by
// itself, ctx's error when some had to be aborted.
func (d *SSH) Shutdown(ctx context.Context) error { return d.run.shutdown(ctx) }

// Close stops the server at once: it is Shutdown with a context that is
// already done, and returns nil.
func (d *SSH) Close() error { return d.run.close() }

// serve is the accept loop.
func (s *sshServer) serve() error {
	var pace retry
	for {
		nc, err := s.ln.Accept()
		if err == nil {
			pace.reset()
			s.admit(nc)
			continue
		}
		if s.isDraining() {
			<-s.done
			return ErrServerClosed
		}
		if !errors.Is(err, net.ErrClosed) && sshTransient(err) {
			pace.after(s.cfg.log, "ssh accept failed", err)
			continue
		}
		s.fail()
		return err
	}
}

// sshTransient reports accept errors such as EMFILE or ECONNABORTED that
// must not end the server.
func sshTransient(err error) bool {
	var t interface{ Temporary() bool }
	var ne net.Error
	return errors.As(err, &t) && t.Temporary() || errors.As(err, &ne) && ne.Timeout()
}

// admit starts serving nc, unless its address is banned: then it is
// closed before any handshake work. The connection counts against the
// pre-auth budget (MaxStartups) until it authenticates, and may shed an
// idler one; the authenticated limits apply when it logs in.
func (s *sshServer) admit(nc net.Conn) {
	peer := sshAddrOf(nc.RemoteAddr())
	if s.defender.isBanned(peer.Addr(), time.Now()) {
		s.cfg.log.Debug("ssh connection refused", "peer", peer, "reason", "banned")
		s.refused(peer, errSSHBanned)
		nc.Close()
		return
	}
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		s.cfg.log.Warn("ssh connection refused", "peer", peer, "reason", "shutting down")
		s.refused(peer, errSSHShutdown)
		nc.Close()
		return
	}
	prog := newSSHProgress(nc)
	c := newSSHConn(s, prog)
	s.live[c] = struct{}{}
	s.mu.Unlock()
	if victim := s.preauth.add(c, prog); victim != nil {
		s.cfg.log.Debug("ssh pre-auth connection shed", "peer", victim.peer, "for", peer)
		victim.close(errSSHShed)
	}
	go c.serve()
}

// forget removes an ended connection.
func (s *sshServer) forget(c *sshConn) {
	s.preauth.done(c)
	s.logins.leave(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, c)
}

// track registers a running transfer; it refuses while shutting down.
func (s *sshServer) track(x *sshTransfer) error {
	s.mu.Lock()
	draining := s.draining
	if !draining {
		s.transfers[x] = struct{}{}
		x.c.transfers.Add(1)
	}
	s.mu.Unlock()
	if draining {
		s.refused(x.c.peer, errSSHShutdown)
		return errSSHShutdown
	}
	return nil
}

func (s *sshServer) untrack(x *sshTransfer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.transfers[x]; ok {
		delete(s.transfers, x)
		x.c.transfers.Add(-1)
	}
}

func (s *sshServer) shutdown(ctx context.Context) error {
	if s.drain() {
		<-s.done
		return nil
	}
	s.ln.Close()
	err := s.serving.shutdown(ctx, s.ending())
	s.stop()
	close(s.done)
	return err
}

// fail ends every connection after the listener failed.
func (s *sshServer) fail() {
	s.abortAll(s.ending())
	s.stop()
	close(s.done)
}

// ending is how connections end at a shutdown: those without a transfer
// at once, the others when theirs have finished or at the deadline.
func (s *sshServer) ending() ending[*sshConn] {
	return ending[*sshConn]{
		early: (*sshConn).idle,
		abort: func(c *sshConn) { c.close(errSSHShutdown) },
		stuck: (*sshConn).stuck,
	}
}
