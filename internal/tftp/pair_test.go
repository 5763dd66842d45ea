package tftp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/faultnet"
)

// listenUDP returns a loopback UDP socket closed at the end of the test.
func listenUDP(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func addrOf(pc net.PacketConn) netip.AddrPort {
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// memPair returns two in-memory sockets whose writes suffer fa and fb.
func memPair(t testing.TB, fa, fb faultnet.Faults) (a, b *faultnet.Conn) {
	t.Helper()
	n := faultnet.NewNetwork()
	pa, err := n.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := n.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pa.Close(); pb.Close() })
	return faultnet.Wrap(pa, fa), faultnet.Wrap(pb, fb)
}

// sinkBuffer is a Sink that collects the file and remembers the final call.
type sinkBuffer struct {
	bytes.Buffer
	lasts int
}

func (s *sinkBuffer) Write(p []byte, last bool) error {
	if s.lasts > 0 {
		return behaviour.NewError(behaviour.CodeIllegalOperation, "write after last")
	}
	if last {
		s.lasts++
	}
	_, err := s.Buffer.Write(p)
	return err
}

// result is one side's outcome of a transfer.
type result struct {
	stats Stats
	err   error
}

// transfer sends data from a (ServeRead) to b (ServeWrite) with the same
// parameters on both ends and returns both outcomes and what b received.
func transfer(t testing.TB, a, b net.PacketConn, p Params, oack behaviour.Options, data []byte) (send, recv result, got *sinkBuffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got = &sinkBuffer{}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		recv.stats, recv.err = ServeWrite(ctx, NewConnTransport(b, addrOf(a)), p, behaviour.Options{}, got)
	}()
	go func() {
		defer wg.Done()
		send.stats, send.err = ServeRead(ctx, NewConnTransport(a, addrOf(b)), p, oack, bytes.NewReader(data))
	}()
	wg.Wait()
	return send, recv, got
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func checkSame(t testing.TB, want, got []byte) {
	t.Helper()
	if sha256.Sum256(want) != sha256.Sum256(got) {
		t.Fatalf("received %d bytes with a different sha256 than the %d sent", len(got), len(want))
	}
}

func TestTransferLoopback(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
		size int
	}{
		{"lockstep 512", Params{BlockSize: 512, WindowSize: 1, Timeout: 100 * time.Millisecond, Retries: 5}, 100_000},
		{"exact multiple", Params{BlockSize: 512, WindowSize: 1, Timeout: 100 * time.Millisecond, Retries: 5}, 512 * 40},
		{"empty", Params{BlockSize: 512, WindowSize: 1, Timeout: 100 * time.Millisecond, Retries: 5}, 0},
		{"window 16", Params{BlockSize: 1468, WindowSize: 16, Timeout: 100 * time.Millisecond, Retries: 5}, 1 << 20},
		{"big blocks", Params{BlockSize: 65464, WindowSize: 4, Timeout: 100 * time.Millisecond, Retries: 5}, 1<<20 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := listenUDP(t), listenUDP(t)
			data := randomBytes(tc.size, 1)
			send, recv, got := transfer(t, a, b, tc.p, behaviour.Options{}, data)
			if send.err != nil || recv.err != nil {
				t.Fatalf("send: %v, receive: %v", send.err, recv.err)
			}
			checkSame(t, data, got.Bytes())
			wantBlocks := int64(tc.size/tc.p.BlockSize + 1)
			if send.stats.Blocks != wantBlocks || recv.stats.Blocks != wantBlocks {
				t.Errorf("blocks sent %d, received %d, want %d", send.stats.Blocks, recv.stats.Blocks, wantBlocks)
			}
			if got.lasts != 1 {
				t.Errorf("final Write called %d times", got.lasts)
			}
		})
	}
}

func TestTransferIPv6(t *testing.T) {
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := listen(), listen()
	data := randomBytes(50_000, 11)
	p := Params{BlockSize: 1428, WindowSize: 4, Timeout: 100 * time.Millisecond, Retries: 5}
	send, recv, got := transfer(t, a, b, p, behaviour.Options{}, data)
	if send.err != nil || recv.err != nil {
		t.Fatalf("send: %v, receive: %v", send.err, recv.err)
	}
	checkSame(t, data, got.Bytes())
}

// TestDualStackPeer: a transfer socket on [::] talking to an IPv4 peer sees
// the peer as ::ffff:127.0.0.1 and must still recognise it.
func TestDualStackPeer(t *testing.T) {
	a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv6unspecified})
	if err != nil {
		t.Skipf("no dual-stack socket: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	b := listenUDP(t)
	data := randomBytes(20_000, 12)
	got := &sinkBuffer{}
	done := make(chan error, 1)
	p := Params{BlockSize: 512, WindowSize: 1, Timeout: 100 * time.Millisecond, Retries: 5}
	go func() {
		_, err := ServeWrite(context.Background(), NewConnTransport(b, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), addrOf(a).Port())), p, behaviour.Options{}, got)
		done <- err
	}()
	_, err = ServeRead(context.Background(), NewConnTransport(a, netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.1"), addrOf(b).Port())), p, behaviour.Options{}, bytes.NewReader(data))
	if err := errors.Join(err, <-done); err != nil {
		t.Fatal(err)
	}
	checkSame(t, data, got.Bytes())
}
