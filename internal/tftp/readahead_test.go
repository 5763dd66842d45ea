package tftp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// slowReader sleeps before each read from block 2 on, as a handler that
// fetches each piece from a slow origin does.
type slowReader struct {
	r     io.Reader
	delay time.Duration
	reads int
}

func (s *slowReader) Read(p []byte) (int, error) {
	s.reads++
	if s.reads > 1 {
		time.Sleep(s.delay)
	}
	return s.r.Read(p)
}

// TestSlowReadAheadIsNotSilence: the sender reads the next block while it
// waits for the ACK; a read slower than the timeout must not count as the
// peer's silence (no resend, no retry spent), since the ACK is waiting in
// the socket.
func TestSlowReadAheadIsNotSilence(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	data := randomBytes(4*512+100, 21)
	sendP := Params{BlockSize: 512, WindowSize: 1, Timeout: 100 * time.Millisecond, Retries: 1}
	recvP := Params{BlockSize: 512, WindowSize: 1, Timeout: 5 * time.Second, Retries: 1, SkipDally: true}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := &sinkBuffer{}
	done := make(chan error, 1)
	go func() {
		_, err := ServeWrite(ctx, NewConnTransport(b, addrOf(a)), recvP, behaviour.Options{}, got)
		done <- err
	}()
	src := &slowReader{r: bytes.NewReader(data), delay: 150 * time.Millisecond}
	stats, err := ServeRead(ctx, NewConnTransport(a, addrOf(b)), sendP, behaviour.Options{}, src)
	if err := errors.Join(err, <-done); err != nil {
		t.Fatal(err)
	}
	if stats.Retransmits != 0 {
		t.Errorf("%d retransmissions: a slow read ahead passed for a lost ACK", stats.Retransmits)
	}
	checkSame(t, data, got.Bytes())
}
