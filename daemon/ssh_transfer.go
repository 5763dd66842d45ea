package daemon

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
)

// sshTransfer is one file opened over SFTP or SCP, from Open to its single
// ending. It makes every handler call through the driver, serialises the
// sequential calls, counts the bytes and reports the outcome.
type sshTransfer struct {
	c      *sshConn
	h      behaviour.Handler
	t      behaviour.Transfer
	start  time.Time
	bytes  atomic.Int64
	cancel context.CancelFunc
	d      *drive.Driver

	mu   sync.Mutex // serialises the handler calls of the transfer
	done bool       // finish ran
}

// newTransfer cleans the requested name and prepares a transfer; a name
// CleanName refuses is refused before anything else.
func (c *sshConn) newTransfer(proto behaviour.Protocol, access behaviour.Access, requested string) (*sshTransfer, error) {
	t, err := c.newRequest(proto, access, requested)
	if err != nil {
		return nil, err
	}
	x := &sshTransfer{c: c, h: c.handler, t: *t, start: time.Now()}
	x.d = drive.New(x.h, &x.t, drive.Config{Panic: x.panicked, InCall: &c.inCall})
	return x, nil
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
		err = x.d.Open(ctx)
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

// call runs one call of the handler, its capabilities or the hooks through
// the driver, containing a panic.
func (x *sshTransfer) call(what string, fn func() error) error { return x.d.Call(what, fn) }

func (x *sshTransfer) panicked(what string, r any, stack []byte) {
	x.c.srv.cfg.log.Error("ssh handler panicked", "call", what, "peer", x.t.Peer, "user", x.t.User,
		"file", x.t.Name, "panic", fmt.Sprint(r), "stack", string(stack))
}

// read calls the handler's Read with a non-empty p. It returns io.EOF,
// with or without bytes, once the handler has had its ending.
func (x *sshTransfer) read(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.done {
		return 0, io.EOF
	}
	n, err := x.d.Read(p)
	x.bytes.Add(int64(n))
	return n, err
}

// endRead is the ending of a random-access read: Read(t, nil), which the
// handler answers with io.EOF.
func (x *sshTransfer) endRead() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.d.EndRead()
}

// readAt reads through the handler's io.ReaderAt; calls may overlap.
func (x *sshTransfer) readAt(ra io.ReaderAt, p []byte, off int64) (int, error) {
	n, err := x.d.ReadAt(ra, p, off)
	x.bytes.Add(int64(n))
	return n, err
}

// write calls the handler's Write; last commits.
func (x *sshTransfer) write(p []byte, last bool) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.d.Ended() || x.done {
		return errSSHLost
	}
	if m := x.c.srv.cfg.maxSize; m > 0 && x.bytes.Load()+int64(len(p)) > m {
		return errSSHTooLarge
	}
	err := x.d.Write(p, last)
	if err == nil {
		x.bytes.Add(int64(len(p)))
	}
	return err
}

// writeAt writes through the handler's io.WriterAt; calls may overlap.
func (x *sshTransfer) writeAt(wa io.WriterAt, p []byte, off int64) error {
	if m := x.c.srv.cfg.maxSize; m > 0 && off+int64(len(p)) > m {
		return errSSHTooLarge
	}
	n, err := x.d.WriteAt(wa, p, off)
	x.bytes.Add(int64(n))
	return err
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
	if cause != nil {
		x.d.Abort(cause)
	}
	x.mu.Unlock()
	x.c.srv.untrack(x)
	x.cancel()
	x.report(sshOutcome(cause), cause)
}
