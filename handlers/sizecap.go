package handlers

import (
	"context"
	"fmt"
	"io"

	"github.com/filemux/filemux/behaviour"
)

// SizeCap returns a Handler that limits every transfer through h to n bytes.
// A transfer whose size is known to be larger is refused at Open with disk
// full: an upload that announces it (t.Size, which engines set from TFTP's
// tsize, SCP's file record) before h sees it, a read whose size h sets after its Open. A
// transfer that grows past n fails with disk full at the Read, Write,
// ReadAt or WriteAt that crosses the limit, and the engine then aborts it.
// A negative n is taken as 0.
//
// Capability checks see through SizeCap (Unwrap, and remove, rename,
// mkdir, rmdir, chmod and chtimes go to h as behaviour.PassMutations
// hands them on), but random access is capped too: SizeCap offers
// behaviour.RandomReader and RandomWriter, wrapping those of h. It hides
// the whole content of h (behaviour.ContentOf), which an engine would send
// past the cap's checks: a read through SizeCap always goes through Read
// or ReadAt.
func SizeCap(h behaviour.Handler, n int64) behaviour.Handler {
	return &sizeCap{h: h, limit: max(n, 0), PassMutations: behaviour.PassMutations{Next: h}}
}

// sizeCap lets every change through to h (behaviour.PassMutations) and
// caps random writes itself.
type sizeCap struct {
	h     behaviour.Handler
	limit int64
	behaviour.PassMutations
}

// capKey keys the byte count of a transfer; the pointer keeps stacked caps
// apart.
type capKey struct{ c *sizeCap }

// capCount is the bytes a transfer has moved through Read or Write.
// innerEnded records that h had its ending (a final Read) although the
// transfer fails here, so that the Abort that follows stays away from h.
type capCount struct {
	n          int64
	innerEnded bool
}

func (c *sizeCap) tooBig(n int64) error {
	return behaviour.ErrDiskFull.With(fmt.Errorf("transfer of %d bytes exceeds the cap of %d", n, c.limit))
}

// Unwrap returns the wrapped handler.
func (c *sizeCap) Unwrap() behaviour.Handler { return c.h }

func (c *sizeCap) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	return c.h.Prepare(ctx, t)
}

func (c *sizeCap) Open(ctx context.Context, t *behaviour.Transfer) error {
	if n, ok := t.Size(); ok && n > c.limit {
		return c.tooBig(n)
	}
	if err := c.h.Open(ctx, t); err != nil {
		return err
	}
	if n, ok := t.Size(); ok && n > c.limit {
		err := c.tooBig(n)
		c.h.Abort(t, err)
		return err
	}
	t.SetValue(capKey{c}, &capCount{})
	return nil
}

func (c *sizeCap) count(t *behaviour.Transfer) *capCount {
	if n, ok := t.Value(capKey{c}).(*capCount); ok {
		return n
	}
	n := &capCount{}
	t.SetValue(capKey{c}, n)
	return n
}

func (c *sizeCap) Read(t *behaviour.Transfer, p []byte) (int, error) {
	n, err := c.h.Read(t, p)
	moved := c.count(t)
	if moved.n += int64(n); moved.n > c.limit {
		moved.innerEnded = err == io.EOF
		return 0, c.tooBig(moved.n)
	}
	return n, err
}

func (c *sizeCap) Write(t *behaviour.Transfer, p []byte, last bool) error {
	moved := c.count(t)
	if moved.n += int64(len(p)); moved.n > c.limit {
		return c.tooBig(moved.n)
	}
	return c.h.Write(t, p, last)
}

func (c *sizeCap) Abort(t *behaviour.Transfer, err error) {
	if !c.count(t).innerEnded {
		c.h.Abort(t, err)
	}
}

// ReaderAt caps the random-access reader of h: a read that finds data past
// the limit fails.
func (c *sizeCap) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	r, ok := behaviour.ReaderAt(c.h, t)
	if !ok {
		return nil, false
	}
	return cappedReaderAt{r, c}, true
}

// Content offers no content to send, whatever h offers: the cap checks
// every byte that moves.
func (c *sizeCap) Content(*behaviour.Transfer) (behaviour.Content, bool) {
	return behaviour.Content{}, false
}

// WriterAt caps the random-access writer of h: a write that would end past
// the limit fails before reaching h.
func (c *sizeCap) WriterAt(t *behaviour.Transfer) (io.WriterAt, bool) {
	w, ok := behaviour.WriterAt(c.h, t)
	if !ok {
		return nil, false
	}
	return cappedWriterAt{w, c}, true
}

type cappedReaderAt struct {
	r io.ReaderAt
	c *sizeCap
}

func (ra cappedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := ra.r.ReadAt(p, off)
	if end := off + int64(n); n > 0 && end > ra.c.limit {
		return 0, ra.c.tooBig(end)
	}
	return n, err
}

type cappedWriterAt struct {
	w io.WriterAt
	c *sizeCap
}

func (wa cappedWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if off > wa.c.limit || int64(len(p)) > wa.c.limit-off {
		return 0, wa.c.tooBig(off + int64(len(p)))
	}
	return wa.w.WriteAt(p, off)
}
