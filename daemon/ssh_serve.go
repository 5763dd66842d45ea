package daemon

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
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
	done   chan struct{} // closed when Serve may return

	// The defences against hostile load: the pre-auth budget, the
	// failed-login bans, the authenticated limits.
	preauth  *sshPreauth
	defender *sshDefender
	logins   *sshLogins

	mu        sync.Mutex
	conns     map[*sshConn]struct{}
	transfers map[*sshTransfer]struct{}
	draining  bool
}

// ListenAndServe listens on the TCP address d.ListenAddr (":22" when empty)
// and serves until Shutdown or Close; see Serve.
func (d *SSH) ListenAndServe() error {
	addr := d.ListenAddr
	if addr == "" {
		addr = defaultSSHAddr
	}
	if err := d.validate(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return d.Serve(ln)
}

// Serve serves SSH connections arriving on ln, which it closes when it
// returns. It validates the configuration, loads or generates the host keys
// and loads the authentication files first, and returns their errors.
//
// Serve returns ErrServerClosed after Shutdown or Close, once the
// connections have ended, and otherwise the error that ended accepting
// connections (after closing every connection).
func (d *SSH) Serve(ln net.Listener) error {
	cfg, err := d.settings()
	if err != nil {
		ln.Close()
		return err
	}
	s := newSSHServer(cfg, ln)
	d.mu.Lock()
	switch {
	case d.closed:
		err = ErrServerClosed
	case d.srv != nil && !d.srv.ended():
		err = errSSHServing
	default:
		d.srv = s
	}
	d.mu.Unlock()
	if err != nil {
		ln.Close()
		return err
	}
	return s.serve()
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
		done:      make(chan struct{}),
		conns:     make(map[*sshConn]struct{}),
		transfers: make(map[*sshTransfer]struct{}),
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	return s
}

// Addr returns the address the server listens on (with the port the
// system picked for port 0), or the zero AddrPort before Serve has started.
func (d *SSH) Addr() netip.AddrPort {
	if s := d.server(); s != nil {
		return s.addr
	}
	return netip.AddrPort{}
}

// Active returns a snapshot of the running transfers, oldest first.
func (d *SSH) Active() []Stats {
	s := d.server()
	if s == nil {
		return nil
	}
	s.mu.Lock()
	list := make([]Stats, 0, len(s.transfers))
	for x := range s.transfers {
		list = append(list, x.snapshot())
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b Stats) int { return a.Start.Compare(b.Start) })
	return list
}

// Shutdown stops the server gracefully: it stops accepting connections,
// refuses new transfers, closes every connection that has no transfer
// running and lets the others finish until ctx is done; it then closes
// those still open (their transfers are aborted, the handlers' Abort runs).
// Shutdown returns when every connection has ended, except one whose
// handler call does not return: its client is disconnected, and its Abort
// runs when the call returns. It returns nil when every transfer finished by
// itself, ctx's error when some had to be aborted.
func (d *SSH) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	s := d.srv
	d.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.shutdown(ctx)
}

// Close stops the server at once: it is Shutdown with a context that is
// already done, and returns nil.
func (d *SSH) Close() error { return closeNow(d.Shutdown) }

func (d *SSH) server() *sshServer {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.srv
}

// serve is the accept loop.
func (s *sshServer) serve() error {
	var backoff time.Duration
	for {
		nc, err := s.ln.Accept()
		if err == nil {
			backoff = 0
			s.admit(nc)
			continue
		}
		if s.isDraining() {
			<-s.done
			return ErrServerClosed
		}
		if !errors.Is(err, net.ErrClosed) && sshTransient(err) {
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.cfg.log.Warn("ssh accept failed", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
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

func (s *sshServer) ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *sshServer) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
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
	s.conns[c] = struct{}{}
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
	delete(s.conns, c)
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
	s.mu.Lock()
	already := s.draining
	s.draining = true
	s.mu.Unlock()
	if already {
		<-s.done
		return nil
	}
	s.ln.Close()
	err := s.drain(ctx)
	if err != nil {
		s.closeAll(errSSHShutdown, func(*sshConn) bool { return true })
		s.wait(context.Background(), (*sshConn).stuck)
	}
	s.stop()
	close(s.done)
	return err
}

// drain closes connections as they become idle until none is left or ctx
// is done.
func (s *sshServer) drain(ctx context.Context) error {
	return poll(ctx, func() bool {
		s.closeAll(errSSHShutdown, (*sshConn).idle)
		return s.settled(func(*sshConn) bool { return false })
	})
}

// fail ends every connection after the listener failed.
func (s *sshServer) fail() {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	s.closeAll(errSSHShutdown, func(*sshConn) bool { return true })
	s.wait(context.Background(), (*sshConn).stuck)
	s.stop()
	close(s.done)
}

// closeAll closes the connections that pick selects, with reason.
func (s *sshServer) closeAll(reason error, pick func(*sshConn) bool) {
	s.mu.Lock()
	list := make([]*sshConn, 0, len(s.conns))
	for c := range s.conns {
		if pick(c) {
			list = append(list, c)
		}
	}
	s.mu.Unlock()
	for _, c := range list {
		c.close(reason)
	}
}

// wait polls until every connection has ended or is one that may be left.
func (s *sshServer) wait(ctx context.Context, mayLeave func(*sshConn) bool) {
	_ = poll(ctx, func() bool { return s.settled(mayLeave) })
}

func (s *sshServer) settled(mayLeave func(*sshConn) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if !mayLeave(c) {
			return false
		}
	}
	return true
}
