package tftp

import (
	"context"
	"encoding/binary"
	"time"
)

// Dally serves the peer of a write that ServeWrite finished with
// p.SkipDally: it acknowledges the final block again whenever the peer
// repeats it (the peer's copy of the final ACK was lost), and returns after
// the peer has been silent for two timeouts, or when ctx ends. st is what
// ServeWrite returned. One timeout would not do: the peer's retransmission
// timer starts at almost the same moment as ours and the two would race.
func Dally(ctx context.Context, tr Transport, p Params, st Stats) {
	l := newLink(ctx, tr, p, dataBufSize(p.BlockSize))
	defer l.watch()()
	dally(l, AppendAck(nil, uint16(st.Blocks)))
}

// dally re-sends finalAck for every repeat of the final block.
func dally(l *link, finalAck []byte) {
	final := binary.BigEndian.Uint16(finalAck[2:])
	deadline := l.deadlineAfter(time.Now(), 2*l.p.Timeout)
	for {
		pk, err := l.recv(deadline)
		if err != nil {
			return
		}
		if pk.Op == OpData && pk.Block == final {
			_ = l.tr.Send(finalAck)
			deadline = l.deadlineAfter(time.Now(), 2*l.p.Timeout)
		}
	}
}
