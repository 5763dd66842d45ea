package client

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// move runs the engine's state machine for the data: the receiver for a
// download, the sender for an upload. stop ends the watch on ctx that
// interrupts the handshake. The socket is closed when move returns, or after
// the lingering a download's final ACK may need.
func (x *transfer) move(ctx context.Context, first reply, stop func() bool) error {
	x.sizeBuffer()
	if x.op == OpWrite {
		defer x.pc.Close()
		defer stop()
		return x.upload(ctx)
	}
	l := &downlink{transport: x.tr}
	if first.op == tftp.OpData {
		l.pending, l.mute = first.packet, true
	}
	// After the handshake a download is the receiving half of a transfer:
	// what the server side of a write runs, whose opening reply (ACK 0) is
	// the answer to the OACK.
	st, err := tftp.ServeWrite(ctx, l, x.p, behaviour.Options{}, commitSink{sink{x}, l})
	x.record(st)
	stop()
	if err != nil || l.finalAck == nil {
		x.pc.Close()
		return err
	}
	go linger(x.tr, x.pc, l.finalAck, x.p.Timeout)
	return nil
}

// sizeBuffer makes the socket's receive buffer hold a window of blocks
// twice over (the kernel counts more than the payload per datagram), so that
// a window is not dropped before the receiver reads it. The system may cap
// it (net.core.rmem_max); a smaller buffer only costs retransmissions.
func (x *transfer) sizeBuffer() {
	if x.op == OpRead && x.p.WindowSize > 1 {
		_ = x.pc.SetReadBuffer(min(4*x.p.WindowSize*(x.p.BlockSize+512), 16<<20))
	}
}

// upload runs the sender. After the handshake an upload is the sending half
// of a transfer from block 1: what the server side of a read runs after
// ACK 0.
//
// Some servers (Erlang's) end their transfer with the final ACK and do not
// acknowledge the final DATA again when that ACK is lost. When every block
// but the final one was acknowledged and the final one was sent through the
// whole retry budget, the upload is reported as a success, marked
// Result.Unconfirmed.
func (x *transfer) upload(ctx context.Context) error {
	l := &uplink{transport: x.tr} // the handshake acknowledged block 0
	st, err := tftp.ServeRead(ctx, l, x.p, behaviour.Options{}, source{x})
	x.record(st)
	if errors.Is(err, tftp.ErrTimeout) && x.ended && l.lastAck == uint16(st.Blocks-1) {
		x.res.Unconfirmed = true
		return nil
	}
	return err
}

// uplink remembers the last ACK the server sent during an upload.
type uplink struct {
	*transport
	lastAck uint16
}

func (l *uplink) Recv(buf []byte, deadline time.Time) (int, error) {
	n, err := l.transport.Recv(buf, deadline)
	if err == nil && n == 4 && binary.BigEndian.Uint16(buf) == uint16(tftp.OpAck) {
		l.lastAck = binary.BigEndian.Uint16(buf[2:])
	}
	return n, err
}

// downlink adapts the client's transport to the engine's receiver, which
// is written for the server end of a write: it hands the receiver a DATA 1
// that already answered the request (and swallows the ACK 0 the receiver
// would open with), and it ends the receiver's dally as soon as the final
// ACK is out, so that the caller learns of its success at once; linger then
// does the dallying in the background.
type downlink struct {
	*transport
	pending   []byte
	mute      bool
	committed bool
	finalAck  []byte
}

func (l *downlink) Send(b []byte) error {
	if l.mute {
		l.mute = false
		return nil
	}
	if l.committed && l.finalAck == nil {
		l.finalAck = append([]byte(nil), b...)
	}
	return l.transport.Send(b)
}

func (l *downlink) Recv(buf []byte, deadline time.Time) (int, error) {
	if l.pending != nil {
		n := copy(buf, l.pending)
		l.pending = nil
		return n, nil
	}
	if l.finalAck != nil {
		return 0, tftp.ErrInterrupted
	}
	return l.transport.Recv(buf, deadline)
}

// commitSink tells the downlink when the final block is committed: the
// receiver's next packet is the final ACK.
type commitSink struct {
	sink
	l *downlink
}

func (k commitSink) Write(p []byte, last bool) error {
	err := k.sink.Write(p, last)
	k.l.committed = last && err == nil
	return err
}

// linger keeps the socket of a finished download for one timeout and
// acknowledges the final DATA again if the server repeats it (the final ACK
// was lost), so that the server ends cleanly too. Then it closes the socket.
func linger(tr *transport, pc interface{ Close() error }, finalAck []byte, timeout time.Duration) {
	defer pc.Close()
	final := binary.BigEndian.Uint16(finalAck[2:])
	buf := make([]byte, tftp.MaxRequestSize)
	deadline := time.Now().Add(timeout)
	for {
		n, err := tr.Recv(buf, deadline)
		if err != nil {
			return
		}
		if pk, err := tftp.ParsePacket(buf[:n]); err == nil && pk.Op == tftp.OpData && pk.Block == final {
			_ = tr.Send(finalAck)
		}
	}
}
