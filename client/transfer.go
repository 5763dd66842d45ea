package client

import (
	"context"
	"net"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
	"github.com/filemux/filemux/internal/tftp"
	"github.com/filemux/filemux/internal/wire"
)

// transfer is one read_file or write_file, from Prepare to its ending. Every
// kind of local side (path, io.Writer or io.Reader, memory, Handler) runs
// through it as a behaviour.Handler.
type transfer struct {
	s   *settings
	op  behaviour.Access
	t   behaviour.Transfer
	req tftp.Request
	pc  *net.UDPConn
	tr  *tftp.ConnTransport
	p   tftp.Params

	d            *drive.Driver
	verify       *verifier
	bytes, total int64
	res          Result
	start        time.Time
}

// local names the local side of a transfer: the name a registry matches
// (Erlang matches the LOCAL file name on the client side), cleaned and as
// the caller gave it, the handler, and the size of an upload when it is
// known before Prepare (-1 otherwise).
type local struct {
	name, requested string
	h               behaviour.Handler
	size            int64
}

// run performs one transfer of remote with the local side l.
func (c *TFTP) run(ctx context.Context, op behaviour.Access, remote string, l local) (Result, error) {
	x := &transfer{op: op, start: time.Now(), total: -1}
	x.d = drive.New(l.h, &x.t, drive.Config{})
	x.res = Result{Protocol: behaviour.TFTP, Access: op, Remote: remote, Server: c.Addr, Size: -1}
	server := c.Addr
	s, err := c.settings(ctx)
	if err == nil {
		x.s = s
		server = s.server.String() // errors name the address asked, not the TID
		x.res.Server = server
		err = x.run(ctx, remote, l)
	}
	x.res.Duration = time.Since(x.start)
	if err != nil {
		return x.res, newError(behaviour.TFTP, op.String(), remote, server, cause(err))
	}
	return x.res, nil
}

// fail is the outcome of a transfer that could not start.
func (c *TFTP) fail(op behaviour.Access, remote string, err error) (Result, error) {
	return Result{Protocol: behaviour.TFTP, Access: op, Remote: remote, Server: c.Addr, Size: -1}, newError(behaviour.TFTP, op.String(), remote, c.Addr, err)
}

func (x *transfer) run(ctx context.Context, remote string, l local) error {
	if err := x.prepare(ctx, remote, l); err != nil {
		return err
	}
	pc, err := x.s.listen()
	if err != nil {
		return err
	}
	x.pc, x.tr = pc, tftp.NewClientTransport(pc, x.s.server)
	stop := context.AfterFunc(ctx, x.tr.Interrupt)
	first, err := x.handshake(ctx)
	if err == nil {
		err = x.negotiate(first)
	}
	if err == nil {
		err = x.open(ctx)
	}
	if err != nil {
		stop()
		x.refuse(err)
		pc.Close()
		return err
	}
	err = x.move(ctx, first, stop)
	if err != nil {
		x.d.Abort(cause(err))
	}
	return err
}

// refuse tells the server why the client will not go on, once the server
// has a transfer ID to tell, unless the server itself ended the transfer.
func (x *transfer) refuse(err error) {
	if !x.tr.Learned() || isServerError(err) {
		return
	}
	_ = x.tr.Send(tftp.AppendError(nil, wire.TFTPCode(err), behaviour.PeerMessage(err)))
}

// open hands the options the server accepted to the local handler.
func (x *transfer) open(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := x.d.Open(ctx); err != nil {
		return err
	}
	x.report()
	return nil
}

func (x *transfer) report() {
	if f := x.s.c.Progress; f != nil {
		f(Progress{Access: x.op, Remote: x.req.Filename, Bytes: x.bytes, Total: x.total})
	}
}

// record copies the engine's statistics into the result.
func (x *transfer) record(st tftp.Stats) {
	x.res.Bytes = x.bytes
	x.res.Blocks = st.Blocks
	x.res.Retransmits += st.Retransmits
}
