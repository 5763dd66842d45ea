package scp

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// ErrTooLarge is a source that holds more than its spool's Max bytes.
var ErrTooLarge = errors.New("scp: source larger than the spool limit")

// SpoolLimits bound a [Spool].
type SpoolLimits struct {
	// Memory is how many bytes stay in memory; the rest goes to a
	// temporary file.
	Memory int
	// Max is the most bytes the source may hold.
	Max int64
	// Dir holds the temporary file; "" means os.TempDir.
	Dir string
}

// Spool holds a source of unknown size to its end, because a File record
// announces the size before the data. Read then returns the content from
// its start; Close removes the temporary file.
type Spool struct {
	mem  bytes.Buffer
	file *os.File
	size int64
	r    io.Reader // set by the first Read
}

// NewSpool reads r to its end. More than lim.Max bytes fail with
// [ErrTooLarge]; a failing r or temporary file fails with its error. A
// failed spool leaves nothing behind.
func NewSpool(r io.Reader, lim SpoolLimits) (*Spool, error) {
	s := &Spool{}
	buf := make([]byte, Chunk)
	for {
		n, err := r.Read(buf)
		if s.size+int64(n) > lim.Max {
			err = ErrTooLarge
		} else if werr := s.add(buf[:n], lim); werr != nil {
			err = werr
		}
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			s.Close()
			return nil, err
		}
	}
}

func (s *Spool) add(p []byte, lim SpoolLimits) error {
	s.size += int64(len(p))
	if s.file == nil && s.mem.Len()+len(p) <= lim.Memory {
		s.mem.Write(p)
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(lim.Dir, "filemux-scp-*")
		if err != nil {
			return err
		}
		// Nobody else needs to see it: where the system lets an open file
		// be removed, it vanishes now, else at Close.
		_ = os.Remove(f.Name())
		s.file = f
	}
	_, err := s.file.Write(p)
	return err
}

// Size is the number of bytes spooled.
func (s *Spool) Size() int64 { return s.size }

// Read reads the spooled content from its start.
func (s *Spool) Read(p []byte) (int, error) {
	if s.r == nil {
		s.r = &s.mem
		if s.file != nil {
			s.r = io.MultiReader(&s.mem, io.NewSectionReader(s.file, 0, s.size-int64(s.mem.Len())))
		}
	}
	return s.r.Read(p)
}

// Close releases the temporary file.
func (s *Spool) Close() error {
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := s.file.Close()
	_ = os.Remove(name)
	return err
}
