package daemon

import (
	"container/list"
	"context"
	"errors"
	"net"
	"net/netip"
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

	// serving's mu guards the fields below too; its live sessions are the
	// transfers, and its done is closed when the read loop has ended.
	serving[*transfer]
	joins      map[joinKey]*transfer
	routes     map[netip.AddrPort]*transfer // single-port mode
	clients    map[netip.Addr]int           // counted transfers per peer address
	counted    int                          // transfers counted under MaxTransfers
	pending    list.List                    // unconfirmed transfers, oldest first
	pendingBy  map[netip.Addr]int           // unconfirmed transfers per peer address
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
	return serve(&d.run, pc, errServing, d, newServer)
}

func newServer(cfg *settings, pc net.PacketConn) *server {
	s := &server{
		cfg:        cfg,
		sock:       newSocket(pc),
		limiter:    newRateLimiter(cfg.rate, cfg.burst),
		serving:    newServing[*transfer](),
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
func (d *TFTP) Addr() netip.AddrPort { return d.run.addr() }

// Active returns a snapshot of the running transfers, oldest first.
func (d *TFTP) Active() []Stats { return d.run.active() }

func (s *server) local() netip.AddrPort { return s.sock.addr }

func (s *server) active() []Stats { return snapshots(&s.mu, s.live, (*transfer).snapshot) }

// Shutdown stops the daemon gracefully: new requests are refused with an
// ERROR at once, running transfers may finish until ctx is done, and those
// still running then are aborted (the peer gets an ERROR, the handler's
// Abort runs). Shutdown returns when every transfer has ended, except one
// whose handler call does not return: that transfer's peer has had its
// ERROR, and its Abort runs when the call returns. The listening socket is
// closed last. Shutdown returns nil when every transfer finished by itself,
// ctx's error when some had to be aborted.
func (d *TFTP) Shutdown(ctx context.Context) error { return d.run.shutdown(ctx) }

// Close stops the daemon at once: it is Shutdown with a context that is
// already done, and returns nil.
func (d *TFTP) Close() error { return d.run.close() }

// serve is the read loop: it hands every datagram to dispatch.
func (s *server) serve() error {
	defer close(s.done)
	defer s.cancel()
	s.armIdle()
	buf := make([]byte, maxDatagram)
	var pace retry
	for {
		n, peer, local, err := s.sock.read(buf)
		if err == nil {
			pace.reset()
			s.dispatch(buf[:n], peer, local)
			continue
		}
		if stop := s.stopReason(); stop != nil {
			return stop
		}
		if errors.Is(err, net.ErrClosed) {
			s.abortAll(s.ending())
			return err
		}
		pace.after(s.cfg.log, "tftp read failed", err)
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
	s.drain()
	err := s.serving.shutdown(ctx, s.ending())
	s.stop(ErrServerClosed)
	return err
}

// ending is how transfers end at a shutdown. A committed write has only its
// dally left: the file is in, so it need not hold the shutdown up (curl's
// timeout=6 makes a 12 s dally), and it is ended quietly with the rest.
func (s *server) ending() ending[*transfer] {
	return ending[*transfer]{
		left:  (*transfer).committed,
		abort: func(x *transfer) { x.kill(errShutdown, false) },
		stuck: (*transfer).stuck,
	}
}
