package daemon

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/internal/tftp"
)

var (
	// errSilenced: the daemon already gave the peer its last word.
	errSilenced = errors.New("daemon: transfer already answered")
	// errNoAnswer: the first reply went out as often as allowed, unanswered.
	errNoAnswer = fmt.Errorf("daemon: the peer never answered the first reply: %w", tftp.ErrTimeout)
)

// guard wraps the Transport of one transfer. It bounds the resends of the
// first reply while the peer has not answered at all (a spoofed request
// must not turn the daemon into an amplifier), lets the daemon send the last
// word itself (watchdog, shutdown) and silence the engine afterwards, and
// passes Interrupt on.
//
// Send and Recv run on the transfer's goroutine (the engine's); last,
// silence and Interrupt may run on any.
type guard struct {
	tr       tftp.Transport
	silent   atomic.Bool
	maxFirst int // sends allowed before the peer's first datagram
	sends    int
	heard    bool
	// wait bounds each wait for the peer's first datagram: the daemon's
	// own timeout, not the one the peer asked for (up to 255 s), so that
	// an unanswered request ends within a few seconds.
	wait   time.Duration
	sentAt time.Time
	// confirm runs at the peer's first datagram that is not an ERROR; an
	// error from it ends the transfer, with that ERROR to the peer.
	confirm func() error
}

func newGuard(tr tftp.Transport, maxFirst int, wait time.Duration, confirm func() error) *guard {
	return &guard{tr: tr, maxFirst: maxFirst, wait: wait, confirm: confirm}
}

func (g *guard) Send(b []byte) error {
	if g.silent.Load() {
		return errSilenced
	}
	if !g.heard {
		if g.sends >= g.maxFirst {
			return errNoAnswer
		}
		g.sends++
		g.sentAt = time.Now()
	}
	return g.tr.Send(b)
}

// SendBatch sends a window with one call once the peer has answered;
// before that every datagram counts against the first-reply budget.
func (g *guard) SendBatch(bs [][]byte) error {
	b, ok := g.tr.(tftp.BatchSender)
	if !ok || !g.heard {
		for _, p := range bs {
			if err := g.Send(p); err != nil {
				return err
			}
		}
		return nil
	}
	if g.silent.Load() {
		return errSilenced
	}
	return b.SendBatch(bs)
}

func (g *guard) Recv(buf []byte, deadline time.Time) (int, error) {
	if g.heard {
		return g.tr.Recv(buf, deadline)
	}
	if own := g.sentAt.Add(g.wait); g.wait > 0 && (deadline.IsZero() || own.Before(deadline)) {
		deadline = own
	}
	n, err := g.tr.Recv(buf, deadline)
	if err != nil {
		return n, err
	}
	g.heard = true
	if g.confirm != nil && opcode(buf[:n]) != tftp.OpError {
		if err := g.confirm(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Interrupt ends the engine's current and later Recv calls.
func (g *guard) Interrupt() {
	if i, ok := g.tr.(tftp.Interrupter); ok {
		i.Interrupt()
	}
}

// last sends b, the final ERROR, unless the transfer is already silent, and
// silences it.
func (g *guard) last(b []byte) {
	if !g.silent.Swap(true) {
		_ = g.tr.Send(b)
	}
}

func (g *guard) silence() { g.silent.Store(true) }
