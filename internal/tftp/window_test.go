package tftp

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/faultnet"
)

// windowProbe records the sender's current window at every DATA it sends,
// and loses the first transmission of one block.
type windowProbe struct {
	Transport
	s       *sender
	lose    uint16
	lost    bool
	windows []int
}

func (w *windowProbe) Send(b []byte) error {
	if Opcode(binary.BigEndian.Uint16(b)) != OpData {
		return w.Transport.Send(b)
	}
	w.windows = append(w.windows, w.s.window)
	if binary.BigEndian.Uint16(b[2:]) == w.lose && !w.lost {
		w.lost = true
		return nil
	}
	return w.Transport.Send(b)
}

// TestWindowShrinksAndRecovers: one lost block halves the window, and clean
// rounds grow it back to the negotiated size (RFC 7440, section 4).
func TestWindowShrinksAndRecovers(t *testing.T) {
	a, b := memPair(t, faultnet.Faults{}, faultnet.Faults{})
	p := Params{BlockSize: 64, WindowSize: 8, Timeout: 200 * time.Millisecond, Retries: 5}
	data := randomBytes(64*120, 10)
	got := &sinkBuffer{}
	done := make(chan error, 1)
	go func() {
		_, err := ServeWrite(context.Background(), NewConnTransport(b, addrOf(a)), p, behaviour.Options{}, got)
		done <- err
	}()
	probe := &windowProbe{Transport: NewConnTransport(a, addrOf(b)), lose: 3}
	l := newLink(context.Background(), probe, p, ackBufSize)
	s := newSender(l, bytes.NewReader(data))
	probe.s = s
	err := s.run()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, data, got.Bytes())
	low := slices.Min(probe.windows)
	lowAt := slices.Index(probe.windows, low)
	if probe.windows[0] != 8 || low != 4 || probe.windows[len(probe.windows)-1] != 8 {
		t.Fatalf("windows %v", probe.windows)
	}
	if !slices.IsSorted(probe.windows[lowAt:]) {
		t.Fatalf("window does not grow back steadily: %v", probe.windows[lowAt:])
	}
}
