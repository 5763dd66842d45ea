package client

import (
	"fmt"
	"github.com/filemux/filemux/behaviour"
	"io"

	"github.com/filemux/filemux/internal/scp"
)

// upload runs the source side of SCP for one file: the sink's go-ahead,
// the C record with the size and base name, exactly total bytes of r,
// done when set (the local side's ending), the status byte, then the
// sink's acknowledgement, which says the file is stored. A reader that fails or ends early leaves the sink waiting for
// bytes: closing the connection makes it discard the file.
func (s *SCP) upload(x *scpSession, remote string, r io.Reader, total int64, done func() error) (int64, error) {
	if err := readAck(x.r); err != nil {
		return 0, err
	}
	file := scp.Record{Kind: scp.File, Mode: s.mode(), Size: total, Name: baseName(remote)}
	if _, err := io.WriteString(x.w, file.Line()); err != nil {
		return 0, err
	}
	if err := readAck(x.r); err != nil {
		return 0, err
	}
	m := s.meter(x, behaviour.Write, remote, total)
	m.report()
	buf := make([]byte, min(max(total, 1), scp.Chunk))
	n, err := io.CopyBuffer(x.w, &scpReader{r: io.LimitReader(r, total), m: m}, buf)
	if err == nil && n < total {
		err = localError{fmt.Errorf("client: the reader ended after %d of the %d bytes it announced", n, total)}
	}
	if err == nil && done != nil {
		err = done()
	}
	if err == nil {
		err = x.ack()
	}
	if err == nil {
		err = readAck(x.r)
	}
	if err != nil {
		return n, err
	}
	x.finish()
	return n, nil
}

// scpReader reads the local side into the meter.
type scpReader struct {
	r io.Reader
	m *scpMeter
}

func (r *scpReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.m.add(p[:n])
	if err != nil && err != io.EOF {
		err = onLocalSide(err)
	}
	return n, err
}

// scpMeter counts bytes, feeds the digest, keeps the watchdog quiet and
// calls Progress.
type scpMeter struct {
	progress func(Progress)
	p        Progress
	verify   *verifier
	idle     *watchdog
}

func (s *SCP) meter(x *scpSession, op behaviour.Access, remote string, total int64) *scpMeter {
	return &scpMeter{progress: s.Progress, p: Progress{Access: op, Remote: remote, Total: total}, idle: x.idle}
}

func (m *scpMeter) add(p []byte) {
	m.p.Bytes += int64(len(p))
	m.idle.kick()
	if m.verify != nil {
		m.verify.write(p)
	}
	m.report()
}

func (m *scpMeter) report() {
	if m.progress != nil {
		m.progress(m.p)
	}
}
