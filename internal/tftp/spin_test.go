package tftp

import (
	"runtime"
	"testing"
	"time"
)

// TestSpinnerReceives: a spinning receive over a real socket returns the
// datagram and its sender (IPv4 and IPv6), and gives up after its budget
// when nothing comes, backing off from the next waits.
func TestSpinnerReceives(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("spinning is Linux only")
	}
	for _, c := range []struct{ network, addr string }{{"udp4", "127.0.0.1"}, {"udp6", "::1"}} {
		t.Run(c.network, func(t *testing.T) {
			a, b := listenOn(t, c.network, c.addr), listenOn(t, c.network, c.addr)
			s := NewSpinner(a)
			if s == nil {
				t.Fatal("no Spinner for a UDP socket on Linux")
			}
			buf := make([]byte, 100)
			if _, err := b.WriteToUDPAddrPort([]byte("hello"), addrOf(a)); err != nil {
				t.Fatal(err)
			}
			n, from, ok := s.spin(buf, time.Now().Add(time.Second), spinBudget)
			for i := 0; !ok && i < 100; i++ { // the datagram may take a moment on a loaded machine
				s.skip = 0
				n, from, ok = s.spin(buf, time.Now().Add(time.Second), spinBudget)
			}
			if !ok || string(buf[:n]) != "hello" || from != addrOf(b) {
				t.Fatalf("spin = %q from %v, %v; want %q from %v", buf[:n], from, ok, "hello", addrOf(b))
			}
			s.misses, s.skip = 0, 0
			start := time.Now()
			if _, _, ok := s.spin(buf, time.Now().Add(time.Second), spinBudget); ok {
				t.Fatal("spin received a datagram nobody sent")
			}
			if d := time.Since(start); d > 100*spinBudget {
				t.Errorf("an empty spin took %v, budget %v", d, spinBudget)
			}
			if s.skip != 2 {
				t.Errorf("after one miss %d waits are skipped, want 2", s.skip)
			}
			if _, err := b.WriteToUDPAddrPort([]byte("later"), addrOf(a)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
			if _, _, ok := s.spin(buf, time.Time{}, spinBudget); ok {
				t.Error("spun during the back-off")
			}
		})
	}
}

// TestSpinnerStepsAsideForOthers: with more transfers running than half
// the CPUs, Recv does not spin even with a datagram waiting; the blocking
// read gets it.
func TestSpinnerStepsAsideForOthers(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	s := NewSpinner(a)
	var zero Spinner // never spins, and does not fail when it may
	if _, _, ok := zero.Recv(make([]byte, 10), time.Now().Add(time.Millisecond)); ok {
		t.Fatal("the zero Spinner received")
	}
	for range runtime.GOMAXPROCS(0)/2 + 1 {
		defer track()()
	}
	if _, err := b.WriteToUDPAddrPort([]byte("x"), addrOf(a)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if _, _, ok := s.Recv(make([]byte, 10), time.Now().Add(time.Second)); ok {
		t.Fatal("spun while more transfers run than half the CPUs")
	}
	var nilSpinner *Spinner
	if _, _, ok := nilSpinner.Recv(nil, time.Time{}); ok {
		t.Fatal("a nil Spinner received")
	}
}
