package daemon

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// poll calls done until it reports true or ctx is done, sleeping from 1 ms
// up to 50 ms between calls. Shutdown polls, as net/http does, so that
// transfers and connections carry no shutdown bookkeeping of their own.
func poll(ctx context.Context, done func() bool) error {
	tick := time.Millisecond
	for !done() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(tick):
		}
		tick = min(2*tick, 50*time.Millisecond)
	}
	return nil
}

// closeNow is Close for both servers: Shutdown with a context that is
// already done, whose own error is no failure of Close.
func closeNow(shutdown func(context.Context) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// run is what both servers' Serve runs: a server that serves, ends and
// shuts down.
type run interface {
	comparable
	serve() error
	ended() bool
	shutdown(ctx context.Context) error
	// local is the address the run serves on; active its running
	// transfers, oldest first.
	local() netip.AddrPort
	active() []Stats
}

// listenAndServe is both servers' ListenAndServe: it validates, listens on
// addr (fallback when empty) and serves.
func listenAndServe[L any](addr, fallback string, validate func() error, listen func(string) (L, error), serve func(L) error) error {
	if addr == "" {
		addr = fallback
	}
	if err := validate(); err != nil {
		return err
	}
	l, err := listen(addr)
	if err != nil {
		return err
	}
	return serve(l)
}

// listenTCP and listenUDP are the listen of SSH's and TFTP's ListenAndServe.
func listenTCP(addr string) (net.Listener, error)   { return net.Listen("tcp", addr) }
func listenUDP(addr string) (net.PacketConn, error) { return net.ListenPacket("udp", addr) }

// runs holds a server's current run of Serve, and whether Shutdown or Close
// has closed the server for good.
type runs[R run] struct {
	mu     sync.Mutex
	cur    R
	closed bool
}

// begin makes r the current run, unless the server is closed
// (ErrServerClosed) or a run still serves (busy).
func (h *runs[R]) begin(r R, busy error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var none R
	switch {
	case h.closed:
		return ErrServerClosed
	case h.cur != none && !h.cur.ended():
		return busy
	}
	h.cur = r
	return nil
}

// config is a server's configuration as Serve reads it: validate checks
// the fields, settings applies the defaults (and loads what the fields
// name).
type config[S any] interface {
	validate() error
	settings() (S, error)
}

// serve is both servers' Serve: it validates d, reads its settings, starts
// a run on c with them, makes it h's current run and serves it; or it
// closes c and returns why not.
func serve[C io.Closer, S any, R run](h *runs[R], c C, busy error, d config[S], start func(S, C) R) error {
	err := d.validate()
	var r R
	if err == nil {
		var cfg S
		if cfg, err = d.settings(); err == nil {
			r = start(cfg, c)
			err = h.begin(r, busy)
		}
	}
	if err != nil {
		c.Close()
		return err
	}
	return r.serve()
}

// current returns the current run, or the zero R before Serve.
func (h *runs[R]) current() R {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur
}

// addr returns the current run's address, or the zero AddrPort before
// Serve.
func (h *runs[R]) addr() netip.AddrPort {
	var none R
	if r := h.current(); r != none {
		return r.local()
	}
	return netip.AddrPort{}
}

// active returns the current run's running transfers, or nil before
// Serve.
func (h *runs[R]) active() []Stats {
	var none R
	if r := h.current(); r != none {
		return r.active()
	}
	return nil
}

// close is both servers' Close.
func (h *runs[R]) close() error { return closeNow(h.shutdown) }

// shutdown closes the server for good and shuts the current run down.
func (h *runs[R]) shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	r := h.cur
	h.mu.Unlock()
	var none R
	if r == none {
		return nil
	}
	return r.shutdown(ctx)
}
