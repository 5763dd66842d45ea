package client

import (
	"context"
	"errors"
	"io"

	"github.com/filemux/filemux/behaviour"
)

// ReadFile downloads the file remote into the local file path, atomically:
// the data goes to a hidden temporary file in path's directory, renamed over
// path only when the whole file arrived (and passed Verify). On failure
// nothing is left: path keeps its old content or does not exist.
func (c *TFTP) ReadFile(ctx context.Context, remote, path string) (Result, error) {
	return c.run(ctx, behaviour.Read, remote, local{name: path, requested: path, h: fileSink{path: path, sync: c.Fsync}})
}

// ReadTo downloads the file remote into w as it arrives. On failure w has
// received part of the file.
func (c *TFTP) ReadTo(ctx context.Context, remote string, w io.Writer) (Result, error) {
	return c.run(ctx, behaviour.Read, remote, local{name: remote, requested: remote, h: writerSink{w: w}})
}

// ReadBytes downloads the file remote into memory and returns it: Erlang's
// read_file(Remote, binary, Opts). Set MaxSize to bound the memory a server
// can make it use.
func (c *TFTP) ReadBytes(ctx context.Context, remote string) ([]byte, Result, error) {
	return readBytes(func(w io.Writer) (Result, error) { return c.ReadTo(ctx, remote, w) })
}

// ReadHandler downloads the file remote into the local Handler h, the way
// Erlang's client-side callbacks work: h is usually a *registry.Registry,
// which picks the handler whose pattern matches the LOCAL name localName
// (cleaned with behaviour.CleanName).
//
// The calls follow the client side of the behaviour.Handler contract, with
// t.Access == behaviour.Write (the local side consumes the file): Prepare
// before the request, with t.Options holding the options the client
// suggests (it may drop or lower them; the request carries what it left);
// Open with t.Options holding what the server accepted and the size the
// server announced (t.Size); Write for each block, the last one committing;
// Abort exactly once if the transfer fails after Open. A panic in a call is
// recovered and fails the transfer.
func (c *TFTP) ReadHandler(ctx context.Context, remote, localName string, h behaviour.Handler) (Result, error) {
	name, err := checkHandler(localName, h)
	if err != nil {
		return c.fail(behaviour.Read, remote, err)
	}
	return c.run(ctx, behaviour.Read, remote, local{name: name, requested: localName, h: h})
}

var errNilHandler = errors.New("client: nil Handler")

func checkHandler(localName string, h behaviour.Handler) (string, error) {
	if h == nil {
		return "", errNilHandler
	}
	return behaviour.CleanName(localName)
}

// writerSink is the local side of ReadTo and ReadBytes.
type writerSink struct {
	behaviour.Base
	w io.Writer
}

// Write hands p to the writer.
func (s writerSink) Write(_ *behaviour.Transfer, p []byte, _ bool) error {
	_, err := s.w.Write(p)
	return err
}
