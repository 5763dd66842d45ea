package client

import (
	"errors"
	"io"

	"github.com/filemux/filemux/behaviour"
)

// sink delivers a download to the local handler (a tftp.Sink): it counts the
// bytes, enforces MaxSize, feeds the digest and checks it before the final
// write, so that a mismatch commits nothing.
type sink struct{ x *transfer }

func (k sink) Write(p []byte, last bool) error {
	x := k.x
	x.bytes += int64(len(p))
	if m := x.s.c.MaxSize; m > 0 && x.bytes > m {
		return tooLarge()
	}
	if x.verify != nil {
		x.verify.write(p)
		if last {
			if err := x.verify.check(); err != nil {
				return err
			}
		}
	}
	if err := call("Write", func() error { return x.h.Write(&x.t, p, last) }); err != nil {
		return err
	}
	x.ended = last
	x.report()
	return nil
}

// maxZeroReads bounds the reads in a row that return neither data nor an
// error, so that a broken handler cannot spin the sender forever.
const maxZeroReads = 1000

var errNoProgress = &behaviour.Error{Code: behaviour.CodeUndefined, Err: io.ErrNoProgress}

// source reads an upload from the local handler (a tftp.Source).
type source struct{ x *transfer }

func (s source) Read(p []byte) (int, error) {
	x := s.x
	var n int
	err := call("Read", func() (err error) { n, err = x.h.Read(&x.t, p); return err })
	n = min(max(n, 0), len(p))
	x.bytes += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		x.ended = true
		err = io.EOF
	case err == nil && n == 0:
		if x.zeroReads++; x.zeroReads > maxZeroReads {
			return 0, errNoProgress
		}
	default:
		x.zeroReads = 0
	}
	if n > 0 || x.ended {
		x.report()
	}
	return n, err
}
