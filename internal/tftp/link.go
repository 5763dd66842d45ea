package tftp

import (
	"context"
	"errors"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

// link is the part of a transfer both state machines share: the transport,
// the parameters, the receive buffer, the retry budget and the statistics.
type link struct {
	tr      Transport
	p       Params
	ctx     context.Context
	rbuf    []byte
	ebuf    []byte
	retries int
	stats   Stats
	start   time.Time
	// peerEnded is set when the peer sent an ERROR: the engine then sends
	// none back.
	peerEnded bool
}

func newLink(ctx context.Context, tr Transport, p Params, rbufSize int) *link {
	fillDefaults(&p)
	if p.BlockSize < MinBlockSize || p.BlockSize > MaxBlockSize {
		p.BlockSize = DefaultBlockSize
	}
	p.WindowSize = min(max(p.WindowSize, 1), 65535)
	return &link{tr: tr, p: p, ctx: ctx, rbuf: make([]byte, rbufSize), start: time.Now()}
}

// watch interrupts the transport when ctx is cancelled; call the returned
// function when the transfer ends.
func (l *link) watch() (stop func() bool) {
	in, ok := l.tr.(Interrupter)
	if !ok {
		return func() bool { return true }
	}
	return context.AfterFunc(l.ctx, in.Interrupt)
}

// deadline returns now plus the timeout, rounded up to an eighth of the
// timeout. The rounding lets ConnTransport skip SetReadDeadline for packets
// that follow each other quickly, at the price of waiting up to 12.5% longer.
func (l *link) deadline(now time.Time) time.Time { return l.deadlineAfter(now, l.p.Timeout) }

func (l *link) deadlineAfter(now time.Time, d time.Duration) time.Time {
	g := max(d/8, time.Millisecond)
	ns := now.Add(d).UnixNano()
	return time.Unix(0, (ns+int64(g)-1)/int64(g)*int64(g))
}

// errTimedOut is what recv returns when the deadline passed.
var errTimedOut = errors.New("timeout")

// recv returns the next packet from the peer that parses; unparsable
// datagrams are ignored like stale ones. It returns errTimedOut when the
// deadline passes, and the context's error when the transfer was cancelled.
func (l *link) recv(deadline time.Time) (Packet, error) {
	for {
		n, err := l.tr.Recv(l.rbuf, deadline)
		if err != nil {
			return Packet{}, l.recvError(err)
		}
		pk, err := ParsePacket(l.rbuf[:n])
		if err == nil {
			return pk, nil
		}
	}
}

func (l *link) recvError(err error) error {
	if cerr := l.ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, ErrInterrupted) {
		return context.Canceled
	}
	if isTimeout(err) {
		return errTimedOut
	}
	return err
}

// retry spends one retransmission of the budget, or returns the timeout
// error when it is spent.
func (l *link) retry() error {
	if err := l.ctx.Err(); err != nil {
		return err
	}
	if l.retries >= l.p.Retries {
		return &behaviour.Error{Code: behaviour.CodeUndefined, Message: "timed out", Err: ErrTimeout}
	}
	l.retries++
	return nil
}

// peerError ends the transfer on an ERROR from the peer.
func (l *link) peerError(pk Packet, cause error) error {
	l.peerEnded = true
	e := &behaviour.Error{Code: pk.Code, Message: pk.Message, Err: cause}
	l.stats.PeerError = e
	return e
}

// finish completes the statistics and, unless the peer ended the transfer,
// tells the peer why it failed.
func (l *link) finish(err error) (Stats, error) {
	l.stats.Duration = time.Since(l.start)
	if err != nil && !l.peerEnded {
		l.ebuf = AppendError(l.ebuf[:0], wire.TFTPCode(err), behaviour.PeerMessage(err))
		_ = l.tr.Send(l.ebuf)
	}
	return l.stats, err
}

func protocolError(msg string) error {
	return &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: msg, Err: ErrProtocol}
}

// exchange sends pkt and waits for a packet that want accepts, sending pkt
// again after each timeout within the retry budget. It opens a transfer: a
// server's OACK waiting for ACK 0, a client's request waiting for the first
// reply. An ERROR ends it; with declinable, an ERROR 8 is the peer quietly
// declining the options (ErrDeclined).
func (l *link) exchange(pkt []byte, want func(Packet) bool, declinable bool) (Packet, error) {
	for {
		if err := l.tr.Send(pkt); err != nil {
			return Packet{}, err
		}
		pk, err := l.awaitReply(l.deadline(time.Now()), want, declinable)
		if err != errTimedOut {
			l.retries = 0
			return pk, err
		}
		if err := l.retry(); err != nil {
			return Packet{}, err
		}
		l.stats.Retransmits++
	}
}

func (l *link) awaitReply(deadline time.Time, want func(Packet) bool, declinable bool) (Packet, error) {
	for {
		pk, err := l.recv(deadline)
		switch {
		case err != nil:
			return Packet{}, err
		case pk.Op == OpError && declinable && pk.Code == behaviour.CodeOptionRefused:
			return Packet{}, l.peerError(pk, ErrDeclined)
		case pk.Op == OpError:
			return Packet{}, l.peerError(pk, ErrPeer)
		case want(pk):
			return pk, nil
		}
	}
}
