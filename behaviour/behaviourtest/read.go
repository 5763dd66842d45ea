package behaviourtest

import (
	"errors"
	"io"
	"strconv"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
	"github.com/filemux/filemux/internal/wire"
)

var (
	errBadCount = errors.New("behaviourtest: Read returned a count outside 0..len(p)")
	errStuck    = errors.New("behaviourtest: Read made no progress")
	errTooLong  = errors.New("behaviourtest: read longer than the limit")
)

// read moves the file with Read calls, or with ReadAt when asked for and
// offered.
func (s *session) read() ([]byte, error) {
	if s.c.random {
		if ra, ok := s.readerAt(); ok {
			return s.readAt(ra)
		} else if s.ended {
			return nil, errPanicked
		}
	}
	return s.readSeq()
}

func (s *session) readSeq() ([]byte, error) {
	var out []byte
	buf := make([]byte, s.c.chunk)
	for {
		if err := s.t.Context().Err(); err != nil {
			return out, s.abort(err)
		}
		n, err := s.d.Read(buf)
		out = append(out, buf[:n]...)
		switch {
		case errors.Is(err, io.EOF):
			s.ended = true
			s.afterEOF(buf)
			s.checkSize(int64(len(out)))
			return out, nil
		case err != nil:
			return out, s.abort(s.readFailure(err))
		}
		if int64(len(out)) > s.c.maxSize {
			s.violate(RuleTooLong, "Read returned more than %d bytes without io.EOF", s.c.maxSize)
			return out, s.abort(errTooLong)
		}
	}
}

// readFailure reports the driver's failures of Read as violations and
// returns the kit's own error for them.
func (s *session) readFailure(err error) error {
	var ce *drive.CountError
	switch {
	case errors.As(err, &ce):
		s.violate(RuleReadLength, "Read(p) with len(p) = %d returned n = %d", ce.Len, ce.N)
		return errBadCount
	case errors.Is(err, drive.ErrNoProgress):
		s.violate(RuleZeroRead, "Read returned (0, nil) %d times in a row", drive.MaxZeroReads)
		return errStuck
	}
	return kitCause(err)
}

// readOnce is the Read of a random-access ending, Read(t, nil): the kit
// checks its count too, which the driver's EndRead does not return.
func (s *session) readOnce(p []byte) (n int, err error, ok bool) {
	panicked := s.protect("Read", func() { n, err = s.h.Read(s.t, p) })
	return n, err, !panicked
}

// afterEOF probes, when asked, whether Read keeps answering io.EOF: like
// testing/iotest.TestReader, it calls Read once more after the ending. Any
// error or panic is accepted there; only data is a violation.
func (s *session) afterEOF(buf []byte) {
	if !s.c.probeEOF {
		return
	}
	var n int
	_ = drive.Contain("Read", nil, func() error { n, _ = s.h.Read(s.t, buf); return nil })
	if n > 0 {
		s.violate(RuleDataAfterEOF, "Read returned %d bytes after io.EOF", n)
	}
}

// checkSize compares the size Open announced, through t.SetSize or a tsize
// option, with the bytes read.
func (s *session) checkSize(read int64) {
	if size, known := s.t.Size(); known && size != read {
		s.violate(RuleSize, "Open set size %d, Read returned %d bytes", size, read)
	}
	v, present := s.t.Options.Get(behaviour.OptTSize)
	if !present || v == "0" {
		return
	}
	if n, ok := wire.ParseDecimal(v); !ok || n != read {
		s.violate(RuleSize, "Open set option tsize=%s, Read returned %s bytes", v, strconv.FormatInt(read, 10))
	}
}

func (s *session) readerAt() (ra io.ReaderAt, ok bool) {
	if s.protect("ReaderAt", func() { ra, ok = behaviour.ReaderAt(s.h, s.t) }) {
		s.abort(errPanicked)
		return nil, false
	}
	return ra, ok
}
