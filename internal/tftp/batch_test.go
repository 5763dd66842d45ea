package tftp

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// TestSendBatch sends a window with SendBatch over real sockets of each
// kind (IPv4, IPv6, and a dual-stack socket talking to an IPv4 peer) and
// checks that every datagram arrives whole, in order, from the sender's
// port.
func TestSendBatch(t *testing.T) {
	cases := []struct {
		name         string
		from, to     string // networks and addresses to listen on
		fromA, toA   string
		peerAsSeenBy string // the receiver's address as the sender names it
	}{
		{"ipv4", "udp4", "udp4", "127.0.0.1", "127.0.0.1", "127.0.0.1"},
		{"ipv6", "udp6", "udp6", "::1", "::1", "::1"},
		{"dual-stack", "udp", "udp4", "::", "127.0.0.1", "::ffff:127.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := listenOn(t, c.from, c.fromA)
			b := listenOn(t, c.to, c.toA)
			peer := netip.AddrPortFrom(netip.MustParseAddr(c.peerAsSeenBy), addrOf(b).Port())
			tr := NewConnTransport(a, peer)
			if runtime.GOOS == "linux" && tr.batch == nil {
				t.Fatal("no sendmmsg batch for a UDP socket on Linux")
			}
			var window [][]byte
			for i := range 64 {
				p := bytes.Repeat([]byte{byte(i)}, 1468)
				binary.BigEndian.PutUint16(p, uint16(i))
				window = append(window, p)
			}
			if err := tr.SendBatch(window); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 2000)
			_ = b.SetReadDeadline(time.Now().Add(5 * time.Second))
			for i, want := range window {
				n, from, err := b.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
				if from.Port() != addrOf(a).Port() {
					t.Fatalf("datagram %d came from port %d, want %d", i, from.Port(), addrOf(a).Port())
				}
				if !bytes.Equal(buf[:n], want) {
					t.Fatalf("datagram %d: got %d bytes starting %x, want %d starting %x", i, n, buf[:2], len(want), want[:2])
				}
			}
		})
	}
}

func listenOn(t *testing.T, network, addr string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP(network, &net.UDPAddr{IP: net.ParseIP(addr)})
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
