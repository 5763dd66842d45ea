package handlers

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// httpEntry is one cached download of a known size, readable while its
// body still arrives: bytes below filled never change again, so readers
// copy them while the fetch writes further on.
type httpEntry struct {
	url     string // set by the cache
	size    int64
	modTime time.Time
	expires time.Time
	buf     []byte
	// file, when set, holds the bytes instead of buf: an unlinked file
	// of S3's disk cache, closed by its finalizer once no entry or reader
	// refers to it.
	file *os.File

	mu       sync.Mutex
	filled   int64
	err      error         // why the fetch failed
	progress chan struct{} // closed, and replaced, at each change
}

func newHTTPEntry(size int64, modTime, expires time.Time) *httpEntry {
	return &httpEntry{size: size, modTime: modTime, expires: expires, buf: make([]byte, size), progress: make(chan struct{})}
}

// fill copies body into the entry, then checks that it ended where its
// size said.
func (e *httpEntry) fill(call *originCall, body io.ReadCloser) error {
	defer call.end()
	defer body.Close()
	for e.filled < e.size {
		n, err := call.read(body, e.buf[e.filled:])
		e.grow(int64(n))
		switch {
		case err == io.EOF && e.filled < e.size:
			return e.fail(lengthError(e.filled, e.size))
		case err != nil && err != io.EOF:
			return e.fail(err)
		}
	}
	var extra [1]byte
	if n, err := call.read(body, extra[:]); n > 0 {
		return e.fail(lengthError(e.size+1, e.size))
	} else if err != nil && err != io.EOF {
		return e.fail(err)
	}
	return nil
}

func (e *httpEntry) grow(n int64) {
	if n == 0 {
		return
	}
	e.mu.Lock()
	e.filled += n
	e.signal()
	e.mu.Unlock()
}

func (e *httpEntry) fail(err error) error {
	e.mu.Lock()
	e.err = err
	e.signal()
	e.mu.Unlock()
	return err
}

// signal wakes the readers. The caller holds e.mu.
func (e *httpEntry) signal() {
	close(e.progress)
	e.progress = make(chan struct{})
}

// whole returns the entry's bytes when they are all in memory.
func (e *httpEntry) whole() ([]byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.file != nil || e.err != nil || e.filled != e.size || int64(len(e.buf)) < e.size {
		return nil, false
	}
	return e.buf[:e.size], true
}

func (e *httpEntry) failed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err != nil
}

// wait returns how many bytes are there once more than off are, or the
// whole file is, or the fetch failed, or ctx ended.
func (e *httpEntry) wait(ctx context.Context, off int64) (int64, error) {
	for {
		e.mu.Lock()
		filled, err, progress := e.filled, e.err, e.progress
		e.mu.Unlock()
		switch {
		case err != nil:
			return filled, err
		case filled > off || filled == e.size:
			return filled, nil
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return filled, behaviour.Classify(context.Cause(ctx))
		}
	}
}

// copyAt copies into p the bytes from off to end (at most len(p)), which
// the entry holds.
func (e *httpEntry) copyAt(p []byte, off, end int64) (int, error) {
	if e.file == nil {
		return copy(p, e.buf[off:end]), nil
	}
	want := min(int64(len(p)), end-off)
	n, err := e.file.ReadAt(p[:want], off)
	if int64(n) == want {
		return n, nil
	}
	return n, errStore.With(err)
}

// httpEntryReader is one transfer's read of a cached download. It offers
// random access, waiting for the bytes asked for to arrive.
type httpEntryReader struct {
	e   *httpEntry
	ctx context.Context
	off int64
}

func (r *httpEntryReader) read(p []byte) (int, error) {
	if len(p) == 0 || r.off >= r.e.size {
		return 0, io.EOF
	}
	filled, err := r.e.wait(r.ctx, r.off)
	if err != nil {
		return 0, err
	}
	n, err := r.e.copyAt(p, r.off, filled)
	if err != nil {
		return n, err
	}
	r.off += int64(n)
	if r.off == r.e.size {
		return n, io.EOF
	}
	return n, nil
}

var errHTTPOffset = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "negative offset"}

// ReadAt reads at off once the bytes are there.
func (r *httpEntryReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errHTTPOffset.With(errors.New("handlers: http: negative ReadAt offset"))
	}
	if off >= r.e.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), r.e.size)
	for {
		filled, err := r.e.wait(r.ctx, end-1)
		if err != nil {
			return 0, err
		}
		if filled >= end {
			n, err := r.e.copyAt(p, off, end)
			if err != nil {
				return n, err
			}
			if end == r.e.size && n < len(p) {
				return n, io.EOF
			}
			return n, nil
		}
	}
}
