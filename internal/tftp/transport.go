package tftp

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// Transport carries the packets of one transfer to and from one peer.
// Implementations need not be safe for concurrent use by several goroutines,
// apart from Interrupt (see [Interrupter]).
type Transport interface {
	// Send sends one datagram to the peer. The engine reuses b after Send
	// returns.
	Send(b []byte) error
	// Recv waits until deadline for the next datagram from the peer, copies
	// it into buf and returns its length. It returns an error wrapping
	// os.ErrDeadlineExceeded when the deadline passes. Datagrams from anyone
	// else are the transport's business, never the engine's.
	Recv(buf []byte, deadline time.Time) (int, error)
}

// Interrupter is implemented by transports whose blocked Recv can be ended
// from another goroutine. The engine calls Interrupt when the context of a
// transfer is cancelled; every Recv after it must fail at once. A transport
// without it notices cancellation within one timeout.
type Interrupter interface {
	Interrupt()
}

// ErrInterrupted is returned by Recv after Interrupt.
var ErrInterrupted = errors.New("tftp: transport interrupted")

// ConnTransport is a Transport over a net.PacketConn of its own, the
// per-transfer socket of RFC 1350 (the socket's port is the transfer ID). A
// datagram from any other address or port is answered with ERROR 5 (unknown
// transfer ID) and otherwise ignored, so a stranger cannot disturb the
// transfer. When the PacketConn is a *net.UDPConn it uses the
// allocation-free netip paths. Send, unlike the other methods, may be
// called from another goroutine while the transfer runs (a daemon's final
// ERROR when it kills a transfer).
type ConnTransport struct {
	pc       net.PacketConn
	udp      *net.UDPConn
	peer     netip.AddrPort
	peerAddr net.Addr
	// learning is set while a client waits for the server's first
	// datagram: the first from the server's address fixes its port, the
	// server's transfer ID (see NewClientTransport).
	learning    bool
	deadline    time.Time
	interrupted atomic.Bool
	unknownTID  []byte
	batch       *mmsg
	spin        *Spinner
	// sent counts the bytes sent since the last datagram received, for
	// the Spinner's budget. It is atomic because a daemon may send a
	// final ERROR from another goroutine while the transfer runs.
	sent atomic.Int64
	// midWindow limits polling to the datagrams after the first since the
	// last Send (see PollMidWindow); since counts those datagrams.
	midWindow bool
	since     int
}

// NewConnTransport returns a Transport that exchanges datagrams with peer
// over pc. The caller keeps ownership of pc and closes it after the
// transfer; while the transfer runs the transport owns pc's read deadline
// (it remembers the last one it set).
func NewConnTransport(pc net.PacketConn, peer netip.AddrPort) *ConnTransport {
	peer = unmap(peer)
	t := &ConnTransport{pc: pc, peer: peer, peerAddr: net.UDPAddrFromAddrPort(peer)}
	t.udp, _ = pc.(*net.UDPConn)
	if t.udp != nil {
		if rc, err := t.udp.SyscallConn(); err == nil {
			t.batch = newMmsg(rc)
		}
		t.spin = NewSpinner(t.udp)
	}
	t.unknownTID = AppendError(nil, behaviour.CodeUnknownTID, "unknown transfer ID")
	return t
}

// NewClientTransport returns the Transport of a client's transfer with the
// server at server, its well-known address. The request goes there, and the
// first datagram back from the server's IP address fixes the server's
// transfer ID (RFC 1350 section 4): from then on datagrams come from and go
// to that address and port only, and a stranger is answered as Recv
// describes. Until then a datagram from another IP address is dropped
// unanswered, since the client has no transfer ID to defend yet.
func NewClientTransport(pc *net.UDPConn, server netip.AddrPort) *ConnTransport {
	t := NewConnTransport(pc, server)
	t.learning = true
	return t
}

// Peer returns the address and port datagrams are exchanged with: for a
// client's transport, the server's well-known address until Learned.
func (t *ConnTransport) Peer() netip.AddrPort { return t.peer }

// Learned reports whether the peer's transfer ID is known: always, except
// for a client's transport before the server's first datagram.
func (t *ConnTransport) Learned() bool { return !t.learning }

// PollMidWindow makes Recv poll (see Spinner) only for the datagrams after
// the first since the last Send: for a receiver of windows, whose datagrams
// follow each other within microseconds inside a window, while polling
// through the sender's pause after each ACK would take the CPU the sender
// needs. Call it before the transfer starts.
func (t *ConnTransport) PollMidWindow() { t.midWindow = true }

// Send sends b to the peer.
func (t *ConnTransport) Send(b []byte) error {
	t.sent.Add(int64(len(b)))
	if t.midWindow {
		t.since = 0
	}
	return t.write(b)
}

func (t *ConnTransport) write(b []byte) error {
	if t.udp != nil {
		_, err := t.udp.WriteToUDPAddrPort(b, t.peer)
		return err
	}
	_, err := t.pc.WriteTo(b, t.peerAddr)
	return err
}

// SendBatch sends bs to the peer in order, with one sendmmsg(2) where the
// system has it.
func (t *ConnTransport) SendBatch(bs [][]byte) error {
	n := 0
	for _, b := range bs {
		n += len(b)
	}
	t.sent.Add(int64(n))
	if t.midWindow {
		t.since = 0
	}
	if t.batch != nil {
		if ok, err := t.batch.send(bs, t.peer); ok {
			return err
		}
	}
	for _, b := range bs {
		if err := t.write(b); err != nil {
			return err
		}
	}
	return nil
}

// Recv returns the next datagram from the peer. A stranger's datagram gets
// ERROR 5, unless it is an ERROR itself (errors are never answered, so two
// confused peers cannot bounce them forever) or too short to be TFTP. The read deadline is set only when it changes, so that a sender
// that keeps one deadline for a whole window pays for it once.
func (t *ConnTransport) Recv(buf []byte, deadline time.Time) (int, error) {
	for {
		n, from, err := t.next(buf, deadline)
		if err != nil {
			return 0, err
		}
		if t.accept(from) {
			return n, nil
		}
		if !t.learning {
			t.answerStranger(from, buf[:n])
		}
	}
}

// next returns the next datagram from anyone: polled for briefly when the
// Spinner allows, else read under the deadline.
func (t *ConnTransport) next(buf []byte, deadline time.Time) (int, netip.AddrPort, error) {
	if t.interrupted.Load() {
		return 0, netip.AddrPort{}, ErrInterrupted
	}
	if !t.midWindow || t.since > 0 {
		if n, from, ok := t.spin.RecvAfter(buf, deadline, int(t.sent.Load())); ok {
			t.received()
			return n, from, nil
		}
	}
	if err := t.setDeadline(deadline); err != nil {
		return 0, netip.AddrPort{}, err
	}
	n, from, err := t.read(buf)
	if err == nil {
		t.received()
	}
	if err != nil && t.interrupted.Load() {
		err = ErrInterrupted
	}
	return n, from, err
}

// received counts a datagram read, for the poll's budget and PollMidWindow.
func (t *ConnTransport) received() {
	t.sent.Store(0)
	t.since++
}

func (t *ConnTransport) setDeadline(d time.Time) error {
	if t.interrupted.Load() {
		return ErrInterrupted
	}
	if d.Equal(t.deadline) {
		return nil
	}
	t.deadline = d
	if err := t.pc.SetReadDeadline(d); err != nil {
		return err
	}
	// Interrupt may have run between the check above and the new deadline.
	if t.interrupted.Load() {
		return ErrInterrupted
	}
	return nil
}

func (t *ConnTransport) read(buf []byte) (int, netip.AddrPort, error) {
	if t.udp != nil {
		n, from, err := t.udp.ReadFromUDPAddrPort(buf)
		return n, unmap(from), err
	}
	n, addr, err := t.pc.ReadFrom(buf)
	if err != nil {
		return n, netip.AddrPort{}, err
	}
	return n, addrPortOf(addr), nil
}

// accept reports whether a datagram from from belongs to the transfer; a
// client's transport learns the server's transfer ID from the first.
func (t *ConnTransport) accept(from netip.AddrPort) bool {
	if !t.learning {
		return from == t.peer
	}
	if from.Addr() != t.peer.Addr() {
		return false
	}
	t.learning = false
	t.peer, t.peerAddr = from, net.UDPAddrFromAddrPort(from)
	return true
}

// answerStranger sends ERROR 5 to a stranger, as Recv describes.
func (t *ConnTransport) answerStranger(from netip.AddrPort, b []byte) {
	if !from.IsValid() || len(b) < 4 || Opcode(binary.BigEndian.Uint16(b)) == OpError {
		return
	}
	if t.udp != nil {
		_, _ = t.udp.WriteToUDPAddrPort(t.unknownTID, from)
		return
	}
	_, _ = t.pc.WriteTo(t.unknownTID, net.UDPAddrFromAddrPort(from))
}

// Interrupt makes the current and every later Recv fail with ErrInterrupted.
// It is safe to call from any goroutine.
func (t *ConnTransport) Interrupt() {
	t.interrupted.Store(true)
	_ = t.pc.SetReadDeadline(time.Unix(1, 0))
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func addrPortOf(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		return unmap(u.AddrPort())
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return unmap(ap)
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
