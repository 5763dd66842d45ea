package client

import (
	"context"
	"io"
	"net"
	"net/netip"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
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

// endpoint drives the local Handler of one SFTP transfer through the
// driver, which keeps track of its ending: Abort runs exactly once and
// only after Open.
type endpoint struct {
	t behaviour.Transfer
	d *drive.Driver
}

// newLocal drives h through an endpoint whose Transfer is still empty.
func newLocal(h behaviour.Handler) *endpoint {
	e := &endpoint{}
	e.d = drive.New(h, &e.t, drive.Config{})
	return e
}

// newEndpoint builds the local side's Transfer for SFTP.
func (s *SFTP) newEndpoint(ctx context.Context, op behaviour.Access, l local) *endpoint {
	return localEndpoint(ctx, behaviour.SFTP, s.User, op, l)
}

// localEndpoint builds the local side's Transfer of an SSH client: a
// download is written locally (behaviour.Write), an upload read.
func localEndpoint(ctx context.Context, p behaviour.Protocol, user string, op behaviour.Access, l local) *endpoint {
	e := newLocal(l.h)
	// A download creates or replaces the local file, whatever flags the
	// server saw.
	e.t = behaviour.Transfer{Protocol: p, Access: behaviour.Write, RequestedName: l.requested, Name: l.name,
		Mode: behaviour.Octet, Flags: behaviour.FlagCreate | behaviour.FlagTruncate, User: user}
	if op == behaviour.Write {
		e.t.Access, e.t.Flags = behaviour.Read, 0
		e.t.SetSize(l.size)
	}
	e.t.SetContext(ctx)
	return e
}

func (e *endpoint) prepare(ctx context.Context) error {
	return onLocalSide(e.d.Prepare(ctx))
}

// connected tells the handler where the transfer goes, as the TFTP client
// does.
func (e *endpoint) connected(c addressed) {
	e.t.Peer = addrPort(c.RemoteAddr())
	e.t.Local = addrPort(c.LocalAddr())
}

// addressed is a connection's two ends, as *ssh.Client has them.
type addressed interface {
	RemoteAddr() net.Addr
	LocalAddr() net.Addr
}

func addrPort(a net.Addr) netip.AddrPort {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.AddrPort()
	}
	return netip.AddrPort{}
}

func (e *endpoint) open(ctx context.Context) error {
	return onLocalSide(e.d.Open(ctx))
}

// Write hands a piece of a download to the handler.
func (e *endpoint) Write(p []byte) (int, error) {
	if err := e.d.Write(p, false); err != nil {
		return 0, onLocalSide(err)
	}
	return len(p), nil
}

// commit is the final Write of a download.
func (e *endpoint) commit() error {
	return onLocalSide(e.d.Write(nil, true))
}

// Read takes the next piece of an upload from the handler; the call that
// returns io.EOF is the ending.
func (e *endpoint) Read(p []byte) (int, error) {
	n, err := e.d.Read(p)
	if err != nil && err != io.EOF {
		return n, onLocalSide(err)
	}
	return n, err
}

// finish aborts the handler when the transfer failed after Open and before
// its ending.
func (e *endpoint) finish(err error) {
	if err != nil {
		e.d.Abort(err)
	}
}
