package daemon

import (
	"context"
	"errors"
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

// run is what both servers' Serve runs: a server that ends, shuts down and
// serves.
type run interface {
	comparable
	ended() bool
	shutdown(ctx context.Context) error
}

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

// current returns the current run, or the zero R before Serve.
func (h *runs[R]) current() R {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur
}

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
