package daemon_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/tftp"
)

var big = bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB, 129 blocks

// startReads starts n reads from new clients bound to local, each stopped
// after DATA 2 (the transfer runs, confirmed by ACK 1, waiting for ACK 2).
func startReads(t *testing.T, srv *daemontest.TFTPServer, local string, n int) []*rawClient {
	t.Helper()
	var cs []*rawClient
	for range n {
		c := newRawClientFrom(t, srv.Addr(), local)
		c.rrq("f")
		c.expect(tftp.OpData)
		c.ack(1)
		c.expect(tftp.OpData)
		cs = append(cs, c)
	}
	return cs
}

// finish completes a read started by startReads.
func finish(t *testing.T, c *rawClient) {
	t.Helper()
	c.ack(2)
	for {
		r := c.expect(tftp.OpData)
		c.ack(r.Block)
		if len(r.Payload) < tftp.DefaultBlockSize {
			return
		}
	}
}

func TestMaxTransfersExactlyN(t *testing.T) {
	const n = 3
	sp := newSpy(newMemory(big))
	srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) { d.MaxTransfers = n; d.Timeout = 5 * time.Second })
	running := startReads(t, srv, "127.0.0.1:0", n)

	over := newRawClient(t, srv.Addr())
	over.rrq("f")
	if e := over.expectError(behaviour.CodeDiskFull); e.Message != "too many transfers" {
		t.Errorf("message %q", e.Message)
	}
	if got := len(srv.TFTP.Active()); got != n {
		t.Errorf("Active() lists %d transfers, want %d", got, n)
	}

	finish(t, running[0])
	sp.waitCounts(t, n, 0, 1)
	waitFor(t, "a free slot", func() bool { return len(srv.TFTP.Active()) == n-1 })
	startReads(t, srv, "127.0.0.1:0", 1)
}

func TestMaxPerClient(t *testing.T) {
	srv := daemontest.NewTFTP(t, newMemory(big), func(d *daemon.TFTP) { d.MaxPerClient = 2; d.Timeout = 5 * time.Second })
	startReads(t, srv, "127.0.0.1:0", 2)
	c := newRawClientFrom(t, srv.Addr(), "127.0.0.1:0")
	c.rrq("f")
	c.expectError(behaviour.CodeDiskFull)
	// Another address of the same host is another client.
	startReads(t, srv, "127.0.0.2:0", 2)
}

func TestMaxSize(t *testing.T) {
	const limit = 1000
	config := func(d *daemon.TFTP) { d.MaxSize = limit }
	t.Run("read of unknown size", func(t *testing.T) {
		sp := newSpy(funcs{read: func(_ *behaviour.Transfer, p []byte) (int, error) { return copy(p, big), nil }})
		srv := daemontest.NewTFTP(t, sp, config)
		c := newRawClient(t, srv.Addr())
		c.rrq("endless")
		var got int
		for {
			r := c.next()
			if r.Op == tftp.OpError {
				if r.Code != behaviour.CodeDiskFull {
					t.Fatalf("ERROR %d %q, want 3", r.Code, r.Message)
				}
				break
			}
			got += len(r.Payload)
			c.ack(r.Block)
		}
		if got > limit {
			t.Errorf("peer received %d bytes, more than MaxSize %d", got, limit)
		}
		sp.waitCounts(t, 1, 1, 0)
	})
	t.Run("read of known size", func(t *testing.T) {
		sp := newSpy(newMemory(big))
		srv := daemontest.NewTFTP(t, sp, config)
		c := newRawClient(t, srv.Addr())
		c.rrq("big", "tsize", "0")
		c.expectError(behaviour.CodeDiskFull)
		sp.waitCounts(t, 1, 1, 0)
	})
	t.Run("write", func(t *testing.T) {
		m := newMemory(nil)
		sp := newSpy(m)
		srv := daemontest.NewTFTP(t, sp, config)
		c := newRawClient(t, srv.Addr())
		c.wrq("up")
		c.expect(tftp.OpAck)
		block := bytes.Repeat([]byte{1}, tftp.DefaultBlockSize)
		c.data(1, block)
		c.expect(tftp.OpAck)
		c.data(2, block)
		c.expectError(behaviour.CodeDiskFull)
		sp.waitCounts(t, 1, 1, 0)
		if _, ok := m.file("up"); ok {
			t.Error("the oversized upload was committed")
		}
	})
}

func TestMaxDuration(t *testing.T) {
	const limit = 300 * time.Millisecond
	var failed []daemon.Stats
	done := make(chan struct{})
	sp := newSpy(newMemory(big))
	srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) {
		d.MaxDuration = limit
		d.OnFailure = func(s daemon.Stats) { failed = append(failed, s); close(done) }
	})
	c := newRawClient(t, srv.Addr())
	start := time.Now()
	c.rrq("f")
	for {
		r := c.next()
		if r.Op == tftp.OpError {
			break
		}
		time.Sleep(20 * time.Millisecond) // a slow reader
		c.ack(r.Block)
	}
	if d := time.Since(start); d < limit || d > 3*limit {
		t.Errorf("transfer ended after %v, want about %v", d, limit)
	}
	sp.waitCounts(t, 1, 1, 0)
	<-done
	if failed[0].Outcome != daemon.OutcomeTimedOut {
		t.Errorf("outcome %v, want timed out", failed[0].Outcome)
	}
}

func TestRequestRate(t *testing.T) {
	srv := daemontest.NewTFTP(t, behaviour.Bytes([]byte("x")), func(d *daemon.TFTP) {
		d.RequestRate = 0.5
		d.RequestBurst = 2
	})
	for i := range 4 {
		c := newRawClientFrom(t, srv.Addr(), "127.0.0.1:0")
		c.rrq("f")
		if i < 2 {
			c.ack(c.expect(tftp.OpData).Block)
		} else {
			c.silent(100 * time.Millisecond)
		}
	}
	c := newRawClientFrom(t, srv.Addr(), "127.0.0.3:0")
	c.rrq("f")
	c.expect(tftp.OpData)
}

// TestFirstReplyRetries: a request nobody answers (a spoofed source) gets
// its first reply at most 1+FirstReplyRetries times, whatever Retries says.
func TestFirstReplyRetries(t *testing.T) {
	for _, first := range []string{"OACK", "DATA"} {
		t.Run(first, func(t *testing.T) {
			outcome := make(chan daemon.Outcome, 1)
			srv := daemontest.NewTFTP(t, behaviour.Bytes(big), func(d *daemon.TFTP) {
				d.Timeout = 40 * time.Millisecond
				d.Retries = 10
				d.FirstReplyRetries = 2
				d.OnFailure = func(s daemon.Stats) { outcome <- s.Outcome }
			})
			c := newRawClient(t, srv.Addr())
			if first == "OACK" {
				c.rrq("f", "blksize", "1024")
			} else {
				c.rrq("f")
			}
			sends := 0
			for {
				r, ok := c.recv(500 * time.Millisecond)
				if !ok {
					break
				}
				if r.Op == tftp.OpError {
					t.Fatalf("the silent peer got an ERROR %q: more traffic towards a spoofed source", r.Message)
				}
				sends++
			}
			if sends != 3 {
				t.Errorf("first reply sent %d times, want 3", sends)
			}
			if o := <-outcome; o != daemon.OutcomeTimedOut {
				t.Errorf("outcome %v, want timed out", o)
			}
		})
	}
}

// TestDallyHoldsNoPlace: after a write is committed, the engine dallies for
// one timeout to re-ACK a lost final ACK; that must not keep the next
// upload waiting under MaxTransfers.
func TestDallyHoldsNoPlace(t *testing.T) {
	for _, ports := range []daemon.PortPolicy{daemon.PortsRandom, daemon.PortsSingle} {
		t.Run(ports.String(), func(t *testing.T) {
			m := newMemory(nil)
			hooks := newHookLog()
			srv := daemontest.NewTFTP(t, m, hooks.install(nil), func(d *daemon.TFTP) {
				d.MaxTransfers = 1
				d.Timeout = 5 * time.Second
				d.Ports = ports
			})
			c := newRawClient(t, srv.Addr())
			c.put("one", []byte("first"))
			c.put("two", []byte("second")) // from the same port, while "one" dallies
			waitFor(t, "the second upload", func() bool { b, _ := m.file("two"); return string(b) == "second" })
			for range 2 { // reported at once, not after the dally of two timeouts
				receive(t, hooks.successes, "OnSuccess")
			}
			srv.Close() // ends the dallies quietly: the files are in
			c.silent(50 * time.Millisecond)
			select {
			case f := <-hooks.failures:
				t.Errorf("a committed upload failed: %+v", f)
			default:
			}
		})
	}
}

// TestSinglePortRetryFreesThePlace: in single-port mode a client that
// gives up and asks again from the same port is not refused by
// MaxPerClient because of the transfer it abandoned.
func TestSinglePortRetryFreesThePlace(t *testing.T) {
	srv := daemontest.NewTFTP(t, newMemory(big), func(d *daemon.TFTP) {
		d.Ports = daemon.PortsSingle
		d.MaxPerClient = 1
		d.Timeout = 5 * time.Second
	})
	c := newRawClient(t, srv.Addr())
	c.rrq("first")
	c.expect(tftp.OpData) // abandoned
	if got, _ := c.get("second"); !bytes.Equal(got, big) {
		t.Fatal("wrong content")
	}
}
