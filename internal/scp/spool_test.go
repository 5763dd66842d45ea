package scp

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"
)

// A spool gives back what it read, from memory or beyond Memory from a
// temporary file that is gone after Close; beyond Max, or when the source
// fails, it fails and leaves nothing.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 3*Chunk+17)
	_, _ = rand.Read(data)
	for _, memory := range []int{0, 100, len(data)} {
		s, err := NewSpool(bytes.NewReader(data), SpoolLimits{Memory: memory, Max: int64(len(data)), Dir: dir})
		if err != nil {
			t.Fatalf("memory %d: %v", memory, err)
		}
		got, err := io.ReadAll(s)
		if err != nil || !bytes.Equal(got, data) || s.Size() != int64(len(data)) {
			t.Errorf("memory %d: %d bytes back (size %d), %v", memory, len(got), s.Size(), err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("memory %d: Close: %v", memory, err)
		}
	}
	_, err := NewSpool(bytes.NewReader(data), SpoolLimits{Memory: 100, Max: int64(len(data)) - 1, Dir: dir})
	if err != ErrTooLarge {
		t.Errorf("one byte over Max: %v", err)
	}
	broken := errors.New("source broke")
	_, err = NewSpool(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(broken)), SpoolLimits{Memory: 100, Max: 1 << 30, Dir: dir})
	if err != broken {
		t.Errorf("a failing source: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
}
