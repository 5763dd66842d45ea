package client

import (
	"context"
	"io"
	"os"

	"github.com/filemux/filemux/behaviour"
)

// WriteFile uploads the local file path to the server as remote. Its size
// is sent as tsize when TSize is set.
func (c *TFTP) WriteFile(ctx context.Context, remote, path string) (Result, error) {
	fi, err := os.Stat(path)
	if err == nil && !fi.Mode().IsRegular() {
		err = &os.PathError{Op: "upload", Path: path, Err: errNotRegular}
	}
	if err != nil {
		return c.fail(behaviour.Write, remote, err)
	}
	open := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { return os.Open(path) })
	return c.run(ctx, behaviour.Write, remote, local{name: path, requested: path, h: open, size: fi.Size()})
}

var errNotRegular = behaviour.NewError(behaviour.CodeAccessViolation, "not a regular file")

// WriteFrom uploads what r yields until io.EOF to the server as remote. The
// size is known (and sent as tsize when TSize is set) when r reports it
// with a Len() int or Size() int64 method, as bytes.Reader and
// strings.Reader do. It is closed at the end when it is an io.Closer.
func (c *TFTP) WriteFrom(ctx context.Context, remote string, r io.Reader) (Result, error) {
	open := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { return r, nil })
	return c.run(ctx, behaviour.Write, remote, local{name: remote, requested: remote, h: open, size: sizeOf(r)})
}

// WriteBytes uploads b to the server as remote.
func (c *TFTP) WriteBytes(ctx context.Context, remote string, b []byte) (Result, error) {
	return c.run(ctx, behaviour.Write, remote, local{name: remote, requested: remote, h: behaviour.Bytes(b), size: int64(len(b))})
}

// WriteHandler uploads the file the local Handler h produces for the LOCAL
// name localName (cleaned with behaviour.CleanName) to the server as
// remote; h is usually a *registry.Registry. The calls follow the client
// side of the behaviour.Handler contract with t.Access == behaviour.Read:
// Prepare before the request (it may drop or lower the suggested options,
// and may call t.SetSize so that tsize can be sent), Open with what the
// server accepted, Read until io.EOF, and Abort exactly once if the
// transfer fails after Open and before the final Read.
func (c *TFTP) WriteHandler(ctx context.Context, remote, localName string, h behaviour.Handler) (Result, error) {
	name, err := checkHandler(localName, h)
	if err != nil {
		return c.fail(behaviour.Write, remote, err)
	}
	return c.run(ctx, behaviour.Write, remote, local{name: name, requested: localName, h: h, size: -1})
}

func sizeOf(r io.Reader) int64 {
	// Len first: bytes.Reader's Size is the whole slice, read or not.
	switch s := r.(type) {
	case interface{ Len() int }:
		return int64(s.Len())
	case interface{ Size() int64 }:
		return s.Size()
	}
	return -1
}
