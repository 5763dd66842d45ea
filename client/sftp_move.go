package client

import (
	"context"
	"errors"
	"fmt"
	"github.com/filemux/filemux/behaviour"
	"io"
	"os"
)

// byteRange is the part of a file a download moves: from start up to end,
// exclusive; end < 0 means to the end of the file.
type byteRange struct{ start, end int64 }

var wholeFile = byteRange{0, -1}

// length is the number of bytes the range covers in a file of the given
// size, or -1 when the size is unknown (-1).
func (r byteRange) length(size int64) int64 {
	if size < 0 {
		return -1
	}
	end := size
	if r.end >= 0 {
		end = min(r.end, size)
	}
	return max(end-r.start, 0)
}

// placement says where an upload goes: into a truncated remote file
// (truncate), or from an offset on into one created if missing, opened for
// appending when append is set (see ResumeFile).
type placement struct {
	at       int64
	truncate bool
	append   bool
}

var truncate = placement{truncate: true}

func writeAt(off int64) placement  { return placement{at: off} }
func appendAt(off int64) placement { return placement{at: off, append: true} }

func (p placement) flags() int {
	switch {
	case p.truncate:
		return os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	case p.append:
		return os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	return os.O_WRONLY | os.O_CREATE
}

// get downloads remote into the local side l: Prepare, then a connection.
func (s *SFTP) get(ctx context.Context, remote string, l local, r byteRange) (int64, error) {
	e := s.newEndpoint(ctx, behaviour.Read, l)
	if err := e.prepare(ctx); err != nil {
		return 0, s.fail("read", remote, err)
	}
	return s.run(ctx, "read", remote, func(x *session) (int64, error) {
		n, err := s.download(ctx, x, remote, e, r)
		e.finish(err)
		return n, err
	})
}

// download opens remote, then the local side (so that a missing remote
// file leaves nothing behind), copies with concurrent reads, checks the
// digest and commits.
func (s *SFTP) download(ctx context.Context, x *session, remote string, e *endpoint, r byteRange) (int64, error) {
	e.connected(x.conn)
	f, err := x.sftp.Open(remote)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	total := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		total = fi.Size()
	}
	total = r.length(total)
	if s.MaxSize > 0 && total > s.MaxSize {
		return 0, ErrTooLarge
	}
	e.t.SetSize(total)
	if err := e.open(ctx); err != nil {
		return 0, err
	}
	if _, err := f.Seek(r.start, io.SeekStart); err != nil {
		return 0, err
	}
	m := &meter{progress: s.Progress, p: Progress{Access: behaviour.Read, Remote: remote, Total: total}, verify: newVerifier(s.Verify), idle: x.idle}
	m.report()
	w := &meteredWriter{w: e, m: m, max: s.MaxSize, left: -1}
	if r.end >= 0 {
		w.left = max(r.end-r.start, 0)
	}
	n, err := f.WriteTo(w)
	if err != nil && !errors.Is(err, errRangeEnd) {
		return n, err
	}
	if n < total {
		// A server that sends less than asked for per request makes
		// pkg/sftp splice its short replies together.
		return n, fmt.Errorf("client: the server sent %d of the %d bytes it announced", n, total)
	}
	if m.verify != nil {
		if err := m.verify.check(); err != nil {
			return n, err
		}
	}
	return n, e.commit()
}

// put uploads the local side l to remote, placed as p says.
func (s *SFTP) put(ctx context.Context, remote string, l local, p placement) (int64, error) {
	e := s.newEndpoint(ctx, behaviour.Write, l)
	if err := e.prepare(ctx); err != nil {
		return 0, s.fail("write", remote, err)
	}
	return s.run(ctx, "write", remote, func(x *session) (int64, error) {
		return s.upload(ctx, x, remote, e, p)
	})
}

// upload opens the local side, then remote (a local side that cannot open
// leaves the remote file alone), and copies with concurrent writes.
func (s *SFTP) upload(ctx context.Context, x *session, remote string, e *endpoint, p placement) (n int64, err error) {
	defer func() { e.finish(err) }()
	e.connected(x.conn)
	if err := e.open(ctx); err != nil {
		return 0, err
	}
	f, err := x.sftp.OpenFile(remote, p.flags())
	if err != nil {
		return 0, err
	}
	if _, err := f.Seek(p.at, io.SeekStart); err != nil {
		f.Close()
		return 0, err
	}
	total, known := e.t.Size()
	if !known {
		total = -1
	}
	m := &meter{progress: s.Progress, p: Progress{Access: behaviour.Write, Remote: remote, Total: total}, idle: x.idle}
	m.report()
	// Concurrent whatever the size: pkg/sftp's ReadFrom writes a reader
	// of unknown size one request at a time.
	n, err = f.ReadFromWithConcurrency(&meteredReader{r: e, m: m}, x.chunking.concurrency)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// size returns the size r tells, or -1.
func size(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Len() int }:
		return int64(r.Len())
	case interface{ Size() int64 }:
		return r.Size()
	case interface{ Stat() (os.FileInfo, error) }:
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return -1
}

// meter counts bytes, feeds the digest and calls Progress.
type meter struct {
	progress func(Progress)
	p        Progress
	verify   *verifier
	idle     *watchdog
}

func (m *meter) add(p []byte) {
	m.p.Bytes += int64(len(p))
	m.idle.kick()
	if m.verify != nil {
		m.verify.write(p)
	}
	m.report()
}

func (m *meter) report() {
	if m.progress != nil {
		m.progress(m.p)
	}
}

type meteredWriter struct {
	w    io.Writer
	m    *meter
	max  int64 // 0: no limit
	left int64 // the bytes left in the range, or -1: no end
}

// errRangeEnd stops a download at the end of its byte range.
var errRangeEnd = errors.New("end of the byte range")

func (w *meteredWriter) Write(p []byte) (int, error) {
	var end error
	if w.left >= 0 && int64(len(p)) >= w.left {
		p, end = p[:w.left], errRangeEnd
	}
	if w.max > 0 && w.m.p.Bytes+int64(len(p)) > w.max {
		return 0, ErrTooLarge
	}
	n, err := w.w.Write(p)
	w.m.add(p[:n])
	if w.left >= 0 {
		w.left -= int64(n)
	}
	if err != nil {
		return n, err
	}
	return n, end
}

type meteredReader struct {
	r io.Reader
	m *meter
}

func (r *meteredReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.m.add(p[:n])
	if err != nil && err != io.EOF {
		err = onLocalSide(err)
	}
	return n, err
}
