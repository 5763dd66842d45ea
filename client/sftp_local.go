package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"

	"github.com/filemux/filemux/behaviour"
)

// ReadHandler downloads remote into the local Handler h, chosen the way the
// TFTP client's ReadHandler chooses it: h is usually a *registry.Registry,
// which picks the handler whose pattern matches the LOCAL name localName
// (cleaned with behaviour.CleanName).
//
// The calls follow the client side of the behaviour.Handler contract with
// t.Protocol == behaviour.SFTP and t.Access == behaviour.Write (the local
// side consumes the file). SFTP negotiates no options, so t.Options is
// empty. Prepare runs before connecting; Open once the remote file is open,
// with t.Size holding its size when the server tells it (so a missing
// remote file leaves the local side untouched); Write for each piece in
// order, then Write(t, nil, true) to commit once the whole file arrived and
// passed Verify; Abort exactly once if the transfer fails after Open. A
// panic in a call is recovered and fails the transfer.
func (s *SFTP) ReadHandler(ctx context.Context, remote, localName string, h behaviour.Handler) (Result, error) {
	return s.measured(behaviour.Read, remote, func() (int64, error) {
		l, err := handlerSide(localName, h)
		if err != nil {
			return 0, s.fail("read", remote, onLocalSide(err))
		}
		return s.get(ctx, remote, l, wholeFile)
	})
}

// WriteHandler uploads the file the local Handler h produces for the LOCAL
// name localName (cleaned with behaviour.CleanName) to remote, creating or
// truncating it; h is usually a *registry.Registry. The calls follow the
// client side of the behaviour.Handler contract with t.Protocol ==
// behaviour.SFTP and t.Access == behaviour.Read: Prepare before connecting
// (it may call t.SetSize, which Progress then reports as the total), Open
// once logged in and before the remote file is created or truncated (a
// local side that cannot open leaves the remote file alone), Read until
// io.EOF, and Abort exactly once if the transfer fails after Open and
// before the final Read.
func (s *SFTP) WriteHandler(ctx context.Context, remote, localName string, h behaviour.Handler) (Result, error) {
	return s.measured(behaviour.Write, remote, func() (int64, error) {
		l, err := handlerSide(localName, h)
		if err != nil {
			return 0, s.fail("write", remote, onLocalSide(err))
		}
		return s.put(ctx, remote, l, truncate)
	})
}

func handlerSide(localName string, h behaviour.Handler) (local, error) {
	name, err := checkHandler(localName, h)
	return local{name: name, requested: localName, h: h, size: -1}, err
}

// endpoint drives the local Handler of one SFTP transfer and keeps track of
// its ending, so that Abort runs exactly once and only after Open.
type endpoint struct {
	h             behaviour.Handler
	t             behaviour.Transfer
	opened, ended bool
	zeroReads     int
}

// newEndpoint builds the local side's Transfer: a download is written
// locally (behaviour.Write), an upload read.
func (s *SFTP) newEndpoint(ctx context.Context, op behaviour.Access, l local) *endpoint {
	e := &endpoint{h: l.h}
	// A download creates or replaces the local file, whatever SFTP flags
	// the server saw.
	e.t = behaviour.Transfer{Protocol: behaviour.SFTP, Access: behaviour.Write, RequestedName: l.requested, Name: l.name,
		Mode: behaviour.Octet, Flags: behaviour.FlagCreate | behaviour.FlagTruncate, User: s.User}
	if op == behaviour.Write {
		e.t.Access, e.t.Flags = behaviour.Read, 0
		e.t.SetSize(l.size)
	}
	e.t.SetContext(ctx)
	return e
}

func (e *endpoint) prepare(ctx context.Context) error {
	return onLocalSide(call("Prepare", func() error { return e.h.Prepare(ctx, &e.t) }))
}

// connected tells the handler where the transfer goes, as the TFTP client
// does.
func (e *endpoint) connected(x *session) {
	e.t.Peer = addrPort(x.conn.RemoteAddr())
	e.t.Local = addrPort(x.conn.LocalAddr())
}

func addrPort(a net.Addr) netip.AddrPort {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.AddrPort()
	}
	return netip.AddrPort{}
}

func (e *endpoint) open(ctx context.Context) error {
	if err := call("Open", func() error { return e.h.Open(ctx, &e.t) }); err != nil {
		return onLocalSide(err)
	}
	e.opened = true
	return nil
}

// Write hands a piece of a download to the handler.
func (e *endpoint) Write(p []byte) (int, error) {
	if err := call("Write", func() error { return e.h.Write(&e.t, p, false) }); err != nil {
		return 0, onLocalSide(err)
	}
	return len(p), nil
}

// commit is the final Write of a download.
func (e *endpoint) commit() error {
	err := call("Write", func() error { return e.h.Write(&e.t, nil, true) })
	e.ended = err == nil
	return onLocalSide(err)
}

// Read takes the next piece of an upload from the handler; the call that
// returns io.EOF is the ending.
func (e *endpoint) Read(p []byte) (int, error) {
	var n int
	err := call("Read", func() (err error) { n, err = e.h.Read(&e.t, p); return err })
	n = min(max(n, 0), len(p))
	switch {
	case errors.Is(err, io.EOF):
		e.ended = true
		return n, io.EOF
	case err != nil:
		return n, onLocalSide(err)
	case n == 0:
		if e.zeroReads++; e.zeroReads > maxZeroReads {
			return 0, onLocalSide(errNoProgress)
		}
	default:
		e.zeroReads = 0
	}
	return n, nil
}

// finish aborts the handler when the transfer failed after Open and before
// its ending.
func (e *endpoint) finish(err error) {
	if err != nil && e.opened && !e.ended {
		e.ended = true
		_ = call("Abort", func() error { e.h.Abort(&e.t, err); return nil })
	}
}
