package behaviourtest

import (
	"errors"
	"io"

	"github.com/filemux/filemux/behaviour"
)

// errAbortProbe is the cause TestHandler passes to Abort when it abandons an
// upload on purpose.
var errAbortProbe = errors.New("behaviourtest: upload abandoned on purpose")

// write moves data with Write calls, or with WriteAt when asked for and
// offered, and commits it.
func (s *session) write(data []byte) error {
	if s.c.random {
		if wa, ok := s.writerAt(); ok {
			return s.writeAt(wa, data)
		} else if s.ended {
			return errPanicked
		}
	}
	return s.writeSeq(data)
}

// writeSeq sends data in chunks through one buffer that it overwrites
// between calls, as engines reuse their packet buffers: a handler that keeps
// p instead of copying it reads back garbage.
func (s *session) writeSeq(data []byte) error {
	buf := make([]byte, s.c.chunk)
	for sent := 0; sent < len(data); {
		if err := s.t.Context().Err(); err != nil {
			return s.abort(err)
		}
		n := copy(buf, data[sent:])
		last := sent+n == len(data) && !s.c.emptyLast
		if s.c.abortAfter > 0 && (sent >= s.c.abortAfter || last) {
			return s.abort(errAbortProbe)
		}
		if last {
			return s.commit(buf[:n])
		}
		if err := s.writeOnce(buf[:n], false); err != nil {
			return s.abort(err)
		}
		scribble(buf)
		sent += n
	}
	if s.c.abortAfter > 0 {
		return s.abort(errAbortProbe)
	}
	return s.commit(nil)
}

// commit makes the final Write, the ending of a successful upload.
func (s *session) commit(p []byte) error {
	if s.c.beforeCommit != nil {
		s.c.beforeCommit()
	}
	err := s.writeOnce(p, true)
	scribble(p)
	if err != nil {
		return s.abort(err)
	}
	s.ended = true
	return nil
}

func (s *session) writeOnce(p []byte, last bool) error {
	return kitCause(s.d.Write(p, last))
}

func scribble(p []byte) {
	for i := range p {
		p[i] = 0xa5
	}
}

func (s *session) writerAt() (wa io.WriterAt, ok bool) {
	if s.protect("WriterAt", func() { wa, ok = behaviour.WriterAt(s.h, s.t) }) {
		s.abort(errPanicked)
		return nil, false
	}
	return wa, ok
}
