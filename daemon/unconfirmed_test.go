package daemon_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/tftp"
)

// neverAnswer sends n RRQs from n sockets bound to local, one per socket,
// and never reads: the daemon's answers go nowhere, as towards a forged
// source. The sockets close with the test.
func neverAnswer(t *testing.T, srv *daemontest.TFTPServer, local string, n int, opts ...string) {
	t.Helper()
	for range n {
		newRawClientFrom(t, srv.Addr(), local).rrq("f", opts...)
	}
}

// TestUnansweredRequestsHoldNoPlace: requests that nobody answers, asking
// for the longest timeout, do not take places under MaxTransfers or
// MaxPerClient: a legitimate client is served at once (issue 16: 100 such
// requests locked everyone out for 13 minutes).
func TestUnansweredRequestsHoldNoPlace(t *testing.T) {
	srv := daemontest.NewTFTP(t, newMemory(big), func(d *daemon.TFTP) {
		d.MaxTransfers = 10
		d.MaxPerClient = 2
		d.Timeout = 5 * time.Second
	})
	neverAnswer(t, srv, "127.0.0.2:0", 100, "timeout", "255")
	waitFor(t, "100 unconfirmed transfers", func() bool { return srv.TFTP.Guard().Unconfirmed == 100 })
	for _, local := range []string{"127.0.0.1:0", "127.0.0.2:0"} { // the flood's own address too
		c := newRawClientFrom(t, srv.Addr(), local)
		if got, _ := c.get("f"); !bytes.Equal(got, big) {
			t.Fatalf("from %s: wrong content", local)
		}
	}
}

// TestUnansweredRequestsUseOwnTimeout: the first reply to a request nobody
// answers is resent after the daemon's Timeout, not after the timeout the
// request asked for, and the transfer then ends without a word.
func TestUnansweredRequestsUseOwnTimeout(t *testing.T) {
	failed := make(chan daemon.Stats, 1)
	srv := daemontest.NewTFTP(t, newMemory(big), func(d *daemon.TFTP) {
		d.Timeout = 100 * time.Millisecond
		d.OnFailure = func(s daemon.Stats) { failed <- s }
	})
	c := newRawClient(t, srv.Addr())
	c.rrq("f", "timeout", "255", "blksize", "1024")
	for i := range 3 {
		if r, ok := c.recv(2 * time.Second); !ok || r.Op != tftp.OpOACK {
			t.Fatalf("send %d of the OACK did not come within 2 s (the request asked for 255 s)", i+1)
		}
	}
	c.silent(300 * time.Millisecond)
	if s := receive(t, failed, "OnFailure"); s.Outcome != daemon.OutcomeTimedOut {
		t.Errorf("outcome %v, want timed out", s.Outcome)
	}
	if n := srv.TFTP.Guard().Unconfirmed; n != 0 {
		t.Errorf("%d unconfirmed transfers left", n)
	}
}

// TestUnconfirmedShedding: past MaxUnconfirmed an unanswered transfer is
// ended to make room, silently and with its handler's Abort, and the
// newcomer is served. The flood's own address loses its transfers first:
// an older request from another address survives it.
func TestUnconfirmedShedding(t *testing.T) {
	const budget = 5
	sp := newSpy(newMemory(big))
	srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) {
		d.MaxUnconfirmed = budget
		d.Timeout = 5 * time.Second
	})
	first := newRawClient(t, srv.Addr())
	first.rrq("f")
	first.expect(tftp.OpData)
	neverAnswer(t, srv, "127.0.0.2:0", 2*budget)
	waitFor(t, "the shedding", func() bool { c := srv.TFTP.Guard(); return c.Shed == budget+1 && c.Unconfirmed == budget })
	// A transfer shed before its Open ran is never opened; the held ones
	// are open.
	waitFor(t, "the held transfers' Open", func() bool { o, a, _ := sp.counts(); return o-a == budget })
	first.ack(1) // the oldest, but alone on its address: not shed
	first.expect(tftp.OpData)
	finish(t, first)
	// The four left of the flood, opened long ago, make room for requests
	// from new addresses: their Abort runs.
	_, aborts, _ := sp.counts()
	for i := range budget {
		newRawClientFrom(t, srv.Addr(), fmt.Sprintf("127.0.1.%d:0", i+1)).rrq("f")
	}
	waitFor(t, "the flood's Abort", func() bool { o, a, _ := sp.counts(); return a == aborts+budget-1 && o-a == budget+1 })
	if c := srv.TFTP.Guard(); c.Shed != 2*budget || c.Unconfirmed != budget {
		t.Errorf("counters %+v, want %d shed, %d unconfirmed", c, 2*budget, budget)
	}
	sp.check(t)
	c := newRawClient(t, srv.Addr())
	if got, _ := c.get("f"); !bytes.Equal(got, big) {
		t.Fatal("wrong content")
	}
}

// TestConfirmTakesThePlace: a transfer takes its place under MaxTransfers
// when its peer first answers; a peer that answers when none is free gets
// ERROR 3 and its handler's Abort runs.
func TestConfirmTakesThePlace(t *testing.T) {
	sp := newSpy(newMemory(big))
	refused := make(chan daemon.Stats, 1)
	srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) {
		d.MaxTransfers = 1
		d.Timeout = 5 * time.Second
		d.OnFailure = func(s daemon.Stats) { refused <- s }
	})
	a, b := newRawClient(t, srv.Addr()), newRawClient(t, srv.Addr())
	a.rrq("f")
	b.rrq("f")
	a.expect(tftp.OpData)
	b.expect(tftp.OpData)
	a.ack(1)
	a.expect(tftp.OpData)
	b.ack(1)
	if e := b.expectError(behaviour.CodeDiskFull); e.Message != "too many transfers" {
		t.Errorf("message %q", e.Message)
	}
	if s := receive(t, refused, "OnFailure"); s.Outcome != daemon.OutcomeRefused {
		t.Errorf("outcome %v, want refused", s.Outcome)
	}
	sp.waitCounts(t, 2, 1, 0)
	// While the place is taken, a new request is refused at once.
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	c.expectError(behaviour.CodeDiskFull)
	finish(t, a)
	sp.waitCounts(t, 2, 1, 1)
}

// TestRequestRateUnderFlood: with RequestRate set, a flood from one address
// is cut at the rate limit and clients of other addresses are served; a
// client sharing the flood's address shares its budget, and its request is
// dropped with the flood's.
func TestRequestRateUnderFlood(t *testing.T) {
	srv := daemontest.NewTFTP(t, newMemory(big), func(d *daemon.TFTP) {
		d.RequestRate, d.RequestBurst = 1, 1
		d.Timeout = 5 * time.Second
	})
	neverAnswer(t, srv, "127.0.0.2:0", 50)
	behind := newRawClientFrom(t, srv.Addr(), "127.0.0.2:0")
	behind.rrq("f")
	elsewhere := newRawClientFrom(t, srv.Addr(), "127.0.0.1:0")
	if got, _ := elsewhere.get("f"); !bytes.Equal(got, big) {
		t.Fatal("wrong content")
	}
	behind.silent(100 * time.Millisecond)
	if c := srv.TFTP.Guard(); c.Unconfirmed > 1 {
		t.Errorf("%d unconfirmed transfers: the flood passed the rate limit", c.Unconfirmed)
	}
}
