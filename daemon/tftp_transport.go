package daemon

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/filemux/filemux/internal/tftp"
)

// open gives x its transport: a socket of its own on a random port or a
// port of the range, bound to the local address the request arrived on, or
// in single-port mode a queue fed by the read loop.
func (s *server) open(x *transfer) error {
	if s.single {
		x.g = s.newGuard(x, newPortTransport(s, x.t.Peer, x.t.Local.Addr()))
		return nil
	}
	var pc *net.UDPConn
	listen := func(port uint16) (err error) {
		pc, err = net.ListenUDP("udp", bindAddr(x.t.Local.Addr(), port))
		return err
	}
	if s.ports == nil {
		if err := listen(0); err != nil {
			return err
		}
		x.closeConn = pc.Close
	} else {
		port, err := s.ports.bind(listen)
		if err != nil {
			return err
		}
		x.closeConn = func() error {
			err := pc.Close()
			s.ports.release(port)
			return err
		}
	}
	x.g = s.newGuard(x, tftp.NewConnTransport(pc, x.t.Peer))
	return nil
}

func (s *server) newGuard(x *transfer, tr tftp.Transport) *guard {
	return newGuard(tr, s.cfg.firstSends, s.cfg.base.Timeout, func() error { return s.confirm(x) })
}

// bindAddr is the address of a transfer's socket: the request's local
// address when known, so that the reply comes from where the peer sent to.
func bindAddr(local netip.Addr, port uint16) *net.UDPAddr {
	if !local.IsValid() || local.IsUnspecified() {
		return &net.UDPAddr{Port: int(port)}
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, port))
}

// portTransport is a transfer's Transport in single-port mode: datagrams
// leave from the listening socket, and the read loop delivers the peer's
// datagrams into a bounded queue (a full queue drops, as a socket buffer
// would).
type portTransport struct {
	sock  *socket
	peer  netip.AddrPort
	from  netip.Addr
	in    chan []byte
	stop  chan struct{}
	once  sync.Once
	timer *time.Timer
}

func newPortTransport(s *server, peer netip.AddrPort, from netip.Addr) *portTransport {
	return &portTransport{
		sock: s.sock,
		peer: peer,
		from: from,
		in:   make(chan []byte, s.cfg.limits.MaxWindowSize+4),
		stop: make(chan struct{}),
	}
}

// deliver routes a datagram from the peer to its transfer; it reports false
// when no transfer of the peer runs.
func (s *server) deliver(b []byte, peer netip.AddrPort) bool {
	s.mu.Lock()
	x := s.routes[peer]
	s.mu.Unlock()
	if x == nil {
		return false
	}
	if t, ok := x.g.tr.(*portTransport); ok {
		select {
		case t.in <- append([]byte(nil), b...):
		default:
		}
	}
	return true
}

func (t *portTransport) Send(b []byte) error { return t.sock.write(b, t.peer, t.from) }

func (t *portTransport) Recv(buf []byte, deadline time.Time) (int, error) {
	select {
	case p := <-t.in:
		return copy(buf, p), nil
	case <-t.stop:
		return 0, tftp.ErrInterrupted
	default:
	}
	var expire <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
		if t.timer == nil {
			t.timer = time.NewTimer(d)
		} else {
			t.timer.Reset(d)
		}
		defer t.timer.Stop()
		expire = t.timer.C
	}
	select {
	case p := <-t.in:
		return copy(buf, p), nil
	case <-t.stop:
		return 0, tftp.ErrInterrupted
	case <-expire:
		return 0, os.ErrDeadlineExceeded
	}
}

// Interrupt ends the current and every later Recv.
func (t *portTransport) Interrupt() { t.once.Do(func() { close(t.stop) }) }
