// Command rawudp measures how fast this machine moves datagrams between two
// processes over loopback when the sender waits for an acknowledgement after
// every window, as TFTP does: the physical limit that no TFTP server can
// beat. It does nothing else a TFTP server does (no files, no handler, no
// packet parsing beyond a sequence number).
//
//	rawudp -echo                                    # prints "listening on ADDR"
//	rawudp -send ADDR -size 1468 -window 64 -bytes 67108864
//
// The receiver acknowledges the last datagram of each window with a 4-byte
// datagram; the sender resends the window when no acknowledgement comes
// within the timeout. The sender prints the payload rate in MB/s (10^6
// bytes per second).
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	echo := flag.Bool("echo", false, "run the receiver")
	listen := flag.String("listen", "127.0.0.1:0", "receiver's address")
	send := flag.String("send", "", "run the sender against this receiver address")
	size := flag.Int("size", 1468, "payload bytes per datagram")
	window := flag.Int("window", 1, "datagrams per acknowledgement")
	total := flag.Int64("bytes", 64<<20, "payload bytes to send")
	timeout := flag.Duration("timeout", 200*time.Millisecond, "wait for an acknowledgement before resending")
	flag.Parse()
	var err error
	switch {
	case *echo:
		err = receive(*listen)
	case *send != "":
		err = sendAll(*send, *size, *window, *total, *timeout)
	default:
		err = errors.New("give -echo or -send ADDR")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rawudp:", err)
		os.Exit(1)
	}
}

// header is the sequence number that starts every datagram.
const header = 4

// receive acknowledges datagrams until it is killed: the last of each
// window of the sender (whose size each datagram carries after the
// sequence number) and the final one, also when they come again, so that a
// lost acknowledgement is repaired.
func receive(addr string) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", pc.LocalAddr())
	buf := make([]byte, 65536)
	ack := make([]byte, header)
	var next uint32
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		if n < header+4 {
			continue
		}
		seq := binary.BigEndian.Uint32(buf)
		win := max(1, binary.BigEndian.Uint32(buf[header:]))
		final := buf[header+4] == 1
		switch {
		case seq == 0: // a new run
			next = 1
		case seq == next:
			next++
		case seq > next:
			continue // a gap: wait for the resend of the window
		}
		// The last datagram of a window, first time or resent, is answered
		// with the highest sequence received in order.
		if seq == 0 || seq%win == 0 || final {
			binary.BigEndian.PutUint32(ack, next-1)
			_, _ = pc.WriteTo(ack, from)
		}
	}
}

// sendAll sends total payload bytes in windows and prints the rate.
func sendAll(addr string, size, window int, total int64, timeout time.Duration) error {
	if size < header+5 || window < 1 {
		return errors.New("size must be at least 9 and window at least 1")
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return err
	}
	defer conn.Close()
	s := &sender{conn: conn, size: size, window: window, timeout: timeout,
		buf: make([]byte, size), ack: make([]byte, 64)}
	if err := s.start(); err != nil {
		return err
	}
	count := uint32((total + int64(size) - 1) / int64(size))
	begin := time.Now()
	for first := uint32(1); first <= count; first += uint32(window) {
		last := min(first+uint32(window)-1, count)
		if err := s.windowAcked(first, last, last == count); err != nil {
			return err
		}
	}
	elapsed := time.Since(begin)
	fmt.Printf("%.1f MB/s %d bytes in %v (size %d, window %d, %d resends)\n",
		float64(int64(count)*int64(size))/elapsed.Seconds()/1e6, int64(count)*int64(size), elapsed, size, window, s.resends)
	return nil
}

type sender struct {
	conn     *net.UDPConn
	size     int
	window   int
	timeout  time.Duration
	buf, ack []byte
	resends  int
}

// start resets the receiver's sequence with datagram 0.
func (s *sender) start() error { return s.windowAcked(0, 0, true) }

// windowAcked sends datagrams first..last and waits for the acknowledgement
// of last, resending the window after each timeout (ten at most).
func (s *sender) windowAcked(first, last uint32, final bool) error {
	for try := 0; try < 10; try++ {
		if try > 0 {
			s.resends++
		}
		for seq := first; seq <= last; seq++ {
			s.put(seq, final && seq == last)
			if _, err := s.conn.Write(s.buf); err != nil {
				return err
			}
		}
		if s.acked(last) {
			return nil
		}
	}
	return fmt.Errorf("no acknowledgement for datagram %d", last)
}

func (s *sender) put(seq uint32, final bool) {
	binary.BigEndian.PutUint32(s.buf, seq)
	binary.BigEndian.PutUint32(s.buf[header:], uint32(s.window))
	s.buf[header+4] = 0
	if final {
		s.buf[header+4] = 1
	}
}

// acked waits for an acknowledgement of seq (or later) until the timeout.
func (s *sender) acked(seq uint32) bool {
	deadline := time.Now().Add(s.timeout)
	_ = s.conn.SetReadDeadline(deadline)
	for {
		n, err := s.conn.Read(s.ack)
		if err != nil {
			return false
		}
		if n >= header && binary.BigEndian.Uint32(s.ack) >= seq {
			return true
		}
	}
}
