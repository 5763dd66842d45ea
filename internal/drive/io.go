package drive

import (
	"errors"
	"io"
)

// Read calls the handler's Read with p and checks its answer: a count
// outside 0..len(p) fails with ErrBadCount, MaxZeroReads (0, nil) answers
// in a row with ErrNoProgress, and any error but io.EOF comes with no
// bytes. io.EOF, with or without bytes, is the ending; Read returns (0,
// io.EOF) from then on. An empty p does not reach the handler, to whom
// Read(t, nil) means the ending of random access (see EndRead).
func (d *Driver) Read(p []byte) (int, error) {
	if d.ended.Load() {
		return 0, io.EOF
	}
	if err := d.failure(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := d.callN("Read", func() (int, error) { return d.h.Read(d.t, p) })
	n, err = d.count(n, err, len(p))
	return n, d.fail(err)
}

// callN makes a call that returns a count; a panic returns no bytes and
// the panic's error.
func (d *Driver) callN(call string, fn func() (int, error)) (int, error) {
	var n int
	var err error
	if perr := d.Call(call, func() error { n, err = fn(); return nil }); perr != nil {
		return 0, perr
	}
	return n, err
}

func (d *Driver) count(n int, err error, size int) (int, error) {
	switch {
	case n < 0 || n > size:
		return 0, badCount("Read", n, size)
	case errors.Is(err, io.EOF):
		d.ended.Store(true)
		return n, io.EOF
	case err != nil:
		return 0, err
	case n > 0:
		d.zeros = 0
	default:
		if d.zeros++; d.zeros >= MaxZeroReads {
			return 0, internal(ErrNoProgress)
		}
	}
	return n, nil
}

// EndRead is the ending of a random-access read, or of one whose content
// the engine sent whole (Content): Read(t, nil), which the handler must
// answer with io.EOF (ErrBadEnding otherwise). The bytes sent from a
// Content are told to the handler first.
func (d *Driver) EndRead() error {
	if d.ended.Load() {
		return nil
	}
	if err := d.failure(); err != nil {
		return err
	}
	if err := d.tellSent(); err != nil {
		return d.fail(err)
	}
	var rerr error
	err := d.Call("Read", func() error { _, rerr = d.h.Read(d.t, nil); return nil })
	switch {
	case err != nil:
	case errors.Is(rerr, io.EOF):
		d.ended.Store(true)
	case rerr != nil:
		err = rerr
	default:
		err = internal(ErrBadEnding)
	}
	return d.fail(err)
}

// Write calls the handler's Write; a nil answer to the last call is the
// ending (the commit).
func (d *Driver) Write(p []byte, last bool) error {
	if d.ended.Load() {
		return internal(ErrEnded)
	}
	if err := d.failure(); err != nil {
		return err
	}
	err := d.Call("Write", func() error { return d.h.Write(d.t, p, last) })
	if err == nil && last {
		d.ended.Store(true)
	}
	return d.fail(err)
}

// ReadAt reads through the handler's io.ReaderAt ra, failing a count
// outside 0..len(p) with ErrBadCount and (0, nil) with ErrNoProgress.
func (d *Driver) ReadAt(ra io.ReaderAt, p []byte, off int64) (int, error) {
	if d.over() {
		return 0, internal(ErrEnded)
	}
	n, rerr := d.callN("ReadAt", func() (int, error) { return ra.ReadAt(p, off) })
	switch {
	case n < 0 || n > len(p):
		return 0, badCount("ReadAt", n, len(p))
	case n == 0 && len(p) > 0 && rerr == nil:
		return 0, internal(ErrNoProgress)
	}
	return n, rerr
}

// WriteAt writes through the handler's io.WriterAt wa, failing a count
// outside 0..len(p) with ErrBadCount and a short write without an error
// with io.ErrShortWrite.
func (d *Driver) WriteAt(wa io.WriterAt, p []byte, off int64) (int, error) {
	if d.over() {
		return 0, internal(ErrEnded)
	}
	n, werr := d.callN("WriteAt", func() (int, error) { return wa.WriteAt(p, off) })
	switch {
	case n < 0 || n > len(p):
		return 0, badCount("WriteAt", n, len(p))
	case werr == nil && n < len(p):
		werr = io.ErrShortWrite
	}
	return n, werr
}
