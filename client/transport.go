package client

import (
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// transport carries one transfer's packets between the client's socket and
// the server (a tftp.Transport and tftp.Interrupter). The request goes to
// the server's well-known port; the first datagram back from the server's
// address fixes the server's transfer ID (RFC 1350 section 4), and from then
// on a datagram from any other address or port gets ERROR 5 and is
// otherwise ignored, so a stranger cannot disturb the transfer.
type transport struct {
	pc      *net.UDPConn
	peer    netip.AddrPort
	learned bool
	// deadline is the read deadline set last, so that an unchanged one
	// costs no system call.
	deadline    time.Time
	interrupted atomic.Bool
	unknownTID  []byte
	spin        *tftp.Spinner
	// midWindow limits polling to the datagrams after the first since the
	// last Send: inside a window, not in the server's pause after an ACK
	// (see transfer.tuneReceive). since counts those datagrams.
	midWindow bool
	since     int
	// sent counts the bytes sent since the last datagram received, for
	// the Spinner's budget (tftp.Spinner.RecvAfter).
	sent int
}

func newTransport(pc *net.UDPConn, server netip.AddrPort) *transport {
	return &transport{
		pc:         pc,
		peer:       server,
		unknownTID: tftp.AppendError(nil, behaviour.CodeUnknownTID, "unknown transfer ID"),
		spin:       tftp.NewSpinner(pc),
	}
}

// Send sends b to the server: to its transfer ID once known, to its
// well-known port before.
func (t *transport) Send(b []byte) error {
	t.since = 0
	t.sent += len(b)
	_, err := t.pc.WriteToUDPAddrPort(b, t.peer)
	return err
}

// Recv returns the next datagram from the server, answering strangers.
func (t *transport) Recv(buf []byte, deadline time.Time) (int, error) {
	for {
		n, from, err := t.next(buf, deadline)
		if err != nil {
			return 0, err
		}
		if t.accept(from) {
			return n, nil
		}
	}
}

// next returns the next datagram from anyone: polled for briefly when the
// Spinner allows, else read under the deadline.
func (t *transport) next(buf []byte, deadline time.Time) (int, netip.AddrPort, error) {
	if t.interrupted.Load() {
		return 0, netip.AddrPort{}, tftp.ErrInterrupted
	}
	if !t.midWindow || t.since > 0 {
		if n, from, ok := t.spin.RecvAfter(buf, deadline, t.sent); ok {
			t.since++
			t.sent = 0
			return n, from, nil
		}
	}
	if err := t.setDeadline(deadline); err != nil {
		return 0, netip.AddrPort{}, err
	}
	n, from, err := t.pc.ReadFromUDPAddrPort(buf)
	if err != nil && t.interrupted.Load() {
		err = tftp.ErrInterrupted
	}
	if err == nil {
		t.since++
		t.sent = 0
	}
	return n, unmap(from), err
}

func (t *transport) setDeadline(d time.Time) error {
	if t.interrupted.Load() {
		return tftp.ErrInterrupted
	}
	if d.Equal(t.deadline) {
		return nil
	}
	t.deadline = d
	if err := t.pc.SetReadDeadline(d); err != nil {
		return err
	}
	if t.interrupted.Load() { // Interrupt ran between the check and the new deadline
		return tftp.ErrInterrupted
	}
	return nil
}

// accept reports whether a datagram from from belongs to the transfer,
// learning the server's transfer ID from its first datagram.
func (t *transport) accept(from netip.AddrPort) bool {
	switch {
	case from == t.peer && t.learned:
		return true
	case !t.learned && from.Addr() == t.peer.Addr():
		t.peer, t.learned = from, true
		return true
	case t.learned && from.IsValid():
		_, _ = t.pc.WriteToUDPAddrPort(t.unknownTID, from)
	}
	// Before the server answered, a datagram from another address is
	// not answered: the client has no transfer ID to defend yet.
	return false
}

// Interrupt makes the current and every later Recv fail at once.
func (t *transport) Interrupt() {
	t.interrupted.Store(true)
	_ = t.pc.SetReadDeadline(time.Unix(1, 0))
}

// server returns the server's transfer address once learned.
func (t *transport) server() netip.AddrPort { return t.peer }

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
