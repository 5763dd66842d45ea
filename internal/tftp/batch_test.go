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

// TestSendBatch sends windows with SendBatch over real sockets of each
// kind (IPv4, IPv6, and a dual-stack socket talking to an IPv4 peer) and
// checks that every datagram arrives whole, in order, from the sender's
// port. The windows cover both paths on Linux: equal datagrams with a
// short last one (one segmented send per run) and datagrams of mixed sizes
// (one message each).
func TestSendBatch(t *testing.T) {
	sockets := []struct {
		name         string
		from, to     string // networks to listen on
		fromA, toA   string // and addresses
		peerAsSeenBy string // the receiver's address as the sender names it
	}{
		{"ipv4", "udp4", "udp4", "127.0.0.1", "127.0.0.1", "127.0.0.1"},
		{"ipv6", "udp6", "udp6", "::1", "::1", "::1"},
		{"dual-stack", "udp", "udp4", "::", "127.0.0.1", "::ffff:127.0.0.1"},
	}
	windows := []struct {
		name  string
		sizes []int
	}{
		{"64 full blocks and a short one", append(repeatInt(1472, 64), 100)},
		{"large blocks, two per segmented send", repeatInt(30_004, 5)},
		{"mixed sizes", []int{1472, 700, 1472, 1472}},
		{"one block", []int{516}},
	}
	for _, s := range sockets {
		t.Run(s.name, func(t *testing.T) {
			a := listenOn(t, s.from, s.fromA)
			b := listenOn(t, s.to, s.toA)
			_ = b.SetReadBuffer(4 << 20)
			peer := netip.AddrPortFrom(netip.MustParseAddr(s.peerAsSeenBy), addrOf(b).Port())
			tr := NewConnTransport(a, peer)
			if runtime.GOOS == "linux" && tr.batch == nil {
				t.Fatal("no sendmmsg batch for a UDP socket on Linux")
			}
			for i, w := range windows {
				window := makeWindow(w.sizes, byte(i))
				if err := tr.SendBatch(window); err != nil {
					t.Fatalf("%s: %v", w.name, err)
				}
				if tr.batch != nil && tr.batch.noGSO {
					t.Fatalf("%s: the kernel refused a segmented send (UDP_SEGMENT)", w.name)
				}
				expectWindow(t, b, addrOf(a).Port(), window)
			}
		})
	}
}

func repeatInt(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// makeWindow returns datagrams of the given sizes, each starting with its
// index and filled with a byte of its own.
func makeWindow(sizes []int, seed byte) [][]byte {
	var w [][]byte
	for i, n := range sizes {
		p := bytes.Repeat([]byte{seed + byte(i)}, n)
		binary.BigEndian.PutUint16(p, uint16(i))
		w = append(w, p)
	}
	return w
}

func expectWindow(t *testing.T, c *net.UDPConn, port uint16, window [][]byte) {
	t.Helper()
	buf := make([]byte, 1<<16)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i, want := range window {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("datagram %d of %d: %v", i, len(window), err)
		}
		if from.Port() != port {
			t.Fatalf("datagram %d came from port %d, want %d", i, from.Port(), port)
		}
		if !bytes.Equal(buf[:n], want) {
			t.Fatalf("datagram %d: got %d bytes starting %x, want %d starting %x", i, n, buf[:min(n, 2)], len(want), want[:2])
		}
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
