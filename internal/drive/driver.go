package drive

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// Config is what an engine adds to the rules. The zero value sets no
// deadline and drops panics after turning them into errors.
type Config struct {
	// Panic receives every recovered panic, to log it.
	Panic PanicFunc
	// Limit bounds every call but Abort; Overrun is told, on a goroutine
	// of its own, when a call outlives it. A deadline needs both, and
	// expects the calls one at a time.
	Limit   time.Duration
	Overrun func(limit time.Duration)
	// InCall, when set, counts the calls running, for an engine that must
	// not idle out a connection while a handler works.
	InCall *atomic.Int32
}

// Driver makes the handler calls of one transfer. The sequential calls
// (Prepare, Open, Read, EndRead, Write) must come one at a time; ReadAt,
// WriteAt and Call may overlap when no deadline is set; Abort, Ended,
// Opened and Busy are safe from any goroutine.
type Driver struct {
	h   behaviour.Handler
	t   *behaviour.Transfer
	cfg Config
	wd  watchdog

	opened, ended, aborted atomic.Bool
	zeros                  int // (0, nil) Reads in a row

	mu      sync.Mutex
	err     error    // the first failure of a sequential call
	content *Content // what Content handed out, told of before the ending
}

// New returns the driver of transfer t through h.
func New(h behaviour.Handler, t *behaviour.Transfer, cfg Config) *Driver {
	d := &Driver{h: h, t: t, cfg: cfg}
	d.wd.limit, d.wd.overrun = cfg.Limit, cfg.Overrun
	return d
}

// SetLimit changes the deadline of the calls to come, as when a TFTP
// timeout was negotiated.
func (d *Driver) SetLimit(limit time.Duration) { d.wd.setLimit(limit) }

// Busy reports whether a timed call runs.
func (d *Driver) Busy() bool { return d.wd.busy() }

// Opened reports whether Open succeeded.
func (d *Driver) Opened() bool { return d.opened.Load() }

// Ended reports whether the handler had its ending (io.EOF read or
// commit): no Abort follows it.
func (d *Driver) Ended() bool { return d.ended.Load() }

// over reports whether the handler had its ending or its Abort: from then
// on no read or write reaches it, random ones (ReadAt, WriteAt) included,
// which engines may issue from goroutines of their own.
func (d *Driver) over() bool { return d.ended.Load() || d.aborted.Load() }

// Call runs fn, a call named call into the handler or one of its
// capabilities, under the deadline and with its panic contained.
func (d *Driver) Call(call string, fn func() error) error {
	d.wd.arm()
	defer d.wd.disarm()
	return d.contain(call, fn)
}

func (d *Driver) contain(call string, fn func() error) error {
	if d.cfg.InCall != nil {
		d.cfg.InCall.Add(1)
		defer d.cfg.InCall.Add(-1)
	}
	return Contain(call, d.cfg.Panic, fn)
}

// Prepare calls the handler's Prepare (client side).
func (d *Driver) Prepare(ctx context.Context) error {
	return d.Call("Prepare", func() error { return d.h.Prepare(ctx, d.t) })
}

// Open calls the handler's Open; from its success on, the transfer owes
// the handler one ending.
func (d *Driver) Open(ctx context.Context) error {
	err := d.Call("Open", func() error { return d.h.Open(ctx, d.t) })
	d.opened.Store(err == nil)
	return err
}

// Abort ends the transfer with the handler's Abort unless it was not
// opened, had its ending or was aborted already, and reports whether
// Abort ran. It is not timed: nothing of the transfer is left to cancel.
func (d *Driver) Abort(cause error) bool {
	if !d.opened.Load() || d.ended.Load() || !d.aborted.CompareAndSwap(false, true) {
		return false
	}
	_ = d.tellSent()
	_ = d.contain("Abort", func() error { d.h.Abort(d.t, cause); return nil })
	return true
}

// fail remembers the first failure of a sequential call: after it, only
// Abort reaches the handler.
func (d *Driver) fail(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		d.err = err
	}
	return err
}

// failure returns the first failure, or ErrEnded after an Abort.
func (d *Driver) failure() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil && d.aborted.Load() {
		return internal(ErrEnded)
	}
	return d.err
}
