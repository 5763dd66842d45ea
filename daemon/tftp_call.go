package daemon

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// maxZeroReads is how many (0, nil) answers of Read in a row the daemon
// tolerates before it calls the handler stuck.
const maxZeroReads = 100

// watchdog times the handler call of one transfer. One timer serves every
// call of the transfer, so that a block costs a Reset and a Stop, not a
// goroutine.
type watchdog struct {
	mu       sync.Mutex
	timer    *time.Timer
	limit    time.Duration
	deadline time.Time
	inCall   bool
}

func (w *watchdog) setLimit(d time.Duration) {
	w.mu.Lock()
	w.limit = d
	w.mu.Unlock()
}

// busy reports whether a call runs.
func (w *watchdog) busy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.inCall
}

// guarded runs one handler call of x under the watchdog: a call that
// outlives its limit gets the transfer killed (the peer answered at once,
// the context cancelled). A panic becomes an undefined error, logged with
// its stack.
func (x *transfer) guarded(what string, call func() error) (err error) {
	x.arm()
	defer func() {
		x.disarm()
		if r := recover(); r != nil {
			err = x.panicked(what, r)
		}
	}()
	return call()
}

func (x *transfer) arm() {
	w := &x.wd
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inCall = true
	w.deadline = time.Now().Add(w.limit)
	if w.timer == nil {
		w.timer = time.AfterFunc(w.limit, x.overrun)
	} else {
		w.timer.Reset(w.limit)
	}
}

func (x *transfer) disarm() {
	w := &x.wd
	w.mu.Lock()
	w.inCall = false
	w.timer.Stop()
	w.mu.Unlock()
}

// overrun runs on the timer's goroutine. A timer that fired for an earlier
// call (Stop came too late) finds the deadline not yet reached and does
// nothing.
func (x *transfer) overrun() {
	w := &x.wd
	w.mu.Lock()
	late := w.inCall && !time.Now().Before(w.deadline)
	limit := w.limit
	w.mu.Unlock()
	if late {
		x.s.cfg.log.Warn("tftp handler call overran", "peer", x.t.Peer, "file", x.t.Name, "limit", limit)
		x.kill(errSlowCall, false)
	}
}

func (x *transfer) panicked(what string, r any) error {
	x.s.cfg.log.Error("tftp handler panicked", "call", what, "peer", x.t.Peer, "file", x.t.Name,
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	return &behaviour.Error{Code: behaviour.CodeUndefined, Message: "internal error",
		Err: fmt.Errorf("daemon: handler %s panicked: %v", what, r)}
}

// abortOnce calls abort unless the handler had its ending or was aborted
// already: Abort runs at most once per transfer.
func (x *transfer) abortOnce(cause error) {
	if x.opened && !x.ended.Load() && x.aborted.CompareAndSwap(false, true) {
		x.abort(cause)
	}
}

// abort calls the handler's Abort, containing a panic. It is not timed:
// nothing of the transfer is left to cancel.
func (x *transfer) abort(cause error) {
	defer func() {
		if r := recover(); r != nil {
			x.panicked("Abort", r)
		}
	}()
	x.s.cfg.handler.Abort(&x.t, cause)
}

// source is the engine's view of a read transfer: the handler's Read under
// the watchdog, counted and capped at MaxSize.
type source struct {
	x     *transfer
	zeros int
	// ahead holds what the handler gave beyond the block the engine asked
	// for: one guarded handler call per readAhead bytes instead of one per
	// block. ahead[next:] is still to be sent; eof says the handler ended.
	ahead []byte
	next  int
	eof   bool
}

// readAhead is how much a read transfer asks its handler for at once when
// blocks are smaller: the handler call and its watchdog cost about as much
// as sending a small block.
const readAhead = 32 << 10

// Read gives the engine the next bytes of the file, from the read-ahead
// buffer or, for blocks of readAhead bytes or more, straight from the
// handler.
func (s *source) Read(p []byte) (int, error) {
	if s.next == len(s.ahead) {
		if s.eof {
			return 0, io.EOF
		}
		if len(p) >= readAhead || len(p) == 0 {
			return s.readHandler(p)
		}
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.ahead[s.next:])
	s.next += n
	return n, nil
}

// fill reads the handler into the read-ahead buffer.
func (s *source) fill() error {
	if cap(s.ahead) == 0 {
		s.ahead = make([]byte, readAhead)
	}
	n, err := s.readHandler(s.ahead[:readAhead])
	s.ahead, s.next = s.ahead[:n], 0
	if err == io.EOF {
		s.eof = true
		return nil
	}
	return err
}

// readHandler makes one guarded, accounted handler Read into p.
func (s *source) readHandler(p []byte) (int, error) {
	x := s.x
	if x.ended.Load() {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil // Read(t, nil) means something else to a handler
	}
	var n int
	var rerr error
	err := x.guarded("Read", func() error {
		n, rerr = x.s.cfg.handler.Read(&x.t, p)
		return nil
	})
	if k := x.alive(); k != nil {
		if err == nil && errors.Is(rerr, io.EOF) {
			x.ended.Store(true) // a late ending is still the ending: no Abort after it
		}
		return 0, k
	}
	if err != nil {
		return 0, err
	}
	return s.account(n, rerr, len(p))
}

func (s *source) account(n int, err error, max int) (int, error) {
	x := s.x
	if n < 0 || n > max {
		return 0, errBadCount
	}
	if total := x.bytes.Add(int64(n)); x.s.cfg.maxSize > 0 && total > x.s.cfg.maxSize {
		return 0, errTooLarge
	}
	switch {
	case errors.Is(err, io.EOF):
		x.ended.Store(true)
		return n, io.EOF
	case err != nil:
		return 0, err
	case n > 0:
		s.zeros = 0
	default:
		if s.zeros++; s.zeros >= maxZeroReads {
			return 0, errNoProgress
		}
	}
	return n, nil
}

// sink is the engine's view of a write transfer: the handler's Write under
// the watchdog, counted and capped at MaxSize.
type sink struct{ x *transfer }

func (k sink) Write(p []byte, last bool) error {
	err := k.write(p, last)
	if err != nil {
		// The engine sends ERROR as soon as this returns: the handler
		// cleans up first, so that a peer told of the failure finds
		// nothing of its upload left (not even a temporary file).
		k.x.abortOnce(err)
	}
	return err
}

func (k sink) write(p []byte, last bool) error {
	x := k.x
	if max := x.s.cfg.maxSize; max > 0 && x.bytes.Load()+int64(len(p)) > max {
		return errTooLarge
	}
	err := x.guarded("Write", func() error { return x.s.cfg.handler.Write(&x.t, p, last) })
	if err == nil {
		x.bytes.Add(int64(len(p)))
		if last {
			x.ended.Store(true) // even when late: no Abort after the commit
			x.s.committed(x)
		}
	}
	if k := x.alive(); k != nil {
		return k
	}
	return err
}
