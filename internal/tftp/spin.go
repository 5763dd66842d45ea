package tftp

import (
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"
)

// A lock-step transfer spends most of its time waiting for the peer's next
// packet, which on a LAN or loopback comes within tens of microseconds.
// Parking the goroutine and being woken by the network poller costs a
// context switch and a wake-up on another CPU each time, which in a virtual
// machine is more than the rest of the block's work: C servers and clients
// pay one wake-up, Go two. A Spinner instead polls the socket without
// blocking for a short budget before the transfer falls back to the poller.
//
// Spinning burns a CPU, so it is bounded three ways: only while at most
// GOMAXPROCS/2 transfers run in the process (so never on one CPU, and never
// in a storm of transfers, where the CPU is better spent on the others); a
// wait spins at most spinBudget; and a peer that keeps answering later than
// the budget (a real network, a slow client) is no longer spun for, except
// for a probe now and then.
//
// A wait for the answer to a window, or to a large block, is longer by the
// time the peer takes to copy what was sent: the budget grows by perKiB
// (about a copy into a file at 500 MB/s) per KiB sent since the last
// datagram received, up to maxSpinBudget. Our daemon against tftpd-hpa,
// curl in lock-step at blksize 65464 (24 rounds, median of the rounds'
// ratios): 1.02x with 50 us for every wait, 1.07x with 50 + 128 us.
const (
	spinBudget    = 50 * time.Microsecond
	perKiB        = 2 * time.Microsecond
	maxSpinBudget = 500 * time.Microsecond
)

// running counts the transfers of the process inside ServeRead and
// ServeWrite.
var running atomic.Int32

// track counts a transfer as running until the returned function is called.
func track() (done func()) {
	running.Add(1)
	return func() { running.Add(-1) }
}

// spinAllowed reports whether few enough transfers run for one to spin.
func spinAllowed() bool { return int(running.Load()) <= runtime.GOMAXPROCS(0)/2 }

// Spinner polls one UDP socket before a blocking read. The zero value and
// nil never spin. It is not safe for concurrent use.
type Spinner struct {
	raw *rawRecv
	// misses counts the spins in a row that timed out; skip is how many
	// waits are left before the next spin.
	misses, skip int
}

// NewSpinner returns a Spinner for pc, or nil where the system offers no
// non-blocking receive outside the poller.
func NewSpinner(pc *net.UDPConn) *Spinner {
	raw := newRawRecv(pc)
	if raw == nil {
		return nil
	}
	return &Spinner{raw: raw}
}

// Recv polls for a datagram until the spin budget or deadline runs out. ok
// is false when nothing came (or spinning is not allowed now): the caller
// then reads as usual.
func (s *Spinner) Recv(buf []byte, deadline time.Time) (n int, from netip.AddrPort, ok bool) {
	return s.RecvAfter(buf, deadline, 0)
}

// RecvAfter is Recv for the answer to sent bytes: the peer answers once it
// has taken them in, so the budget grows by perKiB for each KiB of them.
func (s *Spinner) RecvAfter(buf []byte, deadline time.Time, sent int) (n int, from netip.AddrPort, ok bool) {
	if s == nil || s.raw == nil || !spinAllowed() {
		return 0, netip.AddrPort{}, false
	}
	return s.spin(buf, deadline, min(spinBudget+time.Duration(sent>>10)*perKiB, maxSpinBudget))
}

// spin is RecvAfter without the process-wide limit.
func (s *Spinner) spin(buf []byte, deadline time.Time, budget time.Duration) (n int, from netip.AddrPort, ok bool) {
	if s.skip > 0 {
		s.skip--
		return 0, netip.AddrPort{}, false
	}
	until := time.Now().Add(budget)
	if !deadline.IsZero() && deadline.Before(until) {
		until = deadline
	}
	n, from, ok = s.raw.recv(buf, until)
	if ok {
		s.misses = 0
		return n, unmap(from), true
	}
	// Back off: after k misses in a row, skip 2^k waits (at most 1024).
	s.misses = min(s.misses+1, 10)
	s.skip = 1 << s.misses
	return 0, netip.AddrPort{}, false
}
