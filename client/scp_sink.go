package client

import (
	"errors"
	"github.com/filemux/filemux/behaviour"
	"io"

	"github.com/filemux/filemux/internal/scp"
)

// download runs the sink side of SCP for one file: the go-ahead, at most
// one T record, the C record (which must name the base name of remote and
// fit MaxSize), the data into the local side, the server's status after
// it, the digest, the commit, then the final acknowledgement. The local
// side is opened only once the server has announced an acceptable file, so
// that a refusal leaves nothing behind.
func (s *SCP) download(x *scpSession, remote string, open func(size int64) (io.Writer, error), commit func() error) (int64, error) {
	if err := x.ack(); err != nil {
		return 0, err
	}
	f, err := x.fileRecord(baseName(remote))
	if err == nil && s.MaxSize > 0 && f.Size > s.MaxSize {
		err = ErrTooLarge
	}
	var w io.Writer
	if err == nil {
		w, err = open(f.Size)
	}
	if err == nil {
		err = x.ack()
	}
	if err != nil {
		x.refuse(err)
		return 0, err
	}
	n, err := s.receive(x, remote, f.Size, w, commit)
	if err != nil {
		x.refuse(err)
		return n, err
	}
	x.finish()
	return n, nil
}

// receive copies exactly size bytes into w, reads the server's status,
// checks the digest, commits and acknowledges.
func (s *SCP) receive(x *scpSession, remote string, size int64, w io.Writer, commit func() error) (int64, error) {
	m := s.meter(x, behaviour.Read, remote, size)
	m.verify = newVerifier(s.Verify)
	m.report()
	buf := make([]byte, min(max(size, 1), scp.Chunk))
	n, err := io.CopyBuffer(&scpWriter{w: w, m: m}, io.LimitReader(x.r, size), buf)
	switch {
	case err != nil:
		return n, err
	case n < size:
		return n, scpProtocol("the server ended the data after %d of %d bytes", n, size)
	}
	err = readAck(x.r)
	if errors.Is(err, io.EOF) {
		err = scpProtocol("the server ended without confirming the data")
	}
	if err == nil && m.verify != nil {
		err = m.verify.check()
	}
	if err == nil && commit != nil {
		err = commit()
	}
	if err == nil {
		err = x.ack()
	}
	return n, err
}

// fileRecord reads records up to the C record of the file named want.
// A T record is acknowledged; directories, repeated times and anything
// else are refused.
func (x *scpSession) fileRecord(want string) (scp.Record, error) {
	for times := 0; ; times++ {
		rec, err := x.record()
		if err != nil {
			return scp.Record{}, err
		}
		switch {
		case rec.Kind == scp.File:
			return checkName(rec, want)
		case rec.Kind == scp.Times && times == 0:
			err = x.ack()
		case rec.Kind == scp.Dir || rec.Kind == scp.End:
			err = scpProtocol("the server sent a directory record for the file %q", want)
		default:
			err = scpProtocol("unexpected record %q", printable(string(rune(rec.Kind))))
		}
		if err != nil {
			return scp.Record{}, err
		}
	}
}

// record reads and parses the server's next line. A warning or error line
// becomes an *scpRemoteError. The end of input before the line is io.EOF
// and never a clean end here, since a record was due: the session turns it
// into what the server's stderr says (see explain).
func (x *scpSession) record() (scp.Record, error) {
	line, err := readLine(x.r)
	if err != nil {
		return scp.Record{}, err
	}
	rec, err := scp.Parse(line)
	switch {
	case err != nil:
		return scp.Record{}, recordError(line, err)
	case rec.Kind == scp.Warning || rec.Kind == scp.Fatal:
		return scp.Record{}, &scpRemoteError{msg: printable(rec.Message)}
	}
	return rec, nil
}

// scpWriter feeds the local side and the meter.
type scpWriter struct {
	w io.Writer
	m *scpMeter
}

func (w *scpWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.m.add(p[:n])
	return n, onLocalSide(err)
}
