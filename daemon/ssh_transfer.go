package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// sshMaxZeroReads is how many (0, nil) answers of Read in a row a transfer
// tolerates before it calls the handler stuck.
const sshMaxZeroReads = 100

// sshTransfer is one file opened over SFTP or SCP, from Open to its single
// ending. It contains every handler call (a panic becomes an error),
// serialises the sequential calls, counts the bytes and reports the
// outcome.
type sshTransfer struct {
	c      *sshConn
	h      behaviour.Handler
	t      behaviour.Transfer
	start  time.Time
	bytes  atomic.Int64
	cancel context.CancelFunc

	mu    sync.Mutex // serialises the handler calls of the transfer
	ended bool       // the handler had its ending: no Abort may follow
	done  bool       // finish ran
	zeros int        // (0, nil) Reads in a row
}

// newTransfer cleans the requested name and prepares a transfer; a name
// CleanName refuses is refused before anything else.
func (c *sshConn) newTransfer(proto behaviour.Protocol, access behaviour.Access, requested string) (*sshTransfer, error) {
	t, err := c.newRequest(proto, access, requested)
	if err != nil {
		return nil, err
	}
	return &sshTransfer{c: c, h: c.handler, t: *t, start: time.Now()}, nil
}

// newRequest returns the transfer of an operation on requested: the
// cleaned name and who asks.
func (c *sshConn) newRequest(proto behaviour.Protocol, access behaviour.Access, requested string) (*behaviour.Transfer, error) {
	name, err := c.srv.cfg.names.Clean(requested)
	if err != nil {
		return nil, err
	}
	t := &behaviour.Transfer{
		Protocol: proto, Access: access, RequestedName: requested, Name: name,
		Mode: behaviour.Octet, Peer: c.peer, Local: c.local, User: c.user,
	}
	t.SetContext(c.ctx)
	return t, nil
}

// open admits the transfer and asks OnRequest and the handler's Open.
func (x *sshTransfer) open() error {
	ctx, cancel := context.WithCancel(x.c.ctx)
	x.cancel = cancel
	x.t.SetContext(ctx)
	if err := x.c.srv.track(x); err != nil {
		cancel()
		return err
	}
	err := x.hookRequest()
	if err == nil {
		err = x.call("Open", func() error { return x.h.Open(ctx, &x.t) })
	}
	if err != nil {
		x.mu.Lock()
		x.done = true
		x.mu.Unlock()
		x.c.srv.untrack(x)
		cancel()
		x.report(OutcomeRefused, err)
	}
	return err
}

// call runs one handler call, containing a panic.
func (x *sshTransfer) call(what string, fn func() error) (err error) {
	x.c.inCall.Add(1)
	defer func() {
		x.c.inCall.Add(-1)
		if r := recover(); r != nil {
			err = x.panicked(what, r)
		}
	}()
	return fn()
}

func (x *sshTransfer) panicked(what string, r any) error {
	x.c.srv.cfg.log.Error("ssh handler panicked", "call", what, "peer", x.t.Peer, "user", x.t.User,
		"file", x.t.Name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	return &behaviour.Error{Code: behaviour.CodeUndefined, Message: "internal error",
		Err: fmt.Errorf("daemon: handler %s panicked: %v", what, r)}
}

// read calls the handler's Read with a non-empty p. It returns io.EOF,
// with or without bytes, once the handler has had its ending.
func (x *sshTransfer) read(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ended || x.done {
		return 0, io.EOF
	}
	var n int
	var rerr error
	if err := x.call("Read", func() error { n, rerr = x.h.Read(&x.t, p); return nil }); err != nil {
		return 0, err
	}
	if n < 0 || n > len(p) {
		return 0, errSSHBadCount
	}
	x.bytes.Add(int64(n))
	switch {
	case errors.Is(rerr, io.EOF):
		x.ended = true
		return n, io.EOF
	case rerr != nil:
		return 0, rerr
	case n > 0:
		x.zeros = 0
	default:
		if x.zeros++; x.zeros >= sshMaxZeroReads {
			return 0, errSSHNoProgress
		}
	}
	return n, nil
}

// endRead is the ending of a random-access read: Read(t, nil), which the
// handler answers with io.EOF.
func (x *sshTransfer) endRead() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ended {
		return nil
	}
	var rerr error
	if err := x.call("Read", func() error { _, rerr = x.h.Read(&x.t, nil); return nil }); err != nil {
		return err
	}
	switch {
	case errors.Is(rerr, io.EOF):
		x.ended = true
		return nil
	case rerr != nil:
		return rerr
	}
	return errSSHBadEnding
}

// readAt reads through the handler's io.ReaderAt; calls may overlap.
func (x *sshTransfer) readAt(ra io.ReaderAt, p []byte, off int64) (int, error) {
	var n int
	var rerr error
	if err := x.call("ReadAt", func() error { n, rerr = ra.ReadAt(p, off); return nil }); err != nil {
		return 0, err
	}
	if n < 0 || n > len(p) {
		return 0, errSSHBadCount
	}
	x.bytes.Add(int64(n))
	return n, rerr
}

// write calls the handler's Write; last commits.
func (x *sshTransfer) write(p []byte, last bool) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ended || x.done {
		return errSSHLost
	}
	if m := x.c.srv.cfg.maxSize; m > 0 && x.bytes.Load()+int64(len(p)) > m {
		return errSSHTooLarge
	}
	err := x.call("Write", func() error { return x.h.Write(&x.t, p, last) })
	if err == nil {
		x.bytes.Add(int64(len(p)))
		x.ended = last
	}
	return err
}

// writeAt writes through the handler's io.WriterAt; calls may overlap.
func (x *sshTransfer) writeAt(wa io.WriterAt, p []byte, off int64) error {
	if m := x.c.srv.cfg.maxSize; m > 0 && off+int64(len(p)) > m {
		return errSSHTooLarge
	}
	var n int
	var werr error
	if err := x.call("WriteAt", func() error { n, werr = wa.WriteAt(p, off); return nil }); err != nil {
		return err
	}
	x.bytes.Add(int64(max(n, 0)))
	if werr == nil && n != len(p) {
		werr = io.ErrShortWrite
	}
	return werr
}

// finish ends the transfer once: with a nil cause it succeeded (the
// handler had its ending); otherwise Abort runs, unless the handler already
// had its ending, and the failure is reported.
func (x *sshTransfer) finish(cause error) {
	x.mu.Lock()
	if x.done {
		x.mu.Unlock()
		return
	}
	x.done = true
	if cause != nil && !x.ended {
		_ = x.call("Abort", func() error { x.h.Abort(&x.t, cause); return nil })
	}
	x.mu.Unlock()
	x.c.srv.untrack(x)
	x.cancel()
	x.report(sshOutcome(cause), cause)
}
