package handlers

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

// Hooks are the functions Observe calls. Nil fields are skipped.
type Hooks struct {
	// OnEnd is called exactly once for every transfer whose Open was
	// called, after the transfer's ending: a final Read or Write that
	// succeeded, an Abort, or a failed Open. It runs on the goroutine of
	// that last call, so a slow OnEnd delays the engine's answer to the
	// peer; hand long work to another goroutine.
	OnEnd func(Outcome)
}

// Outcome describes how one transfer ended.
type Outcome struct {
	// Transfer is the transfer that ended. Nothing calls the handler for it
	// any more; read it, do not keep changing it.
	Transfer *behaviour.Transfer
	// Err is nil when the transfer succeeded; otherwise the error of the
	// failed Open, or the cause Abort was given.
	Err error
	// Code is the protocol code of Err (behaviour.Classify), zero on success.
	Code behaviour.Code
	// Opened reports whether Open succeeded.
	Opened bool
	// Bytes is the number of bytes moved: read by the engine, or accepted
	// from it, sequentially or with random access.
	Bytes int64
	// Duration runs from the start of Open to the ending.
	Duration time.Duration
}

// OK reports whether the transfer succeeded.
func (o Outcome) OK() bool { return o.Err == nil }

// errHookAborted stands for the cause of an Abort called with a nil error.
var errHookAborted = errors.New("transfer aborted")

// Observe returns a Handler that serves what h serves and calls hooks as
// transfers end, to count, log or act on a completed upload (a device
// pushed its config). Capability checks see through it: Unwrap for those
// that look, and every change (remove, rename, mkdir, rmdir, chmod,
// chtimes) is handed to h as behaviour.PassMutations does; random access
// is counted too, as Observe offers behaviour.RandomReader and
// RandomWriter wrapping those of h.
func Observe(h behaviour.Handler, hooks Hooks) behaviour.Handler {
	return &observer{h: h, hooks: hooks, PassMutations: behaviour.PassMutations{Next: h}}
}

// observer lets every change through to h (behaviour.PassMutations), and
// counts random writes itself.
type observer struct {
	h     behaviour.Handler
	hooks Hooks
	behaviour.PassMutations
}

// hookKey keys the state of a transfer; the pointer keeps stacked
// observers apart.
type hookKey struct{ o *observer }

type hookState struct {
	start time.Time
	bytes atomic.Int64
	ended atomic.Bool
}

// Unwrap returns the wrapped handler.
func (o *observer) Unwrap() behaviour.Handler { return o.h }

func (o *observer) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	return o.h.Prepare(ctx, t)
}

func (o *observer) Open(ctx context.Context, t *behaviour.Transfer) error {
	s := &hookState{start: time.Now()}
	t.SetValue(hookKey{o}, s)
	if err := o.h.Open(ctx, t); err != nil {
		o.end(t, s, err, false)
		return err
	}
	return nil
}

func (o *observer) state(t *behaviour.Transfer) *hookState {
	if s, ok := t.Value(hookKey{o}).(*hookState); ok {
		return s
	}
	s := &hookState{start: time.Now()}
	t.SetValue(hookKey{o}, s)
	return s
}

func (o *observer) Read(t *behaviour.Transfer, p []byte) (int, error) {
	s := o.state(t)
	n, err := s.count(o.h.Read(t, p))
	if err == io.EOF {
		o.end(t, s, nil, true)
	}
	return n, err
}

func (o *observer) Write(t *behaviour.Transfer, p []byte, last bool) error {
	s := o.state(t)
	err := o.h.Write(t, p, last)
	if err != nil {
		return err
	}
	s.bytes.Add(int64(len(p)))
	if last {
		o.end(t, s, nil, true)
	}
	return nil
}

// Abort passes the abort on, unless the transfer already ended here (a
// hook that panicked after a successful ending makes the engine abort).
func (o *observer) Abort(t *behaviour.Transfer, err error) {
	s := o.state(t)
	if s.ended.Load() {
		return
	}
	o.h.Abort(t, err)
	if err == nil {
		err = errHookAborted
	}
	o.end(t, s, err, true)
}

// end calls OnEnd once per transfer.
func (o *observer) end(t *behaviour.Transfer, s *hookState, err error, opened bool) {
	if s.ended.Swap(true) || o.hooks.OnEnd == nil {
		return
	}
	o.hooks.OnEnd(Outcome{
		Transfer: t,
		Err:      err,
		Code:     wire.TFTPCode(err),
		Opened:   opened,
		Bytes:    s.bytes.Load(),
		Duration: time.Since(s.start),
	})
}

// ReaderAt counts the bytes read through the random-access reader of h.
func (o *observer) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	r, ok := behaviour.ReaderAt(o.h, t)
	if !ok {
		return nil, false
	}
	return countingReaderAt{r, o.state(t)}, true
}

// Content lets the whole content of h through, counting the bytes the
// engine reports sent (behaviour.Content.Sent).
func (o *observer) Content(t *behaviour.Transfer) (behaviour.Content, bool) {
	c, ok := behaviour.ContentOf(o.h, t)
	if !ok {
		return behaviour.Content{}, false
	}
	s, inner := o.state(t), c.Sent
	c.Sent = func(n int64) {
		s.bytes.Add(n)
		if inner != nil {
			inner(n)
		}
	}
	return c, true
}

// WriterAt counts the bytes written through the random-access writer of h.
func (o *observer) WriterAt(t *behaviour.Transfer) (io.WriterAt, bool) {
	w, ok := behaviour.WriterAt(o.h, t)
	if !ok {
		return nil, false
	}
	return countingWriterAt{w, o.state(t)}, true
}

// count adds the n bytes a call moved, and passes its results on.
func (s *hookState) count(n int, err error) (int, error) {
	s.bytes.Add(int64(n))
	return n, err
}

type countingReaderAt struct {
	r io.ReaderAt
	s *hookState
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	return c.s.count(c.r.ReadAt(p, off))
}

type countingWriterAt struct {
	w io.WriterAt
	s *hookState
}

func (c countingWriterAt) WriteAt(p []byte, off int64) (int, error) {
	return c.s.count(c.w.WriteAt(p, off))
}
