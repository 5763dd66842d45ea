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
}

func newGuard(tr tftp.Transport, maxFirst int) *guard { return &guard{tr: tr, maxFirst: maxFirst} }

func (g *guard) Send(b []byte) error {
	if g.silent.Load() {
		return errSilenced
	}
	if !g.heard {
		if g.sends >= g.maxFirst {
			return errNoAnswer
		}
		g.sends++
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
	n, err := g.tr.Recv(buf, deadline)
	if err == nil {
		g.heard = true
	}
	return n, err
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
