package daemon_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/tftp"
	"github.com/filemux/filemux/internal/wire"
)

// hookLog collects what the hooks see.
type hookLog struct {
	requests, successes, failures chan daemon.Stats
}

func newHookLog() *hookLog {
	return &hookLog{make(chan daemon.Stats, 16), make(chan daemon.Stats, 16), make(chan daemon.Stats, 16)}
}

func (h *hookLog) install(refuse error) daemontest.Option {
	return func(d *daemon.TFTP) {
		d.OnRequest = func(s daemon.Stats) error { h.requests <- s; return refuse }
		d.OnSuccess = func(s daemon.Stats) { h.successes <- s }
		d.OnFailure = func(s daemon.Stats) { h.failures <- s }
	}
}

func receive(t *testing.T, c chan daemon.Stats, what string) daemon.Stats {
	t.Helper()
	select {
	case s := <-c:
		return s
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s hook call", what)
		return daemon.Stats{}
	}
}

func TestHooksSuccess(t *testing.T) {
	hooks := newHookLog()
	data := bytes.Repeat([]byte("h"), 3000)
	srv := daemontest.NewTFTP(t, behaviour.Bytes(data), hooks.install(nil))
	c := newRawClient(t, srv.Addr())
	c.get("dir//file.bin", "blksize", "1024", "tsize", "0")

	req := receive(t, hooks.requests, "OnRequest")
	if req.Outcome != daemon.OutcomeRunning || req.Name != "dir/file.bin" || req.RequestedName != "dir//file.bin" {
		t.Errorf("OnRequest saw %+v", req)
	}
	s := receive(t, hooks.successes, "OnSuccess")
	switch {
	case s.Outcome != daemon.OutcomeSuccess || s.Code != 0 || s.Err != nil:
		t.Errorf("outcome %v code %d err %v", s.Outcome, s.Code, s.Err)
	case s.Bytes != int64(len(data)):
		t.Errorf("Bytes %d, want %d", s.Bytes, len(data))
	case s.Peer != c.addr() || s.Local != srv.Addr():
		t.Errorf("peer %v local %v, want %v and %v", s.Peer, s.Local, c.addr(), srv.Addr())
	case s.Access != behaviour.Read || s.Protocol != behaviour.TFTP || s.Mode != behaviour.Octet:
		t.Errorf("access %v protocol %v mode %v", s.Access, s.Protocol, s.Mode)
	case s.Accepted.String() != "blksize=1024 tsize=3000" || s.Requested.String() != "blksize=1024 tsize=0":
		t.Errorf("requested %q accepted %q", s.Requested.String(), s.Accepted.String())
	case s.Duration <= 0 || s.Start.IsZero():
		t.Errorf("start %v duration %v", s.Start, s.Duration)
	}
	select {
	case f := <-hooks.failures:
		t.Errorf("OnFailure called for a success: %+v", f)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestOnRequestRefuses(t *testing.T) {
	hooks := newHookLog()
	sp := newSpy(newMemory([]byte("x")))
	srv := daemontest.NewTFTP(t, sp, hooks.install(&behaviour.Error{Code: 7, Message: "who are you"}))
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	if e := c.expectError(7); e.Message != "who are you" {
		t.Errorf("message %q", e.Message)
	}
	f := receive(t, hooks.failures, "OnFailure")
	if f.Outcome != daemon.OutcomeRefused || f.Code != 7 {
		t.Errorf("outcome %v code %d, want refused 7", f.Outcome, f.Code)
	}
	sp.waitCounts(t, 0, 0, 0)
}

// TestDeclinedIsQuiet: UEFI firmware asks for tsize, then answers the OACK
// with ERROR 8. That is a normal end: Abort runs, the hooks see "declined",
// nothing is logged as a warning or an error.
func TestDeclinedIsQuiet(t *testing.T) {
	hooks := newHookLog()
	logs := &logRecorder{}
	sp := newSpy(newMemory(big))
	srv := daemontest.NewTFTP(t, sp, hooks.install(nil), func(d *daemon.TFTP) { d.Logger = logs.logger() })
	c := newRawClient(t, srv.Addr())
	c.rrq("bootx64.efi", "tsize", "0", "blksize", "1468")
	oack := c.expect(tftp.OpOACK)
	if v, _ := oack.Options.Get("tsize"); v != "65536" {
		t.Fatalf("OACK tsize %q", v)
	}
	c.sendTID(tftp.AppendError(nil, behaviour.CodeOptionRefused, "tsize only"))
	f := receive(t, hooks.failures, "OnFailure")
	if f.Outcome != daemon.OutcomeDeclined || f.Code != behaviour.CodeOptionRefused {
		t.Errorf("outcome %v code %d, want declined 8", f.Outcome, f.Code)
	}
	sp.waitCounts(t, 1, 1, 0)
	c.silent(50 * time.Millisecond)
	if loud := logs.atLeast(slog.LevelWarn); len(loud) > 0 {
		t.Errorf("declined transfer logged loudly: %+v", loud)
	}
}

// TestPeerErrorAborts: a peer ERROR mid-transfer aborts the handler once and
// reaches the failure hook with the peer's code.
func TestPeerErrorAborts(t *testing.T) {
	hooks := newHookLog()
	sp := newSpy(newMemory(big))
	srv := daemontest.NewTFTP(t, sp, hooks.install(nil))
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	c.expect(tftp.OpData)
	c.sendTID(tftp.AppendError(nil, behaviour.CodeDiskFull, "my disk is full"))
	f := receive(t, hooks.failures, "OnFailure")
	if f.Outcome != daemon.OutcomeFailed || f.Code != behaviour.CodeDiskFull {
		t.Errorf("outcome %v code %d", f.Outcome, f.Code)
	}
	sp.waitCounts(t, 1, 1, 0)
	c.silent(50 * time.Millisecond)
}

// TestOnRefuse: requests refused before admission reach OnRefuse with the
// error that went on the wire, and the rate limit's silent drops with
// ErrRateLimited; admitted transfers never do.
func TestOnRefuse(t *testing.T) {
	refusals := make(chan error, 8)
	srv := daemontest.NewTFTP(t, behaviour.Bytes([]byte("ok")), func(d *daemon.TFTP) {
		d.RefuseWrites = true
		d.RequestRate, d.RequestBurst = 0.001, 3
		d.OnRefuse = func(_ netip.AddrPort, err error) { refusals <- err }
	})
	c := newRawClient(t, srv.Addr())
	c.get("fine")
	c.rrq("../x")
	c.expectError(behaviour.CodeAccessViolation)
	c.wrq("up")
	c.expectError(behaviour.CodeAccessViolation)
	c.rrq("dropped") // the fourth request: over the burst of 3
	for i, want := range []behaviour.Code{behaviour.CodeAccessViolation, behaviour.CodeAccessViolation} {
		if err := <-refusals; wire.TFTPCode(err) != want {
			t.Errorf("refusal %d: %v (code %d), want code %d", i, err, wire.TFTPCode(err), want)
		}
	}
	if err := <-refusals; !errors.Is(err, daemon.ErrRateLimited) {
		t.Errorf("rate-limited request: %v, want ErrRateLimited", err)
	}
	select {
	case err := <-refusals:
		t.Errorf("unexpected refusal %v", err)
	case <-time.After(50 * time.Millisecond):
	}
}

// A panic in OnRefuse is contained: the read loop still answers, so the
// refusal's ERROR and the next transfer arrive.
func TestOnRefusePanicIsContained(t *testing.T) {
	srv := daemontest.NewTFTP(t, behaviour.Bytes([]byte("ok")), func(d *daemon.TFTP) {
		d.RefuseWrites = true
		d.OnRefuse = func(netip.AddrPort, error) { panic("hook") }
	})
	c := newRawClient(t, srv.Addr())
	c.wrq("up")
	c.expectError(behaviour.CodeAccessViolation)
	c.get("fine")
}
