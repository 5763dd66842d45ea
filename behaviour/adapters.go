package behaviour

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
)

var (
	errReadOnly  = &Error{Code: CodeAccessViolation, Message: "file is read-only"}
	errWriteOnly = &Error{Code: CodeAccessViolation, Message: "file is write-only"}
	errAborted   = errors.New("transfer aborted")
)

// Base is a Handler to embed: it accepts every option, opens everything, and
// refuses reads and writes with an access violation until the embedding type
// overrides Read or Write. Override Open to refuse the other direction early.
type Base struct{}

// Prepare accepts the suggested options unchanged.
func (Base) Prepare(context.Context, *Transfer) error { return nil }

// Open accepts the transfer and every option.
func (Base) Open(context.Context, *Transfer) error { return nil }

// Read refuses with an access violation.
func (Base) Read(*Transfer, []byte) (int, error) { return 0, errWriteOnly }

// Write refuses with an access violation.
func (Base) Write(*Transfer, []byte, bool) error { return errReadOnly }

// Abort does nothing.
func (Base) Abort(*Transfer, error) {}

// ReadFunc is a read-only Handler made of one function that returns the
// content of the file. When the reader reports its size (a Size() int64 or
// Len() int method, as bytes.Reader and strings.Reader have), the transfer's
// size is known; when it is an io.ReaderAt, random access is offered; when it
// is an io.Closer, it is closed at the ending. Writes are refused.
type ReadFunc func(ctx context.Context, t *Transfer) (io.Reader, error)

// Prepare accepts the suggested options unchanged.
func (f ReadFunc) Prepare(context.Context, *Transfer) error { return nil }

// Open refuses writes and calls f.
func (f ReadFunc) Open(ctx context.Context, t *Transfer) error {
	if t.Access != Read {
		return errReadOnly
	}
	r, err := f(ctx, t)
	if err != nil {
		return err
	}
	if r == nil {
		return &Error{Code: CodeUndefined, Message: genericMessage, Err: errors.New("ReadFunc returned a nil reader")}
	}
	setSizeOf(t, r)
	t.State = r
	return nil
}

func setSizeOf(t *Transfer, r any) {
	switch s := r.(type) {
	case interface{ Size() int64 }:
		t.SetSize(s.Size())
	case interface{ Len() int }:
		t.SetSize(int64(s.Len()))
	}
}

// Read reads from the function's reader; an empty p ends a random-access read.
func (f ReadFunc) Read(t *Transfer, p []byte) (int, error) { return readState(t, p) }

// readState reads the io.Reader in t.State, closing it at the end of the file.
func readState(t *Transfer, p []byte) (int, error) {
	r := t.State.(io.Reader)
	if len(p) == 0 {
		closeState(t)
		return 0, io.EOF
	}
	n, err := r.Read(p)
	if err == io.EOF {
		closeState(t)
	}
	return n, err
}

// Write refuses: a ReadFunc is read-only.
func (f ReadFunc) Write(*Transfer, []byte, bool) error { return errReadOnly }

// Abort closes the reader when it is an io.Closer.
func (f ReadFunc) Abort(t *Transfer, _ error) { closeState(t) }

func closeState(t *Transfer) {
	if c, ok := t.State.(io.Closer); ok {
		_ = c.Close()
	}
}

// WriteFunc is a write-only Handler made of one function that consumes the
// uploaded file from r as the data arrives. It runs in its own goroutine from
// Open on; the transfer commits when the function returns nil after reading
// to io.EOF (data arriving after it returned nil early is discarded), and it
// fails with the function's error otherwise. On Abort, r fails with the
// abort's cause and ctx is cancelled. The function must not modify t.
type WriteFunc func(ctx context.Context, t *Transfer, r io.Reader) error

type writeFuncState struct {
	pw     *io.PipeWriter
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	err    error // valid once done is closed
}

// Prepare accepts the suggested options unchanged.
func (f WriteFunc) Prepare(context.Context, *Transfer) error { return nil }

// Open refuses reads and starts f.
func (f WriteFunc) Open(_ context.Context, t *Transfer) error {
	if t.Access != Write {
		return errWriteOnly
	}
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	s := &writeFuncState{pw: pw, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = callWriteFunc(f, ctx, t, pr)
		// Fail the pipe with the function's error, or drain what comes
		// after an early nil return.
		if s.err != nil {
			pr.CloseWithError(s.err)
			return
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.State = s
	return nil
}

// errWriteFuncPanic is the error of a WriteFunc whose function panicked: it
// runs on its own goroutine, where no engine can recover it.
var errWriteFuncPanic = errors.New("behaviour: WriteFunc function panicked")

func callWriteFunc(f WriteFunc, ctx context.Context, t *Transfer, r io.Reader) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errWriteFuncPanic, p)
		}
	}()
	return f(ctx, t, r)
}

// Read refuses: a WriteFunc is write-only.
func (f WriteFunc) Read(*Transfer, []byte) (int, error) { return 0, errWriteOnly }

// Write hands p to the function; the last call waits for its result.
func (f WriteFunc) Write(t *Transfer, p []byte, last bool) error {
	s := t.State.(*writeFuncState)
	if len(p) > 0 {
		if _, err := s.pw.Write(p); err != nil {
			s.finish(err)
			return err
		}
	}
	if !last {
		return nil
	}
	return s.finish(nil)
}

// Abort fails the function's reader with err and waits for the function.
func (f WriteFunc) Abort(t *Transfer, err error) {
	if err == nil {
		err = errAborted
	}
	t.State.(*writeFuncState).finish(err)
}

// finish closes the pipe (with cause, or cleanly when cause is nil), waits
// for the function and returns its error. On failure the context is
// cancelled before the wait, since a function that is not reading r may be
// waiting for it.
func (s *writeFuncState) finish(cause error) error {
	s.once.Do(func() {
		s.pw.CloseWithError(cause)
		if cause != nil {
			s.cancel()
		}
		<-s.done
		s.cancel()
	})
	return s.err
}

// Bytes returns a read-only Handler that serves b as every file it is asked
// for, with a known size and random access. b must not change afterwards.
func Bytes(b []byte) Handler {
	return ReadFunc(func(context.Context, *Transfer) (io.Reader, error) {
		return bytes.NewReader(b), nil
	})
}

// FS returns a read-only Handler that serves the files of fsys by their
// cleaned names, with their sizes, random access when the files offer
// io.ReaderAt, and the Stater and Lister capabilities. Directories cannot be
// read; writes are refused.
func FS(fsys fs.FS) Handler { return fsHandler{fsys} }

type fsHandler struct{ fsys fs.FS }

var errNotRegular = &Error{Code: CodeAccessViolation, Message: "not a regular file"}

func (h fsHandler) Prepare(context.Context, *Transfer) error { return nil }

func (h fsHandler) Open(_ context.Context, t *Transfer) error {
	if t.Access != Read {
		return errReadOnly
	}
	f, err := h.fsys.Open(t.Name)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return errNotRegular
	}
	t.SetSize(fi.Size())
	t.State = f
	return nil
}

func (h fsHandler) Read(t *Transfer, p []byte) (int, error) { return readState(t, p) }

func (h fsHandler) Write(*Transfer, []byte, bool) error { return errReadOnly }

func (h fsHandler) Abort(t *Transfer, _ error) { closeState(t) }

func (h fsHandler) Stat(_ context.Context, t *Transfer) (fs.FileInfo, error) {
	return fs.Stat(h.fsys, t.Name)
}

func (h fsHandler) List(_ context.Context, t *Transfer) ([]fs.FileInfo, error) {
	entries, err := fs.ReadDir(h.fsys, t.Name)
	if err != nil {
		return nil, err
	}
	infos := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed while listing
		}
		infos = append(infos, fi)
	}
	return infos, nil
}
