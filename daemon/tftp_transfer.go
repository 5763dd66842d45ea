package daemon

import (
	"container/list"
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
	"github.com/filemux/filemux/internal/tftp"
	"github.com/filemux/filemux/internal/wire"
)

// transfer is one admitted request, from its registration to its ending.
// Its fields are written by the transfer's own goroutine, apart from the
// atomics and the ones guarded by mu, which the read loop, the watchdog and
// Shutdown touch.
type transfer struct {
	s         *server
	req       tftp.Request
	suggested behaviour.Options // the peer's options after validation, as offered to Open
	t         behaviour.Transfer
	key       joinKey
	start     time.Time
	ctx       context.Context
	cancel    context.CancelCauseFunc
	g         *guard
	closeConn func() error // the transfer's own socket, nil in single-port mode
	d         *drive.Driver
	params    tftp.Params // as negotiated

	counted bool          // holds a place under the limits; guarded by s.mu
	pend    *list.Element // its entry among the unconfirmed; guarded by s.mu
	// unproven: nothing proves the peer receives (see TFTP's doc), so
	// the transfer runs under the unproven-peer bound.
	unproven bool
	// lateRefusal: the peer answered when no place was free (ERROR 3).
	lateRefusal bool
	killed      atomic.Pointer[behaviour.Error] // the daemon ended the transfer itself
	bytes       atomic.Int64                    // file bytes through the handler
	mu          sync.Mutex                      // guards accepted
	accept      behaviour.Options
	timer       *time.Timer // MaxDuration
}

func newTransfer(s *server, req tftp.Request, name string, suggested behaviour.Options, peer, local netip.AddrPort) *transfer {
	x := &transfer{s: s, req: req, suggested: suggested, start: time.Now()}
	x.t = behaviour.Transfer{
		Protocol:      behaviour.TFTP,
		Access:        behaviour.Read,
		RequestedName: req.Filename,
		Name:          name,
		Mode:          req.Mode,
		Peer:          peer,
		Local:         local,
	}
	if req.Op == tftp.OpWRQ {
		x.t.Access = behaviour.Write
		x.t.Flags = behaviour.FlagCreate | behaviour.FlagTruncate
	}
	if n, ok := tftp.UploadSize(req.Op, suggested); ok {
		x.t.SetSize(n)
	}
	x.ctx, x.cancel = context.WithCancelCause(s.ctx)
	x.t.SetContext(x.ctx)
	x.d = x.newDriver()
	return x
}

// run drives the transfer to its ending and reports it.
func (x *transfer) run() {
	if d := x.s.cfg.maxDuration; d > 0 {
		x.timer = time.AfterFunc(d, func() { x.kill(errTooLong, false) })
	}
	st, started, err := x.serve()
	if x.timer != nil {
		x.timer.Stop()
	}
	cause := x.cause(err)
	// A committed write stays reachable for its dally (in single-port mode
	// its peer's repeated final DATA must find it, not get ERROR 5); what
	// the peer of any other ending sends from now on is a stray.
	dally := cause == nil && x.req.Op == tftp.OpWRQ
	if !dally {
		x.s.detach(x)
	}
	if cause != nil {
		x.d.Abort(cause)
	}
	x.report(st, x.outcome(err, cause, started), cause)
	if dally {
		// Reported already; the peer may still repeat its final DATA if
		// our final ACK was lost.
		tftp.Dally(x.ctx, x.g, x.params, st)
	}
	x.release()
	x.s.remove(x)
	x.cancel(context.Canceled)
}

// serve runs the request through the hook, negotiation, Open and the
// engine. started reports whether the engine ran (it then sent its own
// ERROR on failure).
func (x *transfer) serve() (st tftp.Stats, started bool, err error) {
	if err := x.hookRequest(); err != nil {
		return st, false, x.fail(err)
	}
	x.t.Options = x.suggested.Clone()
	if err := x.open(); err != nil {
		return st, false, x.fail(err)
	}
	size, known := x.t.Size()
	if !known {
		size = -1
	}
	p, oack, err := tftp.Accept(x.req, x.suggested, x.t.Options, size, x.s.cfg.base)
	if err == nil && x.req.Op == tftp.OpRRQ && x.s.cfg.maxSize > 0 && size > x.s.cfg.maxSize {
		err = errTooLarge
	}
	if err != nil {
		return st, false, x.fail(err)
	}
	x.setAccepted(oack)
	x.d.SetLimit(2 * p.Timeout)
	p.SkipDally = true // run dallies after reporting the success
	x.params = p
	if x.req.Op == tftp.OpRRQ {
		st, err = tftp.ServeRead(x.ctx, x.g, p, oack, &source{x: x})
	} else {
		st, err = tftp.ServeWrite(x.ctx, x.g, p, oack, sink{x: x})
	}
	return st, true, err
}

func (x *transfer) open() error {
	if err := x.alive(); err != nil {
		return err
	}
	err := x.d.Open(x.ctx)
	if k := x.alive(); k != nil {
		return k
	}
	return err
}

// fail answers the peer with the ERROR for err, unless the daemon already
// gave its last word, and returns err.
func (x *transfer) fail(err error) error {
	x.s.detach(x) // what the peer sends after the ERROR is a stray
	if x.alive() == nil {
		x.g.last(tftp.AppendError(nil, wire.TFTPCode(err), behaviour.PeerMessage(err)))
	}
	return err
}

// alive returns the error the daemon killed the transfer with, or nil.
func (x *transfer) alive() error {
	if k := x.killed.Load(); k != nil {
		return k
	}
	return nil
}

// kill ends the transfer from outside its goroutine: the peer gets the
// ERROR for e at once (none when quiet), the engine is silenced and
// interrupted, and the handler's context is cancelled. The transfer's
// goroutine calls Abort once its current handler call has returned.
func (x *transfer) kill(e error, quiet bool) {
	if x.committed() {
		// Only the dally is left: end it without a word, the file is in.
		x.g.silence()
		x.g.Interrupt()
		return
	}
	be := behaviour.Classify(e)
	if !x.killed.CompareAndSwap(nil, be) {
		return
	}
	if quiet {
		x.g.silence()
	} else {
		x.g.last(tftp.AppendError(nil, be.Code, be.PeerMessage()))
	}
	x.cancel(be)
	x.g.Interrupt()
}

// supersede ends x because its peer sent a new request from the same port:
// quietly, since the peer has moved on and must not see an ERROR meant for
// the old transfer.
func (x *transfer) supersede() {
	x.s.detach(x)
	x.kill(errSuperseded, true)
}

// committed reports whether a write has been committed: its peer has sent
// the whole file, and only the dally remains.
func (x *transfer) committed() bool { return x.req.Op == tftp.OpWRQ && x.d.Ended() }

// cause is the error the transfer ended with: the daemon's own reason when
// it killed it, else the engine's or the handler's error. A committed write
// has succeeded whatever the dally met, unless the daemon had killed it
// before the commit returned.
func (x *transfer) cause(err error) error {
	if k := x.alive(); k != nil {
		return k
	}
	if x.committed() {
		return nil
	}
	if err == nil && x.d.Opened() && !x.d.Ended() {
		return errEngineEarly
	}
	return err
}

func (x *transfer) outcome(err, cause error, started bool) Outcome {
	if cause == nil {
		return OutcomeSuccess
	}
	// The daemon's own reasons compare by identity: behaviour.Error's Is
	// compares codes only.
	switch x.killed.Load() {
	case errShutdown:
		return OutcomeShutdown
	case errSlowCall, errTooLong, errShed:
		return OutcomeTimedOut
	case errSuperseded:
		return OutcomeFailed
	}
	switch {
	case x.lateRefusal:
		return OutcomeRefused
	case errors.Is(err, tftp.ErrDeclined):
		return OutcomeDeclined
	case errors.Is(err, tftp.ErrTimeout):
		return OutcomeTimedOut
	case !started:
		return OutcomeRefused
	}
	return OutcomeFailed
}

func (x *transfer) setAccepted(o behaviour.Options) {
	x.mu.Lock()
	x.accept = o
	x.mu.Unlock()
}

func (x *transfer) accepted() behaviour.Options {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.accept.Clone()
}

// release closes the transfer's socket.
func (x *transfer) release() {
	x.g.silence()
	if x.closeConn != nil {
		_ = x.closeConn()
	}
}

// stuck reports whether the transfer is inside a handler call. After the
// transfer was killed, that call is all that keeps it: Shutdown does not
// wait for it, since a handler may never return.
func (x *transfer) stuck() bool { return x.d.Busy() }
