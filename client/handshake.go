package client

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// reply is the server's first answer to a request that the client accepts:
// an OACK, the first DATA of a download or ACK 0 of an upload.
type reply struct {
	op      tftp.Opcode
	options behaviour.Options
	// packet is the whole first DATA, when the server answered a read
	// with data (it ignored every option).
	packet []byte
}

// errSilent is what awaitReply returns when the deadline passed.
var errSilent = errors.New("no reply")

// handshake sends the request and waits for the server's first answer,
// sending the request again after each timeout within the retry budget.
func (x *transfer) handshake(ctx context.Context) (reply, error) {
	pkt := tftp.AppendRequest(nil, x.req)
	buf := make([]byte, replyBufSize(x.req))
	for tries := 0; ; tries++ {
		if err := x.tr.Send(pkt); err != nil {
			return reply{}, err
		}
		r, err := x.awaitReply(ctx, buf, time.Now().Add(x.s.base.Timeout))
		if err != errSilent {
			return r, err
		}
		if tries >= x.s.base.Retries {
			return reply{}, &behaviour.Error{Code: behaviour.CodeUndefined, Message: "timed out", Err: tftp.ErrTimeout}
		}
		x.res.Retransmits++
	}
}

// replyBufSize leaves room for one byte more than the largest DATA the
// request allows, so that a longer one is seen and refused.
func replyBufSize(req tftp.Request) int {
	blk := int64(tftp.DefaultBlockSize)
	if v, ok := req.Options.Int(tftp.OptBlockSize); ok {
		blk = max(blk, v)
	}
	return max(int(blk)+5, tftp.MaxRequestSize)
}

func (x *transfer) awaitReply(ctx context.Context, buf []byte, deadline time.Time) (reply, error) {
	n, err := x.tr.Recv(buf, deadline)
	switch {
	case ctx.Err() != nil:
		return reply{}, ctx.Err()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return reply{}, errSilent
	case err != nil:
		return reply{}, err
	}
	pk, err := tftp.ParsePacket(buf[:n])
	if err != nil {
		return reply{}, protocolError(behaviour.CodeIllegalOperation, "malformed reply")
	}
	return x.firstReply(pk, buf[:n])
}

// firstReply classifies the server's first packet: the ones that open the
// transfer in the request's direction, the server's ERROR, or a protocol
// violation (an ACK answering a read, a DATA answering a write, a block
// other than the first).
func (x *transfer) firstReply(pk tftp.Packet, raw []byte) (reply, error) {
	read := x.op == behaviour.Read
	switch {
	case pk.Op == tftp.OpError:
		return reply{}, &behaviour.Error{Code: pk.Code, Message: pk.Message, Err: tftp.ErrPeer}
	case pk.Op == tftp.OpOACK:
		return reply{op: pk.Op, options: pk.Options}, nil
	case read && pk.Op == tftp.OpData && pk.Block == 1:
		return reply{op: pk.Op, packet: append([]byte(nil), raw...)}, nil
	case !read && pk.Op == tftp.OpAck && pk.Block == 0:
		return reply{op: pk.Op}, nil
	case read && pk.Op == tftp.OpAck:
		return reply{}, protocolError(behaviour.CodeIllegalOperation, "ACK answering a read request")
	case !read && pk.Op == tftp.OpData:
		return reply{}, protocolError(behaviour.CodeIllegalOperation, "DATA answering a write request")
	}
	return reply{}, protocolError(behaviour.CodeIllegalOperation, "unexpected block number")
}
