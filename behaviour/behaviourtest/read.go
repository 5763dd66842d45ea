package behaviourtest

import (
	"errors"
	"io"
	"strconv"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

// maxZeroReads is how many (0, nil) answers in a row the driver tolerates
// before it calls the handler stuck, as io.ReadAll would spin forever.
const maxZeroReads = 100

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
	zeros := 0
	for {
		if err := s.t.Context().Err(); err != nil {
			return out, s.abort(err)
		}
		n, err, ok := s.readOnce(buf)
		if !ok {
			return out, s.abort(errPanicked)
		}
		if n < 0 || n > len(buf) {
			s.violate(RuleReadLength, "Read(p) with len(p) = %d returned n = %d", len(buf), n)
			return out, s.abort(errBadCount)
		}
		out = append(out, buf[:n]...)
		switch {
		case errors.Is(err, io.EOF):
			s.ended = true
			s.afterEOF(buf)
			s.checkSize(int64(len(out)))
			return out, nil
		case err != nil:
			return out, s.abort(err)
		case n > 0:
			zeros = 0
		default:
			if zeros++; zeros >= maxZeroReads {
				s.violate(RuleZeroRead, "Read returned (0, nil) %d times in a row", zeros)
				return out, s.abort(errStuck)
			}
		}
		if int64(len(out)) > s.c.maxSize {
			s.violate(RuleTooLong, "Read returned more than %d bytes without io.EOF", s.c.maxSize)
			return out, s.abort(errTooLong)
		}
	}
}

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
	func() {
		defer func() { _ = recover() }()
		n, _ = s.h.Read(s.t, buf)
	}()
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
