package tftp

import (
	"time"
)

// receiver is the receiving half of a transfer: ServeWrite on the server
// and a client's read both run it. It acknowledges every p.WindowSize
// blocks (RFC 7440), at once on a gap, and again on a timeout.
type receiver struct {
	*link
	dst Sink
	// reply is the packet that answers the peer's last good packet, sent
	// again when the peer repeats itself or falls silent: ACK n, or before
	// any data the OACK, ACK 0 or a client's request.
	reply []byte
	abuf  [headerSize]byte
	// next is the next expected block and acked the last one acknowledged,
	// counted in 64 bits.
	next, acked uint64
	// inWindow counts the blocks received since the last ACK.
	inWindow int
	// repliedAt is when reply was last sent, and echoed whether a
	// duplicate or gap has already been answered since new data arrived.
	repliedAt time.Time
	echoed    bool
}

func newReceiver(l *link, dst Sink, reply []byte) *receiver {
	return &receiver{link: l, dst: dst, reply: reply, next: 1}
}

// run sends the opening reply and receives every block; it returns after
// the final block was written to dst and acknowledged, without dallying.
func (r *receiver) run() error {
	if err := r.sendReply(); err != nil {
		return err
	}
	deadline := r.deadline(r.repliedAt)
	for {
		pk, err := r.recv(deadline)
		progress, done, err := r.handle(pk, err)
		if done || err != nil {
			return err
		}
		if progress {
			deadline = r.deadline(time.Now())
		}
	}
}

// handle reacts to one packet or timeout. progress reports that new data
// arrived or a reply went out, which restarts the timer; packets that change
// nothing do not, so a peer repeating itself cannot keep a transfer alive.
func (r *receiver) handle(pk Packet, err error) (progress, done bool, _ error) {
	switch {
	case err == errTimedOut:
		return true, false, r.silence()
	case err != nil:
		return false, true, err
	case pk.Op == OpData:
		return r.data(pk)
	case pk.Op == OpOACK && r.next == 1:
		return r.echo() // a server repeating its OACK: our ACK 0 was lost
	case pk.Op == OpError:
		return false, true, r.peerError(pk, ErrPeer)
	}
	return false, false, nil
}

// data handles one DATA packet. A block after the expected one is a gap (a
// block of the window was lost) and a block of the last acknowledged window
// a repeat (our ACK was lost): both are answered by acknowledging what
// arrived in order. Copies of blocks received since the last ACK (network
// duplicates) and older blocks (stale) are ignored: answering them would
// look like loss to the sender.
func (r *receiver) data(pk Packet) (progress, done bool, err error) {
	if len(pk.Payload) > r.p.BlockSize {
		return false, true, protocolError("block larger than blksize")
	}
	if pk.Block == uint16(r.next) {
		done, err = r.accept(pk.Payload)
		return true, done || err != nil, err
	}
	if ahead := pk.Block - uint16(r.next); ahead < 1<<15 {
		return r.echo()
	}
	behind := uint64(uint16(r.next) - pk.Block)
	if behind >= r.next {
		return false, false, nil // before block 1
	}
	block := r.next - behind
	if block > r.acked || block+uint64(r.p.WindowSize) <= r.acked {
		return false, false, nil
	}
	return r.echo()
}

// accept delivers the expected block and acknowledges it when the window is
// complete or the file ended.
func (r *receiver) accept(payload []byte) (done bool, err error) {
	last := len(payload) < r.p.BlockSize
	if err := r.dst.Write(payload, last); err != nil {
		return true, err
	}
	r.stats.Bytes += int64(len(payload))
	r.stats.Blocks++
	r.next++
	r.retries = 0
	r.echoed = false
	r.inWindow++
	if last || r.inWindow >= r.p.WindowSize {
		return last, r.ack()
	}
	return false, nil
}

// ack acknowledges every block before next.
func (r *receiver) ack() error {
	r.acked = r.next - 1
	r.reply = AppendAck(r.abuf[:0], uint16(r.acked))
	return r.sendReply()
}

func (r *receiver) sendReply() error {
	r.inWindow = 0
	r.repliedAt = time.Now()
	return r.tr.Send(r.reply)
}

// echo answers a duplicate, a gap or a repeated OACK by sending the reply
// again: at once for the first such packet since new data arrived, then at
// most once per quarter timeout, so that a burst of duplicates (a window
// resent, or a network that duplicates) costs one packet, not one each.
func (r *receiver) echo() (progress, done bool, err error) {
	if r.echoed && time.Since(r.repliedAt) < r.p.Timeout/4 {
		return false, false, nil
	}
	r.echoed = true
	r.stats.Retransmits++
	err = r.ackOrReply()
	return true, err != nil, err
}

// silence handles a timeout: the peer gets the reply again (a partial window
// is acknowledged as far as it goes) until the retry budget is spent.
func (r *receiver) silence() error {
	if err := r.retry(); err != nil {
		return err
	}
	r.stats.Retransmits++
	return r.ackOrReply()
}

func (r *receiver) ackOrReply() error {
	if r.next > 1 {
		return r.ack()
	}
	return r.sendReply()
}
