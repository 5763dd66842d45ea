package tftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// Source is what a read transfer sends: the caller's wrapper around the
// handler's Read. It is an io.Reader: Read may return any length, and
// io.EOF with or without bytes after the last byte. The engine cuts blocks.
type Source = io.Reader

// Sink is what a write transfer delivers to: the caller's wrapper around the
// handler's Write. Write receives the payload of each block as it arrives
// (p is reused after Write returns); last marks the final call, which may
// carry no bytes, and a nil error from it commits the file.
type Sink interface {
	Write(p []byte, last bool) error
}

// Stats describe one transfer, for hooks and logs.
type Stats struct {
	// Bytes is the number of file bytes moved (after netascii translation
	// on the wire side: the octets in DATA payloads).
	Bytes int64
	// Blocks is the number of distinct DATA blocks moved, the final empty
	// block included.
	Blocks int64
	// Retransmits counts the packets sent again after a timeout or a
	// duplicate.
	Retransmits int
	Duration    time.Duration
	// PeerError is the ERROR the peer sent, when it ended the transfer.
	PeerError *behaviour.Error
}

// Sentinels of the endings that are not the caller's or the handler's own
// errors. The engine returns them wrapped in a *behaviour.Error that carries
// the code and the message; test them with errors.Is.
var (
	// ErrTimeout: the peer did not answer within the retry budget.
	ErrTimeout = errors.New("tftp: peer stopped answering")
	// ErrPeer: the peer ended the transfer with an ERROR packet. The
	// returned *behaviour.Error carries the peer's code and message.
	ErrPeer = errors.New("tftp: peer sent an error")
	// ErrDeclined: the peer answered the OACK with ERROR 8, a quiet end
	// (UEFI firmware asks for tsize and then aborts). It wraps ErrPeer.
	ErrDeclined = fmt.Errorf("tftp: peer declined the options: %w", ErrPeer)
	// ErrProtocol: the peer broke the protocol (a DATA larger than the
	// block size, a packet of the wrong direction).
	ErrProtocol = errors.New("tftp: protocol violation")
)

// ServeRead sends the file from src to the peer of an RRQ: the OACK when
// oack is not empty (waiting for ACK 0; a peer ERROR 8 there ends quietly
// with ErrDeclined), then DATA blocks of p.BlockSize in windows of
// p.WindowSize (RFC 7440), each window retransmitted after p.Timeout at most
// p.Retries times. A duplicate ACK of the previous window's end resends at
// once, but only when it arrives after half a timeout (a peer that timed
// out), so that duplicated ACKs never multiply the DATA (Sorcerer's
// Apprentice). Stale ACKs are ignored; the window halves on loss and grows
// back by one block per clean window. Block numbers roll over from 65535 to
// 0 without a size limit; a file whose size is a multiple of the block size
// ends with an empty block. In netascii mode src is translated on the fly.
//
// On failure the peer gets an ERROR with wire.TFTPCode(err) and
// behaviour.PeerMessage(err), unless the peer itself sent one; the error is
// returned. Cancelling ctx ends the transfer the same way.
func ServeRead(ctx context.Context, tr Transport, p Params, oack behaviour.Options, src Source) (Stats, error) {
	l := newLink(ctx, tr, p, ackBufSize)
	defer l.watch()()
	defer track()()
	if l.p.Mode == behaviour.Netascii {
		src = toNetascii(src)
	}
	if oack.Len() > 0 {
		if _, err := l.exchange(AppendOACK(nil, oack), ackZero, true); err != nil {
			return l.finish(err)
		}
	}
	return l.finish(newSender(l, src).run())
}

// ackBufSize is the receive buffer of a sender: room for an ACK, an ERROR
// with a full message, or an OACK.
const ackBufSize = MaxRequestSize

func ackZero(pk Packet) bool { return pk.Op == OpAck && pk.Block == 0 }

// ServeWrite receives a file from the peer of a WRQ into dst: it sends the
// OACK when oack is not empty, ACK 0 otherwise, then receives DATA blocks,
// acknowledging every p.WindowSize blocks and at once on a gap, re-ACKing
// duplicates, refusing a DATA longer than p.BlockSize with ERROR 4. After the
// final block (shorter than p.BlockSize) it calls dst.Write(..., true),
// sends the final ACK and, unless p.SkipDally, dallies (see [Dally]) before
// it returns. Errors as for ServeRead.
func ServeWrite(ctx context.Context, tr Transport, p Params, oack behaviour.Options, dst Sink) (Stats, error) {
	l := newLink(ctx, tr, p, dataBufSize(p.BlockSize))
	defer l.watch()()
	defer track()()
	reply := AppendAck(nil, 0)
	if oack.Len() > 0 {
		reply = AppendOACK(nil, oack)
	}
	r := newReceiver(l, sinkFor(dst, l.p), reply)
	if err := r.run(); err != nil {
		return l.finish(err)
	}
	st, _ := l.finish(nil)
	if !l.p.SkipDally {
		dally(l, r.reply)
	}
	return st, nil
}

// dataBufSize is the receive buffer of a receiver: one byte more than the
// largest DATA, so that a longer one is seen and refused, and never less
// than an OACK or ERROR needs.
func dataBufSize(blockSize int) int {
	return max(headerSize+min(max(blockSize, MinBlockSize), MaxBlockSize)+1, MaxRequestSize)
}

func sinkFor(dst Sink, p Params) Sink {
	if p.Mode == behaviour.Netascii {
		return newNetasciiSink(dst, p.BlockSize)
	}
	return dst
}
