package daemon_test

import (
	"bytes"
	"crypto/sha256"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/faultnet"
	"github.com/filemux/filemux/internal/tftp"
	pin "github.com/pin/tftp/v3"
)

// serveOn runs d on pc until the test ends.
func serveOn(t *testing.T, d *daemon.TFTP, pc net.PacketConn) netip.AddrPort {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- d.Serve(pc) }()
	t.Cleanup(func() {
		_ = d.Close()
		if err := <-done; err != daemon.ErrServerClosed {
			t.Errorf("Serve: %v", err)
		}
	})
	waitFor(t, "serving", func() bool { return d.Addr().IsValid() })
	return d.Addr()
}

// TestLossyNetwork: transfers survive a network that drops, duplicates and
// reorders the daemon's datagrams. pin/tftp's client, an independent
// implementation, is the peer.
func TestLossyNetwork(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lossy := faultnet.Wrap(udp, faultnet.Faults{Seed: 7, Drop: 0.1, Duplicate: 0.1, Reorder: 0.1})
	m := newMemory(big)
	sp := newSpy(m)
	addr := serveOn(t, &daemon.TFTP{Handler: sp, Timeout: 50 * time.Millisecond, Retries: 20, FirstReplyRetries: 20}, lossy)

	c, err := pin.NewClient(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(50 * time.Millisecond)
	c.SetRetries(20)
	c.SetBackoff(func(int) time.Duration { return 0 }) // its default sleeps up to 1 s per resend
	for i := range 1 {
		wt, err := c.Receive("f", "octet")
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if sha256.Sum256(buf.Bytes()) != sha256.Sum256(big) {
			t.Fatalf("read %d: corrupted", i)
		}
	}
	rf, err := c.Send("up", "octet")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rf.ReadFrom(bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the upload", func() bool { b, ok := m.file("up"); return ok && bytes.Equal(b, big) })
	if k := lossy.Counts(); k.Dropped == 0 || k.Duplicated == 0 || k.Reordered == 0 {
		t.Errorf("the network was not lossy: %+v", k)
	}
	sp.check(t)
}

// TestInMemoryConn: a PacketConn that is not a UDP socket is served, in
// single-port mode.
func TestInMemoryConn(t *testing.T) {
	network := faultnet.NewNetwork()
	spc, _ := network.ListenPacket("udp", "127.0.0.1:0")
	addr := serveOn(t, &daemon.TFTP{Handler: behaviour.Bytes(big)}, spc)
	cpc, _ := network.ListenPacket("udp", "127.0.0.1:0")
	defer cpc.Close()
	to := net.UDPAddrFromAddrPort(addr)
	send := func(b []byte) {
		if _, err := cpc.WriteTo(b, to); err != nil {
			t.Fatal(err)
		}
	}
	send(tftp.AppendRequest(nil, tftp.Request{Op: tftp.OpRRQ, Filename: "f", Mode: behaviour.Octet}))
	var got []byte
	buf := make([]byte, 1<<16)
	for {
		_ = cpc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := cpc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if from.String() != addr.String() {
			t.Fatalf("reply from %v, want the single port %v", from, addr)
		}
		p, err := tftp.ParsePacket(buf[:n])
		if err != nil || p.Op != tftp.OpData {
			t.Fatalf("got %v %v", p.Op, err)
		}
		got = append(got, p.Payload...)
		send(tftp.AppendAck(nil, p.Block))
		if len(p.Payload) < tftp.DefaultBlockSize {
			break
		}
	}
	if !bytes.Equal(got, big) {
		t.Fatal("wrong content over the in-memory network")
	}
}

// TestTotalLossMidTransfer: when every datagram from the peer is lost
// halfway through an upload (the peer goes silent), the daemon resends its
// ACK a bounded number of times, ends with a timeout, calls Abort once, and
// nothing half-written appears in the served directory.
func TestTotalLossMidTransfer(t *testing.T) {
	root := t.TempDir()
	dir, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		t.Fatal(err)
	}
	sp := newSpy(dir)
	hooks := newHookLog()
	srv := daemontest.NewTFTP(t, sp, hooks.install(nil), func(d *daemon.TFTP) {
		d.Timeout = 50 * time.Millisecond
		d.Retries = 3
	})
	c := newRawClient(t, srv.Addr())
	c.wrq("half.bin")
	if r := c.next(); r.Op != tftp.OpAck || r.Block != 0 {
		t.Fatalf("got %v %d, want ACK 0", r.Op, r.Block)
	}
	block := bytes.Repeat([]byte("h"), tftp.DefaultBlockSize)
	for b := uint16(1); b <= 3; b++ {
		c.data(b, block)
		c.expect(tftp.OpAck)
	}
	// From here on the network loses everything the peer sends.
	_ = receive(t, hooks.requests, "OnRequest")
	failure := receive(t, hooks.failures, "OnFailure")
	if failure.Outcome != daemon.OutcomeTimedOut {
		t.Errorf("outcome %v, want %v", failure.Outcome, daemon.OutcomeTimedOut)
	}
	sp.waitCounts(t, 1, 1, 0)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("the served directory holds %d entries after the failed upload (first %q), want none", len(entries), entries[0].Name())
	}
}
