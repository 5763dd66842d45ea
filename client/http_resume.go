package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"

	"github.com/filemux/filemux/behaviour"
)

// ResumeReadFile completes a download of remote into the local file name
// that stopped part way, as curl -C - and wget -c do: the bytes name
// already holds are taken as the file's first ones, and only the rest is
// asked for with a Range request; a missing name is downloaded whole.
// The result is still committed atomically: name's bytes are copied into
// the temporary file ahead of the rest, which replaces name once complete,
// and Verify checks the whole file. A server that ignores the range
// (200) sends the whole file, of which the bytes name holds are skipped.
// A name as long as remote, which the server answers with 416 and the
// file's size, is complete: nothing moves and Verify checks name. Nothing
// checks that name's bytes are remote's: set Verify when that matters.
// Result.Bytes is the number of bytes received now.
func (c *HTTP) ResumeReadFile(ctx context.Context, remote, name string) (Result, error) {
	return c.measure(behaviour.Read, remote, func() (int64, error) {
		fi, err := os.Stat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return c.get(ctx, remote, local{name: name, requested: name, h: fileSink{path: name, sync: c.Fsync}}, wholeFile)
		case err == nil && !fi.Mode().IsRegular():
			err = &os.PathError{Op: "resume", Path: name, Err: errNotRegular}
		}
		if err != nil {
			return 0, c.fail("read", remote, onLocalSide(err))
		}
		h := resumeSink{fileSink: fileSink{path: name, sync: c.Fsync}, have: fi.Size()}
		n, err := c.get(ctx, remote, local{name: name, requested: name, h: h}, byteRange{fi.Size(), -1})
		if complete(err, fi.Size()) {
			return 0, c.checkLocal(remote, name)
		}
		return n, err
	})
}

// complete reports whether err is the server's 416 for a file of the size
// the local one already has: there was nothing left to fetch.
func complete(err error, have int64) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusRequestedRangeNotSatisfiable && se.size == have && have > 0
}

// checkLocal checks Verify against the local file name, already complete.
func (c *HTTP) checkLocal(remote, name string) error {
	v := newVerifier(c.Verify)
	if v == nil {
		return nil
	}
	f, err := os.Open(name)
	if err == nil {
		_, err = io.Copy(hashWriter{v}, f)
		f.Close()
	}
	if err != nil {
		return c.fail("read", remote, onLocalSide(err))
	}
	if err := v.check(); err != nil {
		return c.fail("read", remote, err)
	}
	return nil
}

// resumeSink is fileSink with the first have bytes of the target copied
// into the temporary file when it opens.
type resumeSink struct {
	fileSink
	have int64
}

// Open creates the temporary file and copies the bytes already there.
func (r resumeSink) Open(ctx context.Context, t *behaviour.Transfer) error {
	if err := r.fileSink.Open(ctx, t); err != nil {
		return err
	}
	f, err := os.Open(r.path)
	if err != nil {
		return err
	}
	defer f.Close()
	d := t.State.(*download)
	if n, err := io.CopyN(d.buf, f, r.have); err != nil {
		return fmt.Errorf("client: copying the %d bytes of %s: %d copied: %w", r.have, r.path, n, err)
	}
	return nil
}

// seed feeds the verifier of a resumed download the bytes the local file
// already had; other downloads leave it alone.
func seed(v *verifier, h behaviour.Handler) error {
	r, ok := h.(resumeSink)
	if v == nil || !ok {
		return nil
	}
	f, err := os.Open(r.path)
	if err != nil {
		return onLocalSide(err)
	}
	defer f.Close()
	_, err = io.CopyN(hashWriter{v}, f, r.have)
	return onLocalSide(err)
}

type hashWriter struct{ v *verifier }

func (h hashWriter) Write(p []byte) (int, error) { h.v.write(p); return len(p), nil }
