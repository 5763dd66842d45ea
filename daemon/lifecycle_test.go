package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/tftp"
)

func TestShutdownLetsTransfersFinish(t *testing.T) {
	data := bytes.Repeat([]byte("s"), 20*tftp.DefaultBlockSize+7)
	sp := newSpy(newMemory(data))
	srv := daemontest.NewTFTP(t, sp)
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	first := c.expect(tftp.OpData)

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- srv.TFTP.Shutdown(ctx)
	}()
	waitFor(t, "draining", func() bool {
		late := newRawClient(t, srv.Addr())
		late.rrq("f")
		r, ok := late.recv(time.Second)
		return ok && r.Op == tftp.OpError && r.Message == "server shutting down"
	})

	got := first.Payload
	c.ack(1)
	for {
		r := c.expect(tftp.OpData)
		got = append(got, r.Payload...)
		time.Sleep(5 * time.Millisecond) // a slow reader
		c.ack(r.Block)
		if len(r.Payload) < tftp.DefaultBlockSize {
			break
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the transfer did not finish intact")
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v, want nil after the transfer finished", err)
	}
	sp.waitCounts(t, 1, 0, 1)
}

func TestShutdownAbortsAtTheDeadline(t *testing.T) {
	hooks := newHookLog()
	sp := newSpy(newMemory(big))
	srv := daemontest.NewTFTP(t, sp, hooks.install(nil), func(d *daemon.TFTP) { d.Timeout = 10 * time.Second })
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	c.expect(tftp.OpData) // and then the reader stalls
	receive(t, hooks.requests, "OnRequest")

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := srv.TFTP.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want the context's error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	if e := c.expectError(behaviour.CodeUndefined); e.Message != "server shutting down" {
		t.Errorf("message %q", e.Message)
	}
	sp.waitCounts(t, 1, 1, 0)
	if f := receive(t, hooks.failures, "OnFailure"); f.Outcome != daemon.OutcomeShutdown {
		t.Errorf("outcome %v, want shutdown", f.Outcome)
	}
}

// TestShutdownDoesNotWaitForAStuckHandler: a handler call that never
// returns cannot hold Shutdown past its deadline; its peer gets the ERROR at
// once and Abort follows when the call returns.
func TestShutdownDoesNotWaitForAStuckHandler(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	sp := newSpy(funcs{read: func(*behaviour.Transfer, []byte) (int, error) {
		close(entered)
		<-release
		return 0, errors.New("released")
	}})
	srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) { d.Timeout = 10 * time.Second })
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = srv.TFTP.Shutdown(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown waited %v for a stuck handler", d)
	}
	c.expectError(behaviour.CodeUndefined)
	if _, a, _ := sp.counts(); a != 0 {
		t.Fatal("Abort ran while Read was still running")
	}
	close(release)
	sp.waitCounts(t, 1, 1, 0)
}

func TestCloseAbortsAtOnce(t *testing.T) {
	sp := newSpy(newMemory(big))
	srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) { d.Timeout = 10 * time.Second })
	c := newRawClient(t, srv.Addr())
	c.wrq("up")
	c.expect(tftp.OpAck)
	c.data(1, bytes.Repeat([]byte{1}, 512))
	c.expect(tftp.OpAck)
	srv.Close()
	c.expectError(behaviour.CodeUndefined)
	sp.waitCounts(t, 1, 1, 0)
	// The socket is closed: nobody answers any more.
	c.rrq("f")
	c.silent(100 * time.Millisecond)
}

func TestIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	d := &daemon.TFTP{Handler: behaviour.Bytes([]byte("idle")), IdleTimeout: idle}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- d.Serve(pc) }()
	waitFor(t, "serving", func() bool { return d.Addr().IsValid() })

	time.Sleep(idle / 2)
	c := newRawClient(t, d.Addr())
	if got, _ := c.get("f"); string(got) != "idle" {
		t.Fatalf("read %q", got)
	}
	activity := time.Now()
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v before the idle timeout", err)
	case <-time.After(time.Until(activity.Add(idle * 2 / 3))):
	}
	select {
	case err := <-done:
		if !errors.Is(err, daemon.ErrIdle) {
			t.Fatalf("Serve: %v, want ErrIdle", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the daemon did not stop when idle")
	}
	if since := time.Since(activity); since < idle {
		t.Errorf("stopped %v after the last activity, want at least %v", since, idle)
	}
	if since := time.Since(start); since < idle*3/2 {
		t.Errorf("stopped %v after starting, the request should have delayed it", since)
	}
}

// TestIdleWaitsForTransfers: a transfer longer than the idle timeout keeps
// the daemon up.
func TestIdleWaitsForTransfers(t *testing.T) {
	const idle = 150 * time.Millisecond
	d := &daemon.TFTP{Handler: newMemory(big), IdleTimeout: idle}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(pc) }()
	waitFor(t, "serving", func() bool { return d.Addr().IsValid() })
	c := newRawClient(t, d.Addr())
	c.rrq("f")
	c.expect(tftp.OpData)
	time.Sleep(2 * idle) // the transfer runs, no request arrives
	c.ack(1)
	for {
		r := c.expect(tftp.OpData)
		c.ack(r.Block)
		if len(r.Payload) < tftp.DefaultBlockSize {
			break
		}
	}
	if err := <-done; !errors.Is(err, daemon.ErrIdle) {
		t.Fatalf("Serve: %v", err)
	}
}

func TestActive(t *testing.T) {
	srv := daemontest.NewTFTP(t, newMemory(big), func(d *daemon.TFTP) { d.Timeout = 5 * time.Second })
	c := newRawClient(t, srv.Addr())
	c.rrq("some/file", "blksize", "1000")
	c.expect(tftp.OpOACK)
	c.ack(0)
	c.expect(tftp.OpData)
	var a []daemon.Stats
	waitFor(t, "bytes in the snapshot", func() bool {
		a = srv.TFTP.Active()
		return len(a) == 1 && a[0].Bytes >= 1000
	})
	s := a[0]
	if s.Peer != c.addr() || s.Name != "some/file" || s.Access != behaviour.Read ||
		s.Outcome != daemon.OutcomeRunning || s.Start.IsZero() || s.Accepted.String() != "blksize=1000" {
		t.Errorf("snapshot %+v", s)
	}
}

func TestServeValidates(t *testing.T) {
	cases := []struct {
		d    *daemon.TFTP
		want string
	}{
		{&daemon.TFTP{}, "Handler is nil"},
		{&daemon.TFTP{Handler: behaviour.Base{}, MaxBlockSize: 4}, "MaxBlockSize"},
		{&daemon.TFTP{Handler: behaviour.Base{}, Ports: daemon.PortRange(2000, 1000)}, "port range"},
		{&daemon.TFTP{Handler: behaviour.Base{}, MaxTransfers: -1}, "MaxTransfers"},
	}
	for _, tc := range cases {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := tc.d.Serve(pc); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Serve: %v, want an error about %s", err, tc.want)
		}
		if _, err := pc.WriteTo([]byte("x"), pc.LocalAddr()); err == nil {
			t.Error("Serve left the rejected socket open")
		}
	}
}

func TestServeAfterShutdown(t *testing.T) {
	d := &daemon.TFTP{Handler: behaviour.Base{}}
	_ = d.Shutdown(context.Background())
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Serve(pc); !errors.Is(err, daemon.ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}

// A committed upload has only its dally left; Shutdown must not wait for it
// (a peer asking timeout=5 would otherwise hold it up for ten seconds).
func TestShutdownDoesNotWaitForADally(t *testing.T) {
	mem := newMemory(nil)
	srv := daemontest.NewTFTP(t, mem)
	c := newRawClient(t, srv.Addr())
	data := bytes.Repeat([]byte("d"), 3*tftp.DefaultBlockSize+1)
	c.put("up", data, "timeout", "5")

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.TFTP.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v, want nil: the upload was committed", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Shutdown took %v: it waited for the dally", d)
	}
	if got, ok := mem.file("up"); !ok || !bytes.Equal(got, data) {
		t.Fatal("the committed upload is missing or damaged")
	}
}
