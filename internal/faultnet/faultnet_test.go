package faultnet

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func pair(t *testing.T) (a, b net.PacketConn) {
	t.Helper()
	a, b = Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// receiveAll reads datagrams until the socket stays quiet for idle.
func receiveAll(t *testing.T, c net.PacketConn, idle time.Duration) [][]byte {
	t.Helper()
	var got [][]byte
	buf := make([]byte, 2048)
	for {
		_ = c.SetReadDeadline(time.Now().Add(idle))
		n, _, err := c.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, append([]byte(nil), buf[:n]...))
	}
}

func sendN(t *testing.T, c net.PacketConn, to net.Addr, n int) {
	t.Helper()
	for i := range n {
		if _, err := c.WriteTo([]byte{byte(i >> 8), byte(i)}, to); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNetworkDelivers(t *testing.T) {
	a, b := pair(t)
	if _, err := a.WriteTo([]byte("hello"), b.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, from, err := b.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "hello" || from.String() != a.LocalAddr().String() {
		t.Fatalf("got %q from %v: %v", buf[:n], from, err)
	}
}

func TestNetworkLosesWhatNobodyReceives(t *testing.T) {
	n := NewNetwork()
	a, err := n.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); err != nil {
		t.Fatalf("a datagram to nowhere must vanish silently: %v", err)
	}
	if _, err := n.ListenPacket("udp", a.LocalAddr().String()); err == nil {
		t.Fatal("two sockets on one address")
	}
	if _, err := n.ListenPacket("tcp", "127.0.0.1:0"); err == nil {
		t.Fatal("tcp accepted")
	}
}

func TestNetworkDeadlineAndClose(t *testing.T) {
	a, _ := pair(t)
	start := time.Now()
	_ = a.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, _, err := a.ReadFrom(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("error %v", err)
	}
	if took := time.Since(start); took < 25*time.Millisecond || took > time.Second {
		t.Fatalf("deadline after %v", took)
	}
	// A deadline moved while a reader waits applies to it.
	_ = a.SetReadDeadline(time.Time{})
	errc := make(chan error, 1)
	go func() { _, _, err := a.ReadFrom(make([]byte, 1)); errc <- err }()
	time.Sleep(10 * time.Millisecond)
	_ = a.SetReadDeadline(time.Now())
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("error %v", err)
	}
	// Close ends a reader that waits without a deadline. The past deadline
	// is cleared before the read starts: a read that began first would
	// rightly fail on it.
	_ = a.SetReadDeadline(time.Time{})
	go func() { _, _, err := a.ReadFrom(make([]byte, 1)); errc <- err }()
	time.Sleep(10 * time.Millisecond)
	a.Close()
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("error %v after Close", err)
	}
}

func TestWrapDropsTheSeededShare(t *testing.T) {
	run := func() ([][]byte, Counts) {
		a, b := pair(t)
		w := Wrap(a, Faults{Seed: 42, Drop: 0.3})
		sendN(t, w, b.LocalAddr(), 1000)
		return receiveAll(t, b, 20*time.Millisecond), w.Counts()
	}
	got, c := run()
	if c.Written != 1000 || c.Dropped < 230 || c.Dropped > 370 || int64(len(got)) != 1000-c.Dropped {
		t.Fatalf("counts %+v, received %d", c, len(got))
	}
	again, _ := run()
	if len(again) != len(got) || !bytes.Equal(bytes.Join(again, nil), bytes.Join(got, nil)) {
		t.Fatal("the same seed lost different datagrams")
	}
}

func TestWrapDuplicates(t *testing.T) {
	a, b := pair(t)
	w := Wrap(a, Faults{Duplicate: 1})
	sendN(t, w, b.LocalAddr(), 10)
	if got := receiveAll(t, b, 20*time.Millisecond); len(got) != 20 || w.Counts().Duplicated != 10 {
		t.Fatalf("received %d, counts %+v", len(got), w.Counts())
	}
}

func TestWrapReorders(t *testing.T) {
	a, b := pair(t)
	w := Wrap(a, Faults{Seed: 1, Reorder: 0.5})
	sendN(t, w, b.LocalAddr(), 200)
	got := receiveAll(t, b, 30*time.Millisecond)
	if len(got) != 200 {
		t.Fatalf("received %d of 200", len(got))
	}
	swapped := 0
	for i := 1; i < len(got); i++ {
		if bytes.Compare(got[i-1], got[i]) > 0 {
			swapped++
		}
	}
	if swapped == 0 || w.Counts().Reordered == 0 {
		t.Fatalf("nothing reordered (%+v)", w.Counts())
	}
}

func TestWrapDelays(t *testing.T) {
	a, b := pair(t)
	w := Wrap(a, Faults{Delay: 40 * time.Millisecond})
	start := time.Now()
	sendN(t, w, b.LocalAddr(), 1)
	buf := make([]byte, 4)
	_ = b.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, _, err := b.ReadFrom(buf); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 35*time.Millisecond {
		t.Fatalf("delivered after %v", took)
	}
}

func TestWrapWorksOverUDP(t *testing.T) {
	a, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w := Wrap(a, Faults{Seed: 3, Drop: 0.5})
	sendN(t, w, b.LocalAddr(), 100)
	if got := receiveAll(t, b, 50*time.Millisecond); int64(len(got)) != 100-w.Counts().Dropped {
		t.Fatalf("received %d, counts %+v", len(got), w.Counts())
	}
}
