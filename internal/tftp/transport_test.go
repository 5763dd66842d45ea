package tftp

import (
	"errors"
	"os"
	"testing"
	"time"
)

// TestClientTransportLearnsOnce: over real sockets, a client's transport
// drops a datagram from another IP address unanswered before the server has
// answered, learns the server's transfer ID from the first datagram from
// the server's address, and from then on answers a datagram from the
// server's other port with ERROR 5 without taking it.
func TestClientTransportLearnsOnce(t *testing.T) {
	client := listenOn(t, "udp4", "127.0.0.1")
	wellKnown := listenOn(t, "udp4", "127.0.0.1")
	tid := listenOn(t, "udp4", "127.0.0.1")
	stranger := listenOn(t, "udp4", "127.0.0.2") // all of 127/8 is loopback on Linux
	tr := NewClientTransport(client, addrOf(wellKnown))
	buf := make([]byte, 100)
	deadline := func() time.Time { return time.Now().Add(200 * time.Millisecond) }

	if _, err := stranger.WriteToUDPAddrPort(AppendData(nil, 1, []byte("x")), addrOf(client)); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Recv(buf, deadline()); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Recv took a stranger's datagram before learning: %v", err)
	}
	_ = stranger.SetReadDeadline(deadline())
	if n, _, err := stranger.ReadFromUDPAddrPort(buf); err == nil {
		t.Fatalf("the stranger got an answer before the server had a transfer ID: %q", buf[:n])
	}
	if tr.Learned() {
		t.Fatal("learned from a stranger")
	}

	if _, err := tid.WriteToUDPAddrPort(AppendData(nil, 1, []byte("hi")), addrOf(client)); err != nil {
		t.Fatal(err)
	}
	if n, err := tr.Recv(buf, deadline()); err != nil || string(buf[:n]) != "\x00\x03\x00\x01hi" {
		t.Fatalf("Recv = %q, %v", buf[:n], err)
	}
	if !tr.Learned() || tr.Peer() != addrOf(tid) {
		t.Fatalf("learned %v, peer %v, want %v", tr.Learned(), tr.Peer(), addrOf(tid))
	}

	// The well-known port is a stranger now.
	if _, err := wellKnown.WriteToUDPAddrPort(AppendData(nil, 2, []byte("no")), addrOf(client)); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Recv(buf, deadline()); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Recv took the old port's datagram: %v", err)
	}
	_ = wellKnown.SetReadDeadline(deadline())
	n, _, err := wellKnown.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "\x00\x05\x00\x05unknown transfer ID\x00" {
		t.Fatalf("the old port got %q, %v; want ERROR 5", buf[:n], err)
	}
}
