package client

import (
	"io"
	"os"
)

// download opens remote, then the local side (so that a missing remote
// file leaves nothing behind), copies with concurrent reads, checks the
// digest and commits.
func (s *SFTP) download(x *session, remote string, open func() (io.Writer, error), commit func() error) (int64, error) {
	f, err := x.sftp.Open(remote)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	total := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		total = fi.Size()
	}
	if s.MaxSize > 0 && total > s.MaxSize {
		return 0, ErrTooLarge
	}
	w, err := open()
	if err != nil {
		return 0, onLocalSide(err)
	}
	m := &meter{s: s, p: Progress{Op: OpRead, Remote: remote, Total: total}, verify: newVerifier(s.Verify), idle: x.idle}
	m.report()
	n, err := f.WriteTo(&meteredWriter{w: w, m: m, max: s.MaxSize})
	if err != nil {
		return n, err
	}
	if m.verify != nil {
		if err := m.verify.check(); err != nil {
			return n, err
		}
	}
	if commit != nil {
		err = commit()
	}
	return n, err
}

// upload creates remote and copies r into it with concurrent writes.
func (s *SFTP) upload(x *session, remote string, r io.Reader) (int64, error) {
	total := size(r)
	f, err := x.sftp.OpenFile(remote, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return 0, err
	}
	m := &meter{s: s, p: Progress{Op: OpWrite, Remote: remote, Total: total}, idle: x.idle}
	m.report()
	var src io.Reader = &meteredReader{r: r, m: m}
	if total >= 0 {
		// A LimitedReader tells pkg/sftp the size, which it needs to
		// send writes concurrently.
		src = io.LimitReader(src, total)
	}
	n, err := f.ReadFrom(src)
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
	s      *SFTP
	p      Progress
	verify *verifier
	idle   *watchdog
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
	if m.s.Progress != nil {
		m.s.Progress(m.p)
	}
}

type meteredWriter struct {
	w   io.Writer
	m   *meter
	max int64 // 0: no limit
}

func (w *meteredWriter) Write(p []byte) (int, error) {
	if w.max > 0 && w.m.p.Bytes+int64(len(p)) > w.max {
		return 0, ErrTooLarge
	}
	n, err := w.w.Write(p)
	w.m.add(p[:n])
	return n, onLocalSide(err)
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
