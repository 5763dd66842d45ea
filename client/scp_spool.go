package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
)

// spoolMemory is how much of a spooled upload stays in memory.
const spoolMemory = 1 << 20

// spool holds an upload of unknown size until its end, so that the C
// record can announce the size: up to spoolMemory bytes in memory, the
// rest in a temporary file removed by Close.
type spool struct {
	io.Reader
	size int64
	file *os.File
}

// newSpool reads r to its end, failing with ErrTooLarge beyond limit
// bytes, or with ctx's error once it is done.
func newSpool(ctx context.Context, r io.Reader, limit int64) (*spool, error) {
	r = ctxReader{ctx, r}
	var mem bytes.Buffer
	n, err := io.Copy(&mem, io.LimitReader(r, min(limit, spoolMemory)+1))
	if err != nil {
		return nil, onLocalSide(err)
	}
	sp := &spool{Reader: &mem, size: n}
	if n <= min(limit, spoolMemory) {
		return sp, nil
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	if err := sp.toFile(&mem, r, limit); err != nil {
		sp.Close()
		return nil, err
	}
	return sp, nil
}

// toFile moves the spool to a temporary file and reads the rest of r into
// it.
func (sp *spool) toFile(mem *bytes.Buffer, r io.Reader, limit int64) error {
	f, err := os.CreateTemp("", "filemux-scp-*")
	if err != nil {
		return onLocalSide(err)
	}
	sp.file = f
	n, err := io.Copy(f, io.MultiReader(mem, io.LimitReader(r, limit-int64(mem.Len())+1)))
	switch {
	case err != nil:
		return onLocalSide(err)
	case n > limit:
		return ErrTooLarge
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return onLocalSide(err)
	}
	sp.Reader, sp.size = f, n
	return nil
}

// Close removes the temporary file, if any.
func (sp *spool) Close() error {
	if sp.file == nil {
		return nil
	}
	return errors.Join(sp.file.Close(), os.Remove(sp.file.Name()))
}

// ctxReader stops reading once ctx is done, so that a cancelled upload
// does not spool a long pipe to its end.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
