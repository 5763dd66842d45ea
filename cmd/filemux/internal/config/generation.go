package config

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

// generation owns what one built configuration opened (its directories)
// and releases it once the configuration is retired, by a reload or a
// shutdown, and the last of its transfers ended: a reload never pulls a
// directory from under an upload about to commit.
type generation struct {
	mu      sync.Mutex
	active  int
	retired bool
	closed  bool
	closers []io.Closer
	err     error
}

func (g *generation) own(c io.Closer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closers = append(g.closers, c)
}

func (g *generation) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active++
}

func (g *generation) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	g.release()
}

// retire releases the resources now, or when the last transfer ends.
func (g *generation) retire() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.retired = true
	g.release()
}

// release closes everything once retired and idle. The caller holds g.mu.
func (g *generation) release() {
	if !g.retired || g.active > 0 || g.closed {
		return
	}
	g.closed = true
	var errs []error
	for _, c := range g.closers {
		errs = append(errs, c.Close())
	}
	g.err = errors.Join(errs...)
}

// track counts the transfers of h in g, from Open to their ending.
func track(h behaviour.Handler, g *generation) behaviour.Handler {
	o := handlers.Observe(h, handlers.Hooks{OnEnd: func(handlers.Outcome) { g.leave() }})
	return tracked{Handler: o, g: g, PassMutations: behaviour.PassMutations{Next: o}}
}

// tracked counts a transfer in before its Open; the observer it wraps
// counts it out once, at its ending or failed Open. Every change passes
// through to it.
type tracked struct {
	behaviour.Handler
	g *generation
	behaviour.PassMutations
}

func (t tracked) Open(ctx context.Context, tr *behaviour.Transfer) error {
	t.g.enter()
	return t.Handler.Open(ctx, tr)
}

func (t tracked) Unwrap() behaviour.Handler { return t.Handler }
