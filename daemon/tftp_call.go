package daemon

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/filemux/filemux/internal/drive"
)

// newDriver drives the handler of x: a call that outlives twice the TFTP
// timeout gets the transfer killed (the peer answered at once, the
// context cancelled); a panic is logged with its stack.
func (x *transfer) newDriver() *drive.Driver {
	return drive.New(x.s.cfg.handler, &x.t, drive.Config{
		Panic: x.panicked, Limit: 2 * x.s.cfg.base.Timeout, Overrun: x.overrun,
	})
}

func (x *transfer) overrun(limit time.Duration) {
	x.s.cfg.log.Warn("tftp handler call overran", "peer", x.t.Peer, "file", x.t.Name, "limit", limit)
	x.kill(errSlowCall, false)
}

func (x *transfer) panicked(call string, r any, stack []byte) {
	x.s.cfg.log.Error("tftp handler panicked", "call", call, "peer", x.t.Peer, "file", x.t.Name,
		"panic", fmt.Sprint(r), "stack", string(stack))
}

// source is the engine's view of a read transfer: the handler's Read
// through the driver, counted and capped at MaxSize.
type source struct {
	x *transfer
	// ahead holds what the handler gave beyond the block the engine asked
	// for: one handler call per readAhead bytes instead of one per
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

// readHandler makes one handler Read into p and accounts for it.
func (s *source) readHandler(p []byte) (int, error) {
	x := s.x
	n, err := x.d.Read(p)
	if k := x.alive(); k != nil {
		return 0, k
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if total := x.bytes.Add(int64(n)); x.s.cfg.maxSize > 0 && total > x.s.cfg.maxSize {
		return 0, errTooLarge
	}
	return n, err
}

// sink is the engine's view of a write transfer: the handler's Write
// through the driver, counted and capped at MaxSize.
type sink struct{ x *transfer }

func (k sink) Write(p []byte, last bool) error {
	err := k.write(p, last)
	if err != nil {
		// The engine sends ERROR as soon as this returns: the handler
		// cleans up first, so that a peer told of the failure finds
		// nothing of its upload left (not even a temporary file).
		k.x.d.Abort(err)
	}
	return err
}

func (k sink) write(p []byte, last bool) error {
	x := k.x
	if max := x.s.cfg.maxSize; max > 0 && x.bytes.Load()+int64(len(p)) > max {
		return errTooLarge
	}
	err := x.d.Write(p, last)
	if err == nil {
		x.bytes.Add(int64(len(p)))
		if last {
			x.s.committed(x) // even when late: no Abort after the commit
		}
	}
	if k := x.alive(); k != nil {
		return k
	}
	return err
}

// errEngineEarly is the failure of a transfer whose engine returned before
// the handler's ending.
var errEngineEarly = errors.New("daemon: engine returned before the handler's ending")
