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
	// errNoContent ends the kit's whole-content read of a handler that
	// offers none: the other reads check it.
	errNoContent = errors.New("behaviourtest: no whole content offered")
)

// read moves the file with Read calls, or with ReadAt when asked for and
// offered.
func (s *session) read() ([]byte, error) {
	if s.c.whole {
		if c, ok := s.d.Content(); ok {
			return s.readWhole(c)
		}
		var offered behaviour.Content
		var ok bool
		if !s.protect("Content", func() { offered, ok = behaviour.ContentOf(s.h, s.t) }) && ok {
			size, known := s.t.Size()
			s.violate(RuleContent, "offered a whole content that breaks behaviour.Content's rules: file %v, %d bytes, size %d (known %v)",
				offered.File != nil, len(offered.Bytes), size, known)
			return nil, s.abort(errNoContent)
		}
		if s.c.wholeOnly {
			return nil, s.abort(errNoContent)
		}
	}
	if s.c.random {
		if ra, ok := s.readerAt(); ok {
			return s.readAt(ra)
		} else if s.ended {
			return nil, errPanicked
		}
	}
	return s.readSeq()
}

// readWhole takes the whole content as an engine that sends it would,
// tells the handler it was sent, and ends the read with Read(t, nil)
// through the driver.
func (s *session) readWhole(c *drive.Content) ([]byte, error) {
	size, _ := s.t.Size() // known: the driver offers no content otherwise
	if size > s.c.maxSize {
		s.violate(RuleTooLong, "Open set size %d, over the limit %d", size, s.c.maxSize)
		return nil, s.abort(errTooLong)
	}
	out := append([]byte(nil), c.Bytes()...)
	if f := c.File(); f != nil {
		out = make([]byte, size)
		n, err := f.ReadAt(out, 0)
		if out = out[:n]; n < len(out) && err != nil && !errors.Is(err, io.EOF) {
			return out, s.abort(err)
		}
	}
	c.Sent(int64(len(out)))
	// The driver's ending tells the handler what was sent first.
	if err := s.d.EndRead(); err != nil {
		if errors.Is(err, drive.ErrBadEnding) {
			s.violate(RuleRandomAccess, "Read(t, nil) after the whole content did not answer io.EOF")
		}
		return out, s.abort(kitCause(err))
	}
	s.ended = true
	s.checkSize(int64(len(out)))
	return out, nil
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
