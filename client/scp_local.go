package client

import (
	"context"
	"errors"
	"io"

	"github.com/filemux/filemux/behaviour"
)

// ReadHandler downloads remote into the local Handler h, chosen the way the
// TFTP client's ReadHandler chooses it: h is usually a *registry.Registry,
// which picks the handler whose pattern matches the LOCAL name localName
// (cleaned with behaviour.CleanName).
//
// The calls follow the client side of the behaviour.Handler contract with
// t.Protocol == behaviour.SCP and t.Access == behaviour.Write (the local
// side consumes the file). SCP negotiates no options, so t.Options is
// empty. Prepare runs before connecting; Open once the server announced an
// acceptable file record, with t.Size holding the size it announced (so a
// missing remote file, a refused name or a size beyond MaxSize leaves the
// local side untouched); Write for each piece in order, then
// Write(t, nil, true) to commit once the whole file arrived and passed
// Verify; Abort exactly once if the transfer fails after Open. A panic in a
// call is recovered and fails the transfer.
func (s *SCP) ReadHandler(ctx context.Context, remote, localName string, h behaviour.Handler) (Result, error) {
	l, err := handlerSide(localName, h)
	if err != nil {
		return s.failed(behaviour.Read, remote, onLocalSide(err))
	}
	return s.readLocal(ctx, remote, s.newEndpoint(ctx, behaviour.Read, l))
}

// WriteHandler uploads the file the local Handler h produces for the LOCAL
// name localName (cleaned with behaviour.CleanName) to remote, creating or
// truncating it; h is usually a *registry.Registry. The calls follow the
// client side of the behaviour.Handler contract with t.Protocol ==
// behaviour.SCP and t.Access == behaviour.Read: Prepare before connecting
// (it may call t.SetSize, which Progress then reports as the total), Open
// once logged in and before the server hears of the file (a local side
// that cannot open leaves the remote file alone), Read until io.EOF, and
// Abort exactly once if the transfer fails after Open and before the final
// Read.
//
// SCP announces the size before the data. A handler that knows it (it
// calls t.SetSize in Prepare or Open) is sent as it is read and must hold
// exactly that many bytes: fewer or more fail the transfer before the
// server is told the data is complete (filemux's server then stores
// nothing; OpenSSH's scp may keep what it received). Otherwise the handler is read to its
// end into a spool first, as WriteFrom spools a reader of unknown size (see
// SpoolLimit); a larger file fails with ErrTooLarge before the server hears
// of it.
func (s *SCP) WriteHandler(ctx context.Context, remote, localName string, h behaviour.Handler) (Result, error) {
	l, err := handlerSide(localName, h)
	if err != nil {
		return s.failed(behaviour.Write, remote, onLocalSide(err))
	}
	e := s.newEndpoint(ctx, behaviour.Write, l)
	if err := e.prepare(ctx); err != nil {
		return s.failed(behaviour.Write, remote, err)
	}
	return s.run(ctx, behaviour.Write, remote, func(x *scpSession) (n int64, err error) {
		defer func() { e.finish(err) }()
		e.connected(x.conn)
		if err := e.open(ctx); err != nil {
			return 0, err
		}
		return s.send(ctx, x, remote, e)
	})
}

// newEndpoint builds the local side's Transfer for SCP.
func (s *SCP) newEndpoint(ctx context.Context, op behaviour.Access, l local) *endpoint {
	return localEndpoint(ctx, behaviour.SCP, s.User, op, l)
}

// readLocal prepares e, then downloads remote into it, opening it once the
// server announced the file and its size.
func (s *SCP) readLocal(ctx context.Context, remote string, e *endpoint) (Result, error) {
	if err := e.prepare(ctx); err != nil {
		return s.failed(behaviour.Read, remote, err)
	}
	return s.run(ctx, behaviour.Read, remote, func(x *scpSession) (int64, error) {
		e.connected(x.conn)
		open := func(size int64) (io.Writer, error) {
			e.t.SetSize(size)
			if err := e.open(ctx); err != nil {
				return nil, err
			}
			return e, nil
		}
		n, err := s.download(x, remote, open, e.commit)
		e.finish(err)
		return n, err
	})
}

// send uploads the opened local side e: as it is read when it told its
// size, from a spool of it otherwise.
func (s *SCP) send(ctx context.Context, x *scpSession, remote string, e *endpoint) (int64, error) {
	if total, known := e.t.Size(); known {
		return s.upload(x, remote, e, total, e.ended)
	}
	// Reading the handler is activity: the idle watchdog must not close
	// the connection while a slow handler is spooled.
	sp, err := s.spool(ctx, &scpReader{r: e, m: &scpMeter{idle: x.idle}})
	if err != nil {
		return 0, err
	}
	defer sp.Close()
	return s.upload(x, remote, sp, sp.Size(), nil)
}

// errLonger is a local handler that holds more bytes than the size it set.
var errLonger = errors.New("client: the local handler holds more bytes than the size it set")

// ended reads the ending of an upload whose size was announced: the
// handler must answer io.EOF once that many bytes were read.
func (e *endpoint) ended() error {
	var b [1]byte
	for {
		n, err := e.Read(b[:])
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		case n > 0:
			return localError{errLonger}
		}
	}
}
