package tftp

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// rawReceiver is a minimal TFTP receiver written straight against the wire
// format, independent of the engine's receiver: it checks the engine's
// sender in tests and drives it in benchmarks. It accepts an OACK (answering
// ACK 0), acknowledges every window blocks and the final block, and
// re-acknowledges anything out of order.
type rawReceiver struct {
	conn      *net.UDPConn
	blockSize int
	window    int
	// onData sees each new block's payload; it may be nil.
	onData func([]byte)
	// ackTwice sends every ACK two times (Sorcerer's Apprentice bait).
	ackTwice bool
	buf      []byte
	ack      [4]byte
}

func newRawReceiver(conn *net.UDPConn, blockSize, window int) *rawReceiver {
	return &rawReceiver{conn: conn, blockSize: blockSize, window: window, buf: make([]byte, blockSize+headerSize+1)}
}

// run receives one file from whoever sends first and returns the number of
// blocks and bytes. It gives up after idle without a packet.
func (r *rawReceiver) run(idle time.Duration) (blocks, bytes int64, err error) {
	var peer netip.AddrPort
	expect := uint16(1)
	inWindow := 0
	deadline := time.Now().Add(idle)
	if err := r.conn.SetReadDeadline(deadline); err != nil {
		return 0, 0, err
	}
	for {
		n, from, err := r.conn.ReadFromUDPAddrPort(r.buf)
		if err != nil {
			return blocks, bytes, err
		}
		if !peer.IsValid() {
			peer = from
		}
		if blocks%4096 == 0 {
			_ = r.conn.SetReadDeadline(time.Now().Add(idle))
		}
		if n < 4 {
			continue
		}
		switch Opcode(binary.BigEndian.Uint16(r.buf)) {
		case OpOACK:
			r.sendAck(peer, 0)
		case OpError:
			return blocks, bytes, errors.New("sender sent ERROR")
		case OpData:
			if n-headerSize > r.blockSize {
				return blocks, bytes, errors.New("DATA longer than the block size")
			}
			if binary.BigEndian.Uint16(r.buf[2:]) != expect {
				r.sendAck(peer, expect-1)
				inWindow = 0
				continue
			}
			if r.onData != nil {
				r.onData(r.buf[headerSize:n])
			}
			blocks++
			bytes += int64(n - headerSize)
			expect++
			inWindow++
			last := n-headerSize < r.blockSize
			if last || inWindow == r.window {
				r.sendAck(peer, expect-1)
				inWindow = 0
			}
			if last {
				return blocks, bytes, nil
			}
		}
	}
}

func (r *rawReceiver) sendAck(peer netip.AddrPort, block uint16) {
	binary.BigEndian.PutUint16(r.ack[:], uint16(OpAck))
	binary.BigEndian.PutUint16(r.ack[2:], block)
	_, _ = r.conn.WriteToUDPAddrPort(r.ack[:], peer)
	if r.ackTwice {
		_, _ = r.conn.WriteToUDPAddrPort(r.ack[:], peer)
	}
}

// patternReader yields n bytes of a fixed pattern without allocating.
type patternReader struct {
	n   int64
	off int64
}

var pattern = func() []byte {
	b := make([]byte, 1<<16)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}()

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	m := copy(b[:min(int64(len(b)), p.n-p.off)], pattern[p.off%int64(len(pattern)):])
	p.off += int64(m)
	return m, nil
}

// counting is a Transport that counts the packets sent, by opcode, and can
// drop chosen ones on their way out.
type counting struct {
	Transport
	mu   sync.Mutex
	sent map[Opcode]int
	// drop, when set, is asked about every packet; true loses it.
	drop func(b []byte) bool
}

func newCounting(tr Transport) *counting { return &counting{Transport: tr, sent: map[Opcode]int{}} }

func (c *counting) Send(b []byte) error {
	c.mu.Lock()
	c.sent[Opcode(binary.BigEndian.Uint16(b))]++
	drop := c.drop != nil && c.drop(b)
	c.mu.Unlock()
	if drop {
		return nil
	}
	return c.Transport.Send(b)
}

func (c *counting) count(op Opcode) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent[op]
}

func (c *counting) Interrupt() {
	if in, ok := c.Transport.(Interrupter); ok {
		in.Interrupt()
	}
}
