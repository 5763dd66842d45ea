package daemon

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// scpSpool holds a file of unknown size until its end, so that the C
// record can announce its size: up to SpoolMemory bytes in memory, the rest
// in a temporary file removed at once (on systems that allow it) or when
// the spool is closed.
type scpSpool struct {
	mem  bytes.Buffer
	file *os.File
	size int64
	r    io.Reader // set by the first Read
}

// spool reads the transfer to its end, at most MaxSpool bytes.
func (c *sshConn) spool(x *sshTransfer) (*scpSpool, error) {
	cfg := c.srv.cfg
	s := &scpSpool{}
	buf := make([]byte, scpChunk)
	for {
		n, err := x.read(buf)
		if s.size+int64(n) > cfg.maxSpool {
			s.Close()
			return nil, errSSHTooLarge
		}
		if werr := s.add(buf[:n], cfg); werr != nil {
			s.Close()
			return nil, werr
		}
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			s.Close()
			return nil, err
		}
	}
}

func (s *scpSpool) add(p []byte, cfg *sshSettings) error {
	s.size += int64(len(p))
	if s.file == nil && s.mem.Len()+len(p) <= cfg.spoolMemory {
		s.mem.Write(p)
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(cfg.spoolDir, "filemux-scp-*")
		if err != nil {
			return err
		}
		_ = os.Remove(f.Name()) // nobody else sees it; it vanishes at Close
		s.file = f
	}
	_, err := s.file.Write(p)
	return err
}

// Read reads the spooled content from its start.
func (s *scpSpool) Read(p []byte) (int, error) {
	if s.r == nil {
		s.r = &s.mem
		if s.file != nil {
			s.r = io.MultiReader(&s.mem, io.NewSectionReader(s.file, 0, s.size-int64(s.mem.Len())))
		}
	}
	return s.r.Read(p)
}

// Close releases the temporary file.
func (s *scpSpool) Close() error {
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := s.file.Close()
	_ = os.Remove(name)
	return err
}
