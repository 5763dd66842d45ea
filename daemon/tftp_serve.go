package daemon

import (
	"container/list"
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/filemux/filemux/internal/tftp"
)

// errServing is returned by Serve while the daemon already serves.
var errServing = errors.New("daemon: TFTP is already serving")

// server is one run of Serve: the listening socket and the transfers.
type server struct {
	cfg    *settings
	sock   *socket
	single bool // every transfer runs on the listening socket
	// guessable says a spoofer can guess a transfer's port (single port,
	// or a range handed out in turn): its peers are unproven.
	guessable bool
	ports     *portPool // PortRange only
	limiter   *rateLimiter
	ctx       context.Context // parent of every transfer's context
	cancel    context.CancelFunc
	done      chan struct{} // closed when the read loop has ended

	mu         sync.Mutex
	transfers  map[*transfer]struct{}
	joins      map[joinKey]*transfer
	routes     map[netip.AddrPort]*transfer // single-port mode
	clients    map[netip.Addr]int           // counted transfers per peer address
	counted    int                          // transfers counted under MaxTransfers
	pending    list.List                    // unconfirmed transfers, oldest first
	pendingBy  map[netip.Addr]int           // unconfirmed transfers per peer address
	draining   bool
	stopErr    error
	lastActive time.Time
	idleTimer  *time.Timer
}

// joinKey identifies the transfer a repeated request joins.
type joinKey struct {
	peer netip.AddrPort
	op   tftp.Opcode
	name string
}

// ListenAndServe listens on the UDP address d.ListenAddr (":69" when empty) and
// serves until Shutdown, Close or the idle timeout; see Serve.
func (d *TFTP) ListenAndServe() error {
	addr := d.ListenAddr
	if addr == "" {
		addr = defaultTFTPAddr
	}
	if err := d.validate(); err != nil {
		return err
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	return d.Serve(pc)
}

// Serve serves TFTP requests arriving on pc, which it closes when it
// returns. pc is normally a UDP socket, IPv4 or IPv6, bound to a specific or
// an unspecified address (replies then leave from the address each request
// arrived on). Any other net.PacketConn, such as an in-memory one, is served
// as with PortsSingle.
//
// Serve validates the configuration first and returns its errors. It
// returns ErrServerClosed after Shutdown or Close, ErrIdle after the idle
// timeout, and otherwise the error that ended reading from pc.
func (d *TFTP) Serve(pc net.PacketConn) error {
	cfg, err := d.settings()
	if err != nil {
		pc.Close()
		return err
	}
	s := newServer(cfg, pc)
	d.mu.Lock()
	switch {
	case d.closed:
		err = ErrServerClosed
	case d.srv != nil && !d.srv.ended():
		err = errServing
	default:
		d.srv = s
	}
	d.mu.Unlock()
	if err != nil {
		pc.Close()
		return err
	}
	return s.serve()
}

func newServer(cfg *settings, pc net.PacketConn) *server {
	s := &server{
		cfg:        cfg,
		sock:       newSocket(pc),
		limiter:    newRateLimiter(cfg.rate, cfg.burst),
		done:       make(chan struct{}),
		transfers:  make(map[*transfer]struct{}),
		joins:      make(map[joinKey]*transfer),
		routes:     make(map[netip.AddrPort]*transfer),
		clients:    make(map[netip.Addr]int),
		pendingBy:  make(map[netip.Addr]int),
		lastActive: time.Now(),
	}
	s.single = cfg.ports.kind == portSingle || s.sock.udp == nil
	if cfg.ports.kind == portRange && !s.single {
		s.ports = newPortPool(cfg.ports)
	}
	s.guessable = s.single || s.ports != nil
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Addr returns the address the daemon is bound to (with the port the
// system picked for port 0), or the zero AddrPort before Serve has started.
func (d *TFTP) Addr() netip.AddrPort {
	if s := d.server(); s != nil {
		return s.sock.addr
	}
	return netip.AddrPort{}
}

// Active returns a snapshot of the running transfers, oldest first.
func (d *TFTP) Active() []Stats {
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

// Shutdown stops the daemon gracefully: new requests are refused with an
// ERROR at once, running transfers may finish until ctx is done, and those
// still running then are aborted (the peer gets an ERROR, the handler's
// Abort runs). Shutdown returns when every transfer has ended, except one
// whose handler call does not return: that transfer's peer has had its
// ERROR, and its Abort runs when the call returns. The listening socket is
// closed last. Shutdown returns nil when every transfer finished by itself,
// ctx's error when some had to be aborted.
func (d *TFTP) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	s := d.srv
	d.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.shutdown(ctx)
}

// Close stops the daemon at once: it is Shutdown with a context that is
// already done, and returns nil.
func (d *TFTP) Close() error { return closeNow(d.Shutdown) }

func (d *TFTP) server() *server {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.srv
}

// serve is the read loop: it hands every datagram to dispatch.
func (s *server) serve() error {
	defer close(s.done)
	defer s.cancel()
	s.armIdle()
	buf := make([]byte, maxDatagram)
	var backoff time.Duration
	for {
		n, peer, local, err := s.sock.read(buf)
		if err == nil {
			backoff = 0
			s.dispatch(buf[:n], peer, local)
			continue
		}
		if stop := s.stopReason(); stop != nil {
			return stop
		}
		if errors.Is(err, net.ErrClosed) {
			s.abortAll()
			return err
		}
		// A transient error (ENOBUFS, a stale ICMP report) must not end the
		// daemon, nor spin it.
		backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
		s.cfg.log.Warn("tftp read failed", "err", err, "retry_in", backoff)
		time.Sleep(backoff)
	}
}

func (s *server) ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *server) stopReason() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopErr
}

// stop ends the read loop with reason, which Serve returns.
func (s *server) stop(reason error) {
	s.mu.Lock()
	if s.stopErr == nil {
		s.stopErr = reason
	}
	if s.idleTimer != nil {
		s.idleTimer.Stop()
	}
	s.mu.Unlock()
	_ = s.sock.close()
	<-s.done
}

func (s *server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	// A committed write has only its dally left: the file is in, so it
	// need not hold the shutdown up (curl's timeout=6 makes a 12 s dally).
	err := s.wait(ctx, (*transfer).committed)
	// Every transfer left is committed (ended quietly), or else the
	// deadline passed and the rest are aborted.
	s.killAll(errShutdown)
	_ = s.wait(context.Background(), (*transfer).stuck)
	s.stop(ErrServerClosed)
	return err
}

// abortAll ends every transfer after the socket failed.
func (s *server) abortAll() {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	s.killAll(errShutdown)
	_ = s.wait(context.Background(), (*transfer).stuck)
}

func (s *server) killAll(e error) {
	s.mu.Lock()
	list := make([]*transfer, 0, len(s.transfers))
	for x := range s.transfers {
		list = append(list, x)
	}
	s.mu.Unlock()
	for _, x := range list {
		x.kill(e, false)
	}
}

// wait polls until every transfer has ended or is one that may be left, or
// ctx is done.
func (s *server) wait(ctx context.Context, mayLeave func(*transfer) bool) error {
	return poll(ctx, func() bool { return s.settled(mayLeave) })
}

func (s *server) settled(mayLeave func(*transfer) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for x := range s.transfers {
		if !mayLeave(x) {
			return false
		}
	}
	return true
}
