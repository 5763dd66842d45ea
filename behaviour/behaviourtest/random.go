package behaviourtest

import (
	"errors"
	"io"
	"math/rand/v2"
	"sync"
)

// randomWorkers is how many goroutines issue ReadAt or WriteAt calls at once.
const randomWorkers = 4

var errRandomEnding = errors.New("behaviourtest: Read(t, nil) did not end the random-access read")

// piece is one ReadAt or WriteAt call: the bytes at offset off.
type piece struct {
	off int64
	p   []byte
}

// pieces cuts b into chunks and shuffles them, as SFTP requests arrive
// concurrently and out of order.
func (s *session) pieces(b []byte) []piece {
	var ps []piece
	for off := 0; off < len(b); off += s.c.chunk {
		ps = append(ps, piece{int64(off), b[off:min(off+s.c.chunk, len(b))]})
	}
	rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	return ps
}

// parallel runs do for every piece on randomWorkers goroutines and returns
// the first error.
func (s *session) parallel(ps []piece, do func(piece) error) error {
	ch := make(chan piece)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range randomWorkers {
		wg.Add(1)
		s.c.track.goTracked(owner{s.t.Access, s.t.RequestedName}, func() {
			defer wg.Done()
			for pc := range ch {
				if err := do(pc); err != nil {
					once.Do(func() { first = err })
				}
			}
		})
	}
	for _, pc := range ps {
		ch <- pc
	}
	close(ch)
	wg.Wait()
	return first
}

func (s *session) readAt(ra io.ReaderAt) ([]byte, error) {
	size, known := s.t.Size()
	if !known {
		return s.readAtSeq(ra)
	}
	if size > s.c.maxSize {
		s.violate(RuleTooLong, "Open set size %d, over the limit %d", size, s.c.maxSize)
		return nil, s.abort(errTooLong)
	}
	out := make([]byte, size)
	if err := s.parallel(s.pieces(out), func(pc piece) error { return s.readPiece(ra, pc, size) }); err != nil {
		return nil, s.abort(err)
	}
	s.readPastEnd(ra, size)
	return out, s.endRandomRead(size)
}

// readPiece reads one piece and checks the io.ReaderAt rules: a short read
// only with an error, io.EOF only at the end.
func (s *session) readPiece(ra io.ReaderAt, pc piece, size int64) error {
	var n int
	var err error
	if s.protect("ReadAt", func() { n, err = ra.ReadAt(pc.p, pc.off) }) {
		return errPanicked
	}
	switch {
	case n < 0 || n > len(pc.p):
		s.violate(RuleRandomAccess, "ReadAt(p, %d) with len(p) = %d returned n = %d", pc.off, len(pc.p), n)
		return errBadCount
	case n == len(pc.p) && (err == nil || errors.Is(err, io.EOF)):
		return nil
	case err == nil:
		s.violate(RuleRandomAccess, "ReadAt(p, %d) returned %d of %d bytes and a nil error", pc.off, n, len(pc.p))
		return errBadCount
	case errors.Is(err, io.EOF):
		s.violate(RuleSize, "ReadAt(p, %d) met io.EOF at %d, before the size %d Open set", pc.off, pc.off+int64(n), size)
		return err
	}
	return err
}

// readPastEnd checks that the file ends where Open said.
func (s *session) readPastEnd(ra io.ReaderAt, size int64) {
	var n int
	var err error
	p := make([]byte, 1)
	if s.protect("ReadAt", func() { n, err = ra.ReadAt(p, size) }) {
		return
	}
	if n > 0 {
		s.violate(RuleSize, "ReadAt returned data at offset %d, past the size Open set", size)
	} else if err == nil {
		s.violate(RuleRandomAccess, "ReadAt at the end (offset %d) returned (0, nil)", size)
	}
}

// readAtSeq reads a file of unknown size with ReadAt at growing offsets.
func (s *session) readAtSeq(ra io.ReaderAt) ([]byte, error) {
	var out []byte
	buf := make([]byte, s.c.chunk)
	for {
		var n int
		var err error
		if s.protect("ReadAt", func() { n, err = ra.ReadAt(buf, int64(len(out))) }) {
			return out, s.abort(errPanicked)
		}
		if n < 0 || n > len(buf) || (n < len(buf) && err == nil) {
			s.violate(RuleRandomAccess, "ReadAt(p, %d) with len(p) = %d returned (%d, %v)", len(out), len(buf), n, err)
			return out, s.abort(errBadCount)
		}
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, s.endRandomRead(int64(len(out)))
		}
		if err != nil {
			return out, s.abort(err)
		}
		if int64(len(out)) > s.c.maxSize {
			s.violate(RuleTooLong, "ReadAt returned more than %d bytes without io.EOF", s.c.maxSize)
			return out, s.abort(errTooLong)
		}
	}
}

// endRandomRead makes the ending of a random-access read, Read(t, nil),
// which the contract says answers (0, io.EOF).
func (s *session) endRandomRead(read int64) error {
	n, err, ok := s.readOnce(nil)
	if !ok {
		return s.abort(errPanicked)
	}
	if n != 0 || !errors.Is(err, io.EOF) {
		s.violate(RuleRandomAccess, "Read(t, nil) after random access returned (%d, %v), want (0, io.EOF)", n, err)
		if err == nil {
			err = errRandomEnding
		}
		if !errors.Is(err, io.EOF) {
			return s.abort(err)
		}
	}
	s.ended = true
	s.checkSize(read)
	return nil
}

func (s *session) writeAt(wa io.WriterAt, data []byte) error {
	buf := append([]byte(nil), data...)
	err := s.parallel(s.pieces(buf), func(pc piece) error {
		var n int
		var err error
		if s.protect("WriteAt", func() { n, err = wa.WriteAt(pc.p, pc.off) }) {
			return errPanicked
		}
		if err == nil && n != len(pc.p) {
			s.violate(RuleRandomAccess, "WriteAt(p, %d) wrote %d of %d bytes and returned a nil error", pc.off, n, len(pc.p))
			return errBadCount
		}
		return err
	})
	scribble(buf)
	if err != nil {
		return s.abort(err)
	}
	return s.commit(nil)
}
