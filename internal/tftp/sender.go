package tftp

import (
	"encoding/binary"
	"io"
	"time"
)

// sender is the sending half of a transfer (RFC 1350 with RFC 7440
// windows): ServeRead on the server and a client's write both run it from
// block 1. Block numbers are counted in 64 bits and put on the wire modulo
// 65536, so the transfer rolls over without a size limit.
//
// Under loss the window shrinks and grows back, without breaking the
// cadence of receivers that acknowledge only full windows: a round sends
// the current (shrunk) window, pauses a few round trips for the network to
// drain or for an early ACK, then completes the negotiated window.
type sender struct {
	*link
	src io.Reader
	// slots hold the DATA packets of the current window, header included,
	// encoded in place so that a retransmission is a plain Send.
	slots [][]byte
	// base is the first block not yet acknowledged, next the next block to
	// send, sent the first block never sent, filled the first block not yet
	// read from src.
	base, next, sent, filled uint64
	// last is the final block, known once src reported EOF.
	last uint64
	eof  bool
	// readErr is the error src gave while blocks were read ahead; it ends
	// the transfer only when the block it failed is due.
	readErr error
	// readAt is when the last read ahead ended: the wait for an ACK
	// starts then at the earliest.
	readAt time.Time
	// out collects the datagrams of one round, sent with one call when
	// the transport can (BatchSender).
	out [][]byte
	// window is the current window, between 1 and p.WindowSize.
	window int
	// sentAt is when the last block of the current round was sent.
	sentAt time.Time
	// rtt is a smoothed round-trip time, from the clean rounds.
	rtt time.Duration
}

// readAheadBytes bounds the blocks read from src beyond the window while
// the sender waits for an ACK: at least one block, at most a window. The
// blocks not read ahead are read after the ACK, before the next window
// goes out, while the peer waits: at 64 KiB a window of 64 blocks of 1468
// bytes had 20 of them to read then. atftp fetching 64 MiB from our daemon
// at windowsize 64, alternating with atftpd for 24 rounds, twice: 1.10x and
// 1.18x atftpd's speed with 64 KiB, 1.20x and 1.26x with 128 KiB.
const readAheadBytes = 128 << 10

func newSender(l *link, src io.Reader) *sender {
	s := &sender{link: l, src: src, base: 1, next: 1, sent: 1, filled: 1, window: l.p.WindowSize}
	size := l.p.BlockSize + headerSize
	n := l.p.WindowSize + min(max(readAheadBytes/l.p.BlockSize, 1), l.p.WindowSize)
	buf := make([]byte, n*size)
	s.slots = make([][]byte, n)
	for i := range s.slots {
		s.slots[i] = buf[i*size : i*size : (i+1)*size]
	}
	return s
}

// run sends every block and returns when the final one is acknowledged.
func (s *sender) run() error {
	for {
		if err := s.send(s.window); err != nil {
			return err
		}
		s.readAhead()
		if s.window < s.p.WindowSize && s.pending(s.p.WindowSize) {
			done, moved, err := s.await(s.probe(), false)
			if done || err != nil {
				return err
			}
			if moved {
				continue
			}
			if err := s.send(s.p.WindowSize); err != nil {
				return err
			}
		}
		if done, err := s.awaitRound(); done || err != nil {
			return err
		}
	}
}

// pending reports whether a window of n blocks from base holds blocks not
// sent in this round.
func (s *sender) pending(n int) bool {
	return s.next < s.base+uint64(n) && !(s.eof && s.next > s.last)
}

// send sends blocks next .. base+n-1, reading new ones from src.
func (s *sender) send(n int) error {
	for s.pending(n) {
		if s.next == s.filled {
			if s.readErr == nil {
				s.readErr = s.fill()
			}
			if s.readErr != nil {
				return s.readErr
			}
		}
		b := s.slot(s.next)
		if s.next < s.sent {
			s.stats.Retransmits++
		} else {
			s.stats.Bytes += int64(len(b) - headerSize)
			s.stats.Blocks++
		}
		s.out = append(s.out, b)
		s.next++
	}
	err := sendAll(s.tr, s.out)
	clear(s.out)
	s.out = s.out[:0]
	if err != nil {
		return err
	}
	s.sent = max(s.sent, s.next)
	s.sentAt = time.Now()
	return nil
}

// slot returns the DATA packet of block, which must be in the window.
func (s *sender) slot(block uint64) []byte { return s.slots[block%uint64(len(s.slots))] }

// fill reads block s.filled from src straight into its slot, behind the
// header, so that no byte is copied between the source and the socket.
func (s *sender) fill() error {
	i := s.filled % uint64(len(s.slots))
	b := s.slots[i][:cap(s.slots[i])]
	n, err := readBlock(s.src, b[headerSize:])
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint16(b, uint16(OpData))
	binary.BigEndian.PutUint16(b[2:], uint16(s.filled))
	s.slots[i] = b[:headerSize+n]
	if n < s.p.BlockSize {
		s.eof, s.last = true, s.filled
	}
	s.filled++
	return nil
}

// readAhead reads the blocks of the next round from src while the peer
// handles this one (as tftpd-hpa does), so that a read from a disk or a
// handler is off the path of the round trip. A read error is kept for when
// its block is due: the blocks before it still go out.
func (s *sender) readAhead() {
	if !s.roomAhead() {
		return
	}
	for s.roomAhead() {
		s.readErr = s.fill()
	}
	s.readAt = time.Now()
}

// roomAhead reports whether a block can be read ahead: src has more, and
// its slot is not one of the unacknowledged blocks.
func (s *sender) roomAhead() bool {
	return !s.eof && s.readErr == nil && s.filled < s.base+uint64(len(s.slots))
}

// readBlock fills p from r like io.ReadFull, but an early EOF is the end of
// the file, not an error.
func readBlock(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// probe is the deadline of the pause after a shrunk window: two round
// trips, at least a millisecond, at most a quarter of the timeout.
func (s *sender) probe() time.Time {
	return s.sentAt.Add(min(max(2*s.rtt, time.Millisecond), s.p.Timeout/4))
}

// awaitRound waits for the acknowledgement of the round, resending after a
// timeout. done reports that the final block is acknowledged.
func (s *sender) awaitRound() (done bool, err error) {
	done, _, err = s.await(s.deadline(s.waitStart()), true)
	return done, err
}

// waitStart is when the wait for the round's ACK began: after the round
// was sent and the next one read ahead, so that a slow read does not pass
// for the peer's silence.
func (s *sender) waitStart() time.Time {
	if s.readAt.After(s.sentAt) {
		return s.readAt
	}
	return s.sentAt
}

// await waits until deadline for an ACK that moves the window. moved
// reports that the caller must send a round: new blocks, or lost ones again.
// When the deadline passes, a timeout (final) is a loss; a probe is not.
func (s *sender) await(deadline time.Time, final bool) (done, moved bool, err error) {
	for {
		pk, err := s.recv(deadline)
		switch {
		case err == errTimedOut && final:
			return false, true, s.lost()
		case err == errTimedOut:
			return false, false, nil
		case err != nil:
			return false, false, err
		case pk.Op == OpAck:
			done, moved, err = s.ack(pk.Block)
		case pk.Op == OpOACK && s.base == 1:
			// A server repeating its OACK to a client's WRQ did not see
			// DATA 1: the OACK stands for ACK 0.
			moved, err = s.duplicate()
		case pk.Op == OpError:
			return false, false, s.peerError(pk, ErrPeer)
		}
		if done || moved || err != nil {
			return done, moved, err
		}
	}
}

// ack handles ACK block. moved reports that the caller must send a round.
func (s *sender) ack(block uint16) (done, moved bool, err error) {
	delta := uint64(block - uint16(s.base-1))
	switch {
	case delta == 0:
		moved, err = s.duplicate()
		return false, moved, err
	case delta > s.sent-s.base:
		return false, false, nil // stale, or never sent: ignore
	}
	s.base += delta
	s.retries = 0
	if s.eof && s.base > s.last {
		return true, true, nil
	}
	if s.base >= s.next {
		// Everything sent in this round arrived (an ACK can even cover an
		// earlier round's blocks that were resent needlessly).
		s.next = s.base
		s.window = min(s.window+1, s.p.WindowSize)
		s.measure()
	} else {
		// The peer saw a gap: resend from the first missing block with a
		// smaller window (RFC 7440, section 4).
		s.window = max(s.window/2, 1)
		s.next = s.base
	}
	return false, true, nil
}

// measure folds the round trip of a clean round into rtt.
func (s *sender) measure() {
	sample := time.Since(s.sentAt)
	if s.rtt == 0 {
		s.rtt = sample
		return
	}
	s.rtt += (sample - s.rtt) / 8
}

// duplicate handles a repeated ACK of the block before the window. Right
// after a round it is a network duplicate or the echo of an ACK the peer
// sent twice, and resending would double the traffic (Sorcerer's
// Apprentice); half a timeout later it means the peer timed out waiting, and
// the round is resent at once.
func (s *sender) duplicate() (moved bool, err error) {
	if time.Since(s.waitStart()) < s.p.Timeout/2 {
		return false, nil
	}
	return true, s.lost()
}

// lost prepares a resend of the unacknowledged blocks with a halved window.
func (s *sender) lost() error {
	if err := s.retry(); err != nil {
		return err
	}
	s.window = max(s.window/2, 1)
	s.next = s.base
	return nil
}
