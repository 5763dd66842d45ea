package tftp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/faultnet"
	"github.com/filemux/filemux/internal/wire"
)

// serveReadTo runs ServeRead from a to a rawReceiver on b and returns the
// sender's outcome, the receiver's error and the sha256 of what it got.
func serveReadTo(t *testing.T, p Params, oack behaviour.Options, src io.Reader, rr *rawReceiver, a *net.UDPConn) (st Stats, sum [32]byte, err, rerr error) {
	t.Helper()
	h := sha256.New()
	rr.onData = func(b []byte) { h.Write(b) }
	done := make(chan error, 1)
	go func() {
		_, _, err := rr.run(10 * time.Second)
		done <- err
	}()
	st, err = ServeRead(context.Background(), NewConnTransport(a, addrOf(rr.conn)), p, oack, src)
	rerr = <-done
	copy(sum[:], h.Sum(nil))
	return st, sum, err, rerr
}

func TestServeReadToIndependentReceiver(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      Params
		oack   behaviour.Options
		size   int
		blocks int64
	}{
		{"lockstep with OACK", Params{BlockSize: 1468, WindowSize: 1, Timeout: time.Second, Retries: 3}, opts("blksize", "1468"), 100_000, 69},
		{"window 8", Params{BlockSize: 512, WindowSize: 8, Timeout: time.Second, Retries: 3}, opts("windowsize", "8"), 512*64 - 1, 64},
		{"no OACK, exact multiple", Params{BlockSize: 512, WindowSize: 1, Timeout: time.Second, Retries: 3}, behaviour.Options{}, 512 * 3, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := randomBytes(tc.size, 7)
			rr := newRawReceiver(listenUDP(t), tc.p.BlockSize, tc.p.WindowSize)
			st, sum, err, rerr := serveReadTo(t, tc.p, tc.oack, bytes.NewReader(data), rr, listenUDP(t))
			if err != nil || rerr != nil {
				t.Fatalf("sender: %v, receiver: %v", err, rerr)
			}
			if sum != sha256.Sum256(data) {
				t.Fatal("receiver got different bytes")
			}
			if st.Blocks != tc.blocks || st.Bytes != int64(tc.size) || st.Retransmits != 0 {
				t.Fatalf("stats %+v, want %d blocks", st, tc.blocks)
			}
		})
	}
}

// TestSorcerersApprentice: a receiver that sends every ACK twice must not
// make the sender send any block twice (RFC 1123 4.2.3.1).
func TestSorcerersApprentice(t *testing.T) {
	for _, window := range []int{1, 8} {
		a := listenUDP(t)
		rr := newRawReceiver(listenUDP(t), 512, window)
		rr.ackTwice = true
		h := sha256.New()
		rr.onData = func(b []byte) { h.Write(b) }
		done := make(chan error, 1)
		go func() { _, _, err := rr.run(10 * time.Second); done <- err }()
		tr := newCounting(NewConnTransport(a, addrOf(rr.conn)))
		data := randomBytes(300_000, 3)
		p := Params{BlockSize: 512, WindowSize: window, Timeout: 2 * time.Second, Retries: 3}
		st, err := ServeRead(context.Background(), tr, p, behaviour.Options{}, bytes.NewReader(data))
		if err := errors.Join(err, <-done); err != nil {
			t.Fatal(err)
		}
		if want := len(data)/512 + 1; tr.count(OpData) != want || st.Retransmits != 0 {
			t.Fatalf("window %d: %d DATA packets (%d retransmits) for %d blocks", window, tr.count(OpData), st.Retransmits, want)
		}
		if !bytes.Equal(h.Sum(nil), sha(data)) {
			t.Fatal("wrong data")
		}
	}
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// TestDuplicatingNetwork: every datagram in both directions arrives twice;
// the traffic must not grow beyond the duplication itself.
func TestDuplicatingNetwork(t *testing.T) {
	for _, window := range []int{1, 16} {
		a, b := memPair(t, faultnet.Faults{Duplicate: 1}, faultnet.Faults{Duplicate: 1})
		data := randomBytes(200_000, 4)
		p := Params{BlockSize: 1024, WindowSize: window, Timeout: 300 * time.Millisecond, Retries: 3}
		send, recv, got := transfer(t, a, b, p, behaviour.Options{}, data)
		if send.err != nil || recv.err != nil {
			t.Fatalf("send: %v, receive: %v", send.err, recv.err)
		}
		checkSame(t, data, got.Bytes())
		blocks := int64(len(data)/1024 + 1)
		if w := a.Counts().Written; send.stats.Retransmits != 0 || w > blocks+2 {
			t.Fatalf("window %d: sender wrote %d datagrams (%d retransmits) for %d blocks", window, w, send.stats.Retransmits, blocks)
		}
	}
}

// TestLossyTransfers runs 1 MiB through a network that loses packets in
// both directions and checks the file arrives intact.
func TestLossyTransfers(t *testing.T) {
	for _, tc := range []struct {
		loss   float64
		window int
	}{{0.05, 1}, {0.05, 16}, {0.20, 1}, {0.20, 16}} {
		t.Run(fmt.Sprintf("loss %v window %d", tc.loss, tc.window), func(t *testing.T) {
			t.Parallel()
			seed := int64(tc.loss*100) + int64(tc.window)
			a, b := memPair(t, faultnet.Faults{Seed: seed, Drop: tc.loss}, faultnet.Faults{Seed: seed + 1, Drop: tc.loss})
			data := randomBytes(1<<20, uint64(seed))
			p := Params{BlockSize: 1468, WindowSize: tc.window, Timeout: 15 * time.Millisecond, Retries: 25}
			send, recv, got := transfer(t, a, b, p, behaviour.Options{}, data)
			if recv.err != nil {
				t.Fatalf("loss %v window %d: receive: %v", tc.loss, tc.window, recv.err)
			}
			checkSame(t, data, got.Bytes())
			if lastACKProblem(send, len(data), p.BlockSize) {
				t.Logf("every ACK of the final block and its repeats was lost: the sender cannot know the file arrived")
			} else if send.err != nil {
				t.Fatalf("loss %v window %d: send: %v", tc.loss, tc.window, send.err)
			}
			if send.stats.Retransmits == 0 {
				t.Errorf("no retransmission at %v loss", tc.loss)
			}
			t.Logf("loss %v window %d: %d retransmits, %v", tc.loss, tc.window, send.stats.Retransmits, send.stats.Duration)
		})
	}
}

// lastACKProblem reports the one failure TFTP cannot avoid: the sender sent
// every block, but neither the final ACK nor the re-ACKs of the dallying
// receiver reached it, so it gave up although the receiver has the file.
func lastACKProblem(send result, size, blockSize int) bool {
	return errors.Is(send.err, ErrTimeout) && send.stats.Blocks == int64(size/blockSize+1) && send.stats.Bytes == int64(size)
}

// TestReorderingNetwork: delayed and reordered datagrams (with loss) still
// deliver the file.
func TestReorderingNetwork(t *testing.T) {
	f := faultnet.Faults{Seed: 9, Drop: 0.02, Reorder: 0.1, Duplicate: 0.05, Jitter: time.Millisecond}
	a, b := memPair(t, f, f)
	data := randomBytes(300_000, 9)
	p := Params{BlockSize: 700, WindowSize: 8, Timeout: 20 * time.Millisecond, Retries: 25}
	send, recv, got := transfer(t, a, b, p, behaviour.Options{}, data)
	if send.err != nil || recv.err != nil {
		t.Fatalf("send: %v, receive: %v", send.err, recv.err)
	}
	checkSame(t, data, got.Bytes())
}

// TestTotalLoss: with every packet lost both ends give up after exactly
// Retries resends, within the retry budget of time.
func TestTotalLoss(t *testing.T) {
	const retries = 3
	timeout := 20 * time.Millisecond
	a, b := memPair(t, faultnet.Faults{Drop: 1}, faultnet.Faults{Drop: 1})
	p := Params{BlockSize: 512, WindowSize: 4, Timeout: timeout, Retries: retries}
	sender := newCounting(NewConnTransport(a, addrOf(b)))
	receiver := newCounting(NewConnTransport(b, addrOf(a)))
	start := time.Now()
	errs := make(chan error, 2)
	go func() {
		_, err := ServeRead(context.Background(), sender, p, behaviour.Options{}, bytes.NewReader(make([]byte, 10_000)))
		errs <- err
	}()
	go func() {
		_, err := ServeWrite(context.Background(), receiver, p, behaviour.Options{}, &sinkBuffer{})
		errs <- err
	}()
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrTimeout) {
			t.Fatalf("error %v, want a timeout", err)
		}
	}
	budget := time.Duration(retries+1) * timeout * 9 / 8
	if took := time.Since(start); took < budget*8/9 || took > budget+time.Second {
		t.Errorf("gave up after %v, budget %v", took, budget)
	}
	// The window of 4 blocks goes out once, then once per resend: a shrunk
	// window is completed after a pause for receivers that count blocks.
	if got := sender.count(OpData); got != 4*(1+retries) {
		t.Errorf("sender sent %d DATA packets", got)
	}
	if got := receiver.count(OpAck); got != 1+retries {
		t.Errorf("receiver sent %d ACKs, want %d", got, 1+retries)
	}
	if sender.count(OpError) != 1 || receiver.count(OpError) != 1 {
		t.Error("no ERROR sent on giving up")
	}
}

// TestStrangerGetsUnknownTID: a datagram from a foreign port is answered
// with ERROR 5 and the transfer carries on undisturbed; a stranger's ERROR
// gets no answer.
func TestStrangerGetsUnknownTID(t *testing.T) {
	a, stranger := listenUDP(t), listenUDP(t)
	rr := newRawReceiver(listenUDP(t), 512, 1)
	data := randomBytes(5000, 5)
	src := &hookReader{r: bytes.NewReader(data), first: func() {
		// Queued on the sender's socket before its first ACK arrives.
		_, _ = stranger.WriteToUDPAddrPort(AppendAck(nil, 1), addrOf(a))
		_, _ = stranger.WriteToUDPAddrPort(AppendError(nil, 0, "go away"), addrOf(a))
	}}
	st, sum, err, rerr := serveReadTo(t, Params{BlockSize: 512, WindowSize: 1, Timeout: time.Second, Retries: 2}, behaviour.Options{}, src, rr, a)
	if err != nil || rerr != nil || sum != sha256.Sum256(data) || st.Retransmits != 0 {
		t.Fatalf("sender: %v, receiver: %v, stats %+v", err, rerr, st)
	}
	want := AppendError(nil, behaviour.CodeUnknownTID, "unknown transfer ID")
	_ = stranger.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1024)
	n, _, err := stranger.ReadFromUDPAddrPort(buf)
	if err != nil || !bytes.Equal(buf[:n], want) {
		t.Fatalf("stranger got %q (%v)", buf[:n], err)
	}
	// The stranger's ERROR is not answered: errors are never acknowledged.
	_ = stranger.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _, err := stranger.ReadFromUDPAddrPort(buf); err == nil {
		t.Fatalf("stranger got a second answer %q", buf[:n])
	}
}

type hookReader struct {
	r     io.Reader
	first func()
	done  bool
}

func (h *hookReader) Read(p []byte) (int, error) {
	if !h.done {
		h.done = true
		h.first()
	}
	return h.r.Read(p)
}

// TestDallyReacksLostFinalACK: the receiver's final ACK is lost; the sender
// repeats the final DATA and the dallying receiver acknowledges it again,
// both when ServeWrite dallies and when the caller runs Dally after it.
func TestDallyReacksLostFinalACK(t *testing.T) {
	for _, skip := range []bool{false, true} {
		a, b := listenUDP(t), listenUDP(t)
		p := Params{BlockSize: 512, WindowSize: 1, Timeout: 200 * time.Millisecond, Retries: 2, SkipDally: skip}
		data := randomBytes(512*3+10, 6)
		finalAck := AppendAck(nil, 4)
		receiver := newCounting(NewConnTransport(b, addrOf(a)))
		dropped := false
		receiver.drop = func(pkt []byte) bool {
			if bytes.Equal(pkt, finalAck) && !dropped {
				dropped = true
				return true
			}
			return false
		}
		got := &sinkBuffer{}
		recvDone := make(chan error, 1)
		var recvTook time.Duration
		go func() {
			start := time.Now()
			st, err := ServeWrite(context.Background(), receiver, p, behaviour.Options{}, got)
			recvTook = time.Since(start)
			if skip && err == nil {
				Dally(context.Background(), receiver, p, st)
			}
			recvDone <- err
		}()
		st, err := ServeRead(context.Background(), NewConnTransport(a, addrOf(b)), p, behaviour.Options{}, bytes.NewReader(data))
		if err := errors.Join(err, <-recvDone); err != nil {
			t.Fatal(err)
		}
		checkSame(t, data, got.Bytes())
		if st.Retransmits != 1 || receiver.count(OpAck) != 1+4+1 {
			t.Fatalf("skip %v: sender retransmits %d, receiver ACKs %d", skip, st.Retransmits, receiver.count(OpAck))
		}
		if skip && recvTook > p.Timeout/2 {
			t.Errorf("ServeWrite with SkipDally took %v", recvTook)
		}
		if !skip && recvTook < 2*p.Timeout {
			t.Errorf("ServeWrite returned after %v, before its dally", recvTook)
		}
	}
}

func TestRollover(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window int
	}{{"lockstep", 1}, {"window 32", 32}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := memPair(t, faultnet.Faults{}, faultnet.Faults{})
			data := randomBytes(8*70_000+3, 8) // 70001 blocks of 8 bytes
			p := Params{BlockSize: 8, WindowSize: tc.window, Timeout: 200 * time.Millisecond, Retries: 10}
			send, recv, got := transfer(t, a, b, p, behaviour.Options{}, data)
			if send.err != nil || recv.err != nil {
				t.Fatalf("send: %v, receive: %v", send.err, recv.err)
			}
			checkSame(t, data, got.Bytes())
			if send.stats.Blocks != 70_001 {
				t.Fatalf("%d blocks", send.stats.Blocks)
			}
		})
	}
}

// TestPeerDeclinesOACK: ERROR 8 in answer to the OACK is a quiet end: no
// ERROR goes back, and the error says ErrDeclined.
func TestPeerDeclinesOACK(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	go func() {
		buf := make([]byte, 1024)
		_ = b.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := b.ReadFromUDPAddrPort(buf); err == nil {
			_, _ = b.WriteToUDPAddrPort(AppendError(nil, behaviour.CodeOptionRefused, "tsize only"), addrOf(a))
		}
	}()
	tr := newCounting(NewConnTransport(a, addrOf(b)))
	st, err := ServeRead(context.Background(), tr, DefaultParams(), opts("tsize", "100"), strings.NewReader("x"))
	if !errors.Is(err, ErrDeclined) || !errors.Is(err, ErrPeer) || wire.TFTPCode(err) != behaviour.CodeOptionRefused {
		t.Fatalf("error %v", err)
	}
	if st.PeerError == nil || st.PeerError.Message != "tsize only" {
		t.Errorf("peer error %+v", st.PeerError)
	}
	if tr.count(OpError) != 0 || tr.count(OpOACK) != 1 || tr.count(OpData) != 0 {
		t.Errorf("sent %v", tr.sent)
	}
}

// TestPeerErrorMidTransfer: an ERROR from the receiver ends the transfer
// with its code and no ERROR in reply.
func TestPeerErrorMidTransfer(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	go func() {
		buf := make([]byte, 1024)
		_ = b.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := b.ReadFromUDPAddrPort(buf); err == nil {
			_, _ = b.WriteToUDPAddrPort(AppendError(nil, behaviour.CodeDiskFull, "full"), addrOf(a))
		}
	}()
	tr := newCounting(NewConnTransport(a, addrOf(b)))
	_, err := ServeRead(context.Background(), tr, DefaultParams(), behaviour.Options{}, bytes.NewReader(make([]byte, 2000)))
	if !errors.Is(err, ErrPeer) || errors.Is(err, ErrDeclined) || wire.TFTPCode(err) != behaviour.CodeDiskFull {
		t.Fatalf("error %v", err)
	}
	if tr.count(OpError) != 0 {
		t.Error("answered an ERROR with an ERROR")
	}
}

// TestSourceErrorReachesPeer: the handler's error goes to the peer as its
// code and peer message, never its cause.
func TestSourceErrorReachesPeer(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code behaviour.Code
		msg  string
	}{
		{behaviour.ErrAccessViolation.With(errors.New("/srv/secret/path")), 2, "access violation"},
		{errors.New("open /srv/secret/path: boom"), 0, "internal error"},
	} {
		a, b := listenUDP(t), listenUDP(t)
		src := io.MultiReader(bytes.NewReader(make([]byte, 100)), iotestErrReader{tc.err})
		_, err := ServeRead(context.Background(), NewConnTransport(a, addrOf(b)), DefaultParams(), behaviour.Options{}, src)
		if !errors.Is(err, tc.err) {
			t.Fatalf("returned %v", err)
		}
		pk := readUntil(t, b, OpError)
		if pk.Code != tc.code || pk.Message != tc.msg {
			t.Fatalf("peer got ERROR %d %q", pk.Code, pk.Message)
		}
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

// readUntil returns the first packet of kind op that arrives on c.
func readUntil(t *testing.T, c *net.UDPConn, op Opcode) Packet {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 70000)
	for {
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if pk, err := ParsePacket(buf[:n]); err == nil && pk.Op == op {
			return pk
		}
	}
}

// TestOversizedDataRefused: DATA longer than the block size ends a write
// with ERROR 4.
func TestOversizedDataRefused(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	errc := make(chan error, 1)
	go func() {
		_, err := ServeWrite(context.Background(), NewConnTransport(a, addrOf(b)), DefaultParams(), behaviour.Options{}, &sinkBuffer{})
		errc <- err
	}()
	readUntil(t, b, OpAck)
	_, _ = b.WriteToUDPAddrPort(AppendData(nil, 1, make([]byte, 513)), addrOf(a))
	if err := <-errc; !errors.Is(err, ErrProtocol) {
		t.Fatalf("error %v", err)
	}
	if pk := readUntil(t, b, OpError); pk.Code != behaviour.CodeIllegalOperation {
		t.Fatalf("ERROR %d", pk.Code)
	}
}

// TestCancelEndsTransferAtOnce: cancelling the context ends a transfer
// blocked on a silent peer well before its timeout, with an ERROR.
func TestCancelEndsTransferAtOnce(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	ctx, cancel := context.WithCancel(context.Background())
	p := Params{BlockSize: 512, WindowSize: 1, Timeout: 10 * time.Second, Retries: 3}
	errc := make(chan error, 1)
	go func() {
		_, err := ServeWrite(ctx, NewConnTransport(a, addrOf(b)), p, behaviour.Options{}, &sinkBuffer{})
		errc <- err
	}()
	readUntil(t, b, OpAck)
	start := time.Now()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("took %v to notice", took)
	}
	if pk := readUntil(t, b, OpError); pk.Code != 0 {
		t.Fatalf("ERROR %d", pk.Code)
	}
}

// TestWriteDeliversBlocksAndCommitsOnce checks the Sink calls: payloads in
// order, one final call, and a sink error reaching the peer.
func TestSinkErrorReachesPeer(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	sink := sinkFunc(func(p []byte, last bool) error { return behaviour.ErrDiskFull.With(errors.New("/var/x: ENOSPC")) })
	errc := make(chan error, 1)
	go func() {
		_, err := ServeWrite(context.Background(), NewConnTransport(a, addrOf(b)), DefaultParams(), behaviour.Options{}, sink)
		errc <- err
	}()
	readUntil(t, b, OpAck)
	_, _ = b.WriteToUDPAddrPort(AppendData(nil, 1, []byte("x")), addrOf(a))
	if err := <-errc; wire.TFTPCode(err) != behaviour.CodeDiskFull {
		t.Fatalf("error %v", err)
	}
	if pk := readUntil(t, b, OpError); pk.Code != behaviour.CodeDiskFull || strings.Contains(pk.Message, "/var") {
		t.Fatalf("ERROR %d %q", pk.Code, pk.Message)
	}
}

type sinkFunc func([]byte, bool) error

func (f sinkFunc) Write(p []byte, last bool) error { return f(p, last) }

// TestServeWriteOACK: the OACK opens a write and the peer's DATA 1 answers it.
func TestServeWriteOACK(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	got := &sinkBuffer{}
	errc := make(chan error, 1)
	p := Params{BlockSize: 8, WindowSize: 2, Timeout: 200 * time.Millisecond, Retries: 2}
	go func() {
		_, err := ServeWrite(context.Background(), NewConnTransport(a, addrOf(b)), p, opts("blksize", "8", "windowsize", "2"), got)
		errc <- err
	}()
	pk := readUntil(t, b, OpOACK)
	if pk.Options.String() != "blksize=8 windowsize=2" {
		t.Fatalf("OACK %q", pk.Options.String())
	}
	for i, chunk := range []string{"12345678", "abcdefgh", "xyz"} {
		_, _ = b.WriteToUDPAddrPort(AppendData(nil, uint16(i+1), []byte(chunk)), addrOf(a))
	}
	if ack := readUntil(t, b, OpAck); ack.Block != 2 {
		t.Fatalf("ACK %d after a full window", ack.Block)
	}
	if ack := readUntil(t, b, OpAck); ack.Block != 3 {
		t.Fatalf("ACK %d after the final block", ack.Block)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got.String() != "12345678abcdefghxyz" || got.lasts != 1 {
		t.Fatalf("got %q", got.String())
	}
	_ = binary.BigEndian
}

// TestNoAllocationPerBlock: a transfer eight times longer allocates no more
// than a short one: blocks are read, encoded and sent in place.
func TestNoAllocationPerBlock(t *testing.T) {
	a, rr := listenUDP(t), newRawReceiver(listenUDP(t), 1468, 16)
	p := Params{BlockSize: 1468, WindowSize: 16, Timeout: time.Second, Retries: 5}
	allocs := func(size int64) float64 {
		return testing.AllocsPerRun(3, func() {
			done := make(chan error, 1)
			go func() { _, _, err := rr.run(10 * time.Second); done <- err }()
			_, err := ServeRead(context.Background(), NewConnTransport(a, addrOf(rr.conn)), p, behaviour.Options{}, &patternReader{n: size})
			if err := errors.Join(err, <-done); err != nil {
				t.Fatal(err)
			}
		})
	}
	short, long := allocs(1<<20), allocs(8<<20)
	if long > short+4 {
		t.Fatalf("%v allocations for 1 MiB, %v for 8 MiB", short, long)
	}
	t.Logf("%v allocations per transfer", long)
}

// TestReceiverNoAllocationPerBlock: the same for a whole transfer, sender
// and receiver, over loopback UDP.
func TestReceiverNoAllocationPerBlock(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	p := Params{BlockSize: 1468, WindowSize: 8, Timeout: 30 * time.Millisecond, Retries: 20}
	discard := sinkFunc(func([]byte, bool) error { return nil })
	allocs := func(size int64) float64 {
		return testing.AllocsPerRun(2, func() {
			done := make(chan error, 1)
			go func() {
				_, err := ServeWrite(context.Background(), NewConnTransport(b, addrOf(a)), p, behaviour.Options{}, discard)
				done <- err
			}()
			_, err := ServeRead(context.Background(), NewConnTransport(a, addrOf(b)), p, behaviour.Options{}, &patternReader{n: size})
			if err := errors.Join(err, <-done); err != nil {
				t.Fatal(err)
			}
		})
	}
	short, long := allocs(1<<20), allocs(8<<20)
	if long > short+8 {
		t.Fatalf("%v allocations for 1 MiB, %v for 8 MiB", short, long)
	}
}

// TestStalePacketsIgnored: a receiver ignores DATA older than its last
// acknowledged window, and a sender ignores ACKs older than its window;
// neither answers them nor loses its place.
func TestStalePacketsIgnored(t *testing.T) {
	a, b := listenUDP(t), listenUDP(t)
	got := &sinkBuffer{}
	errc := make(chan error, 1)
	p := Params{BlockSize: 8, WindowSize: 1, Timeout: 300 * time.Millisecond, Retries: 2}
	recvTr := newCounting(NewConnTransport(a, addrOf(b)))
	go func() {
		_, err := ServeWrite(context.Background(), recvTr, p, behaviour.Options{}, got)
		errc <- err
	}()
	readUntil(t, b, OpAck) // ACK 0
	for i, chunk := range []string{"aaaaaaaa", "bbbbbbbb", "cccccccc"} {
		_, _ = b.WriteToUDPAddrPort(AppendData(nil, uint16(i+1), []byte(chunk)), addrOf(a))
		readUntil(t, b, OpAck)
	}
	// Block 1 and 2 are stale now (the last ACK was for 3): no answer.
	_, _ = b.WriteToUDPAddrPort(AppendData(nil, 1, []byte("XXXXXXXX")), addrOf(a))
	_, _ = b.WriteToUDPAddrPort(AppendData(nil, 2, []byte("YYYYYYYY")), addrOf(a))
	// Block 3 again: our ACK 3 was lost, so it is acknowledged again.
	_, _ = b.WriteToUDPAddrPort(AppendData(nil, 3, []byte("cccccccc")), addrOf(a))
	if ack := readUntil(t, b, OpAck); ack.Block != 3 {
		t.Fatalf("ACK %d", ack.Block)
	}
	_, _ = b.WriteToUDPAddrPort(AppendData(nil, 4, []byte("end")), addrOf(a))
	if ack := readUntil(t, b, OpAck); ack.Block != 4 {
		t.Fatalf("ACK %d", ack.Block)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got.String() != "aaaaaaaabbbbbbbbccccccccend" || recvTr.count(OpAck) != 6 {
		t.Fatalf("got %q with %d ACKs", got.String(), recvTr.count(OpAck))
	}

	// The sender side: a stale ACK in the middle changes nothing.
	s, peer := listenUDP(t), listenUDP(t)
	sendTr := newCounting(NewConnTransport(s, addrOf(peer)))
	type outcome struct {
		st  Stats
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		st, err := ServeRead(context.Background(), sendTr, p, behaviour.Options{}, strings.NewReader("0123456789abcdefghijklmnXY"))
		done <- outcome{st, err}
	}()
	for block := uint16(1); block <= 4; block++ {
		if pk := readUntil(t, peer, OpData); pk.Block != block {
			t.Fatalf("DATA %d, want %d", pk.Block, block)
		}
		if block == 3 {
			_, _ = peer.WriteToUDPAddrPort(AppendAck(nil, 1), addrOf(s)) // stale
		}
		_, _ = peer.WriteToUDPAddrPort(AppendAck(nil, block), addrOf(s))
	}
	o := <-done
	if o.err != nil || o.st.Retransmits != 0 || sendTr.count(OpData) != 4 {
		t.Fatalf("%v, %d retransmits, %d DATA", o.err, o.st.Retransmits, sendTr.count(OpData))
	}
}
