package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/tftp"
)

// assertServes fails the test unless the daemon still serves a read.
func assertServes(t *testing.T, srv *daemontest.TFTPServer, name string) {
	t.Helper()
	c := newRawClient(t, srv.Addr())
	c.rrq(name)
	r := c.next()
	if r.Op != tftp.OpData && r.Op != tftp.OpError {
		t.Fatalf("daemon answered %v after the failure", r.Op)
	}
	if r.Op == tftp.OpData {
		c.ack(r.Block)
	}
}

func TestOpenErrorsOnTheWire(t *testing.T) {
	cases := []struct {
		err  error
		code behaviour.Code
		msg  string
	}{
		{behaviour.ErrNotFound, 1, "file not found"},
		{behaviour.ErrAccessViolation.With(errors.New("open /srv/secret/x: denied")), 2, "access violation"},
		{behaviour.ErrDiskFull, 3, "disk full or allocation exceeded"},
		{behaviour.ErrFileExists, 6, "file already exists"},
		{&behaviour.Error{Code: 42, Message: "try the other server"}, 42, "try the other server"},
		{fmt.Errorf("open /srv/secret/x: %w", fs.ErrNotExist), 1, "file not found"},
		{errors.New("open /srv/secret/x: input/output error"), 0, "internal error"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.code, " ", tc.msg), func(t *testing.T) {
			sp := newSpy(funcs{open: func(context.Context, *behaviour.Transfer) error { return tc.err }})
			srv := daemontest.NewTFTP(t, sp)
			c := newRawClient(t, srv.Addr())
			c.rrq("f")
			e := c.expectError(tc.code)
			if e.Message != tc.msg {
				t.Errorf("message %q, want %q", e.Message, tc.msg)
			}
			if strings.Contains(string(e.raw), "secret") {
				t.Errorf("the cause leaked to the peer: %q", e.raw)
			}
			sp.waitCounts(t, 1, 0, 0)
		})
	}
}

func TestRefusalsBeforeOpen(t *testing.T) {
	cases := []struct {
		name   string
		config daemontest.Option
		op     tftp.Opcode
		file   string
	}{
		{"traversal", nil, tftp.OpRRQ, "../etc/passwd"},
		{"drive letter", nil, tftp.OpWRQ, `C:\windows\x`},
		{"reads refused", func(d *daemon.TFTP) { d.RefuseReads = true }, tftp.OpRRQ, "myfile"},
		{"writes refused", func(d *daemon.TFTP) { d.RefuseWrites = true }, tftp.OpWRQ, "myfile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp := newSpy(newMemory([]byte("x")))
			var opts []daemontest.Option
			if tc.config != nil {
				opts = append(opts, tc.config)
			}
			srv := daemontest.NewTFTP(t, sp, opts...)
			c := newRawClient(t, srv.Addr())
			c.request(tc.op, tc.file)
			if e := c.expectError(behaviour.CodeAccessViolation); strings.Contains(e.Message, tc.file) {
				t.Errorf("the refusal echoes the name: %q", e.Message)
			}
			sp.waitCounts(t, 0, 0, 0)
		})
	}
}

func TestMidTransferErrors(t *testing.T) {
	block := bytes.Repeat([]byte{1}, 512)
	t.Run("read", func(t *testing.T) {
		sp := newSpy(funcs{read: func(t *behaviour.Transfer, p []byte) (int, error) {
			if t.State == nil {
				t.State = true
				return copy(p, block), nil
			}
			return 0, behaviour.ErrDiskFull.With(errors.New("/var/cache: EIO"))
		}})
		srv := daemontest.NewTFTP(t, sp)
		c := newRawClient(t, srv.Addr())
		c.rrq("f")
		c.expect(tftp.OpData)
		c.ack(1)
		c.expectError(behaviour.CodeDiskFull)
		sp.waitCounts(t, 1, 1, 0)
		if err := sp.abortErrs[0]; !errors.Is(err, behaviour.ErrDiskFull) {
			t.Errorf("Abort got %v, want the handler's error", err)
		}
	})
	t.Run("write", func(t *testing.T) {
		sp := newSpy(funcs{write: func(*behaviour.Transfer, []byte, bool) error { return behaviour.ErrFileExists }})
		srv := daemontest.NewTFTP(t, sp)
		c := newRawClient(t, srv.Addr())
		c.wrq("f")
		c.expect(tftp.OpAck)
		c.data(1, []byte("short"))
		c.expectError(behaviour.CodeFileExists)
		sp.waitCounts(t, 1, 1, 0)
	})
}

func TestPanicsAreContained(t *testing.T) {
	cases := []struct {
		name   string
		h      funcs
		op     tftp.Opcode
		aborts int
	}{
		{"Open", funcs{open: func(context.Context, *behaviour.Transfer) error { panic("boom in Open") }}, tftp.OpRRQ, 0},
		{"Read", funcs{read: func(*behaviour.Transfer, []byte) (int, error) { panic("boom in Read") }}, tftp.OpRRQ, 1},
		{"Write", funcs{write: func(*behaviour.Transfer, []byte, bool) error { panic("boom in Write") }}, tftp.OpWRQ, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logRecorder{}
			sp := newSpy(tc.h)
			srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) { d.Logger = logs.logger() })
			c := newRawClient(t, srv.Addr())
			c.request(tc.op, "f")
			if tc.op == tftp.OpWRQ {
				c.expect(tftp.OpAck)
				c.data(1, []byte("x"))
			}
			if e := c.expectError(behaviour.CodeUndefined); strings.Contains(e.Message, "boom") {
				t.Errorf("the panic value reached the peer: %q", e.Message)
			}
			sp.waitCounts(t, 1, tc.aborts, 0)
			panics := logs.find("panicked")
			if len(panics) != 1 || !strings.Contains(panics[0].attrs["stack"], "goroutine") ||
				!strings.Contains(panics[0].attrs["panic"], "boom") {
				t.Errorf("want one panic log with its value and stack, got %v", panics)
			}
			assertServes(t, srv, "again")
		})
	}
}

func TestPanicInAbortIsContained(t *testing.T) {
	h := &panickyAbort{funcs: funcs{read: func(*behaviour.Transfer, []byte) (int, error) { return 0, behaviour.ErrNotFound }}}
	srv := daemontest.NewTFTP(t, h)
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	c.expectError(behaviour.CodeNotFound)
	waitFor(t, "Abort", func() bool { return h.aborts.Load() == 1 })
	assertServes(t, srv, "again")
}

type panickyAbort struct {
	funcs
	aborts atomic.Int32
}

func (p *panickyAbort) Abort(*behaviour.Transfer, error) {
	p.aborts.Add(1)
	panic("boom in Abort")
}

// TestWatchdog: a handler call slower than twice the timeout has its
// context cancelled, the peer gets an ERROR before the call returns, and
// Abort runs only after it has returned.
func TestWatchdog(t *testing.T) {
	const timeout = 150 * time.Millisecond
	for _, call := range []string{"Open", "Read", "Write"} {
		t.Run(call, func(t *testing.T) {
			returned := make(chan struct{})
			var ctxErr atomic.Value
			slow := func(ctx context.Context) {
				time.Sleep(3 * timeout)
				if ctx.Err() != nil {
					ctxErr.Store(ctx.Err())
				}
				close(returned)
			}
			h := funcs{}
			switch call {
			case "Open":
				h.open = func(ctx context.Context, _ *behaviour.Transfer) error { slow(ctx); return nil }
			case "Read":
				h.read = func(t *behaviour.Transfer, _ []byte) (int, error) { slow(t.Context()); return 0, io.EOF }
			case "Write":
				h.write = func(t *behaviour.Transfer, _ []byte, _ bool) error { slow(t.Context()); return nil }
			}
			sp := newSpy(h)
			srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) { d.Timeout = timeout })
			c := newRawClient(t, srv.Addr())
			op := tftp.OpRRQ
			if call == "Write" {
				op = tftp.OpWRQ
			}
			c.request(op, "f")
			if call == "Write" {
				c.expect(tftp.OpAck)
				c.data(1, []byte("x"))
			}
			c.expectError(behaviour.CodeUndefined)
			select {
			case <-returned:
				t.Fatal("the ERROR came only after the slow call returned")
			default:
			}
			if _, a, _ := sp.counts(); a != 0 {
				t.Fatal("Abort ran while the slow call was still running")
			}
			<-returned
			if ctxErr.Load() == nil {
				t.Error("the slow call's context was not cancelled")
			}
			aborts := 1
			if call == "Read" || call == "Write" {
				// The late call returned the ending (io.EOF, a committed
				// last Write): nothing may follow it, not even Abort.
				aborts = 0
			}
			sp.waitCounts(t, 1, aborts, map[bool]int{true: 1}[aborts == 0])
			c.silent(2 * timeout) // no DATA or second ERROR after the late call
		})
	}
}

// TestWatchdogAbortsAfterLateFailure: a slow Read that then fails gets its
// Abort after returning.
func TestWatchdogAbortsAfterLateFailure(t *testing.T) {
	const timeout = 100 * time.Millisecond
	returned := make(chan struct{})
	sp := newSpy(funcs{read: func(t *behaviour.Transfer, _ []byte) (int, error) {
		<-t.Context().Done()
		time.Sleep(timeout)
		close(returned)
		return 0, t.Context().Err()
	}})
	srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) { d.Timeout = timeout })
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	c.expectError(behaviour.CodeUndefined)
	<-returned
	sp.waitCounts(t, 1, 1, 0)
}

// TestDuplicateRequestJoins: a request repeated from the same address and
// port for the same name while its transfer runs starts nothing new.
func TestDuplicateRequestJoins(t *testing.T) {
	data := bytes.Repeat([]byte("dup"), 400)
	m := newMemory(data)
	sp := newSpy(funcs{
		open: func(ctx context.Context, t *behaviour.Transfer) error {
			time.Sleep(50 * time.Millisecond) // the repeats arrive while Open runs
			return m.Open(ctx, t)
		},
		read: m.Read,
	})
	srv := daemontest.NewTFTP(t, sp)
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	c.rrq("f")
	c.rrq("f")
	got := readAll(t, c)
	c.silent(100 * time.Millisecond)
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, want %d", len(got), len(data))
	}
	sp.waitCounts(t, 1, 0, 1)

	// Another port is another transfer.
	c2 := newRawClient(t, srv.Addr())
	if got, _ := c2.get("f"); !bytes.Equal(got, data) {
		t.Fatal("second client read the wrong data")
	}
	sp.waitCounts(t, 2, 0, 2)
}

// readAll receives a lock-step read at the default block size after the
// request was sent.
func readAll(t *testing.T, c *rawClient) []byte {
	t.Helper()
	var out []byte
	for want := uint16(1); ; want++ {
		r := c.expect(tftp.OpData)
		if r.Block != want {
			t.Fatalf("DATA %d, want %d", r.Block, want)
		}
		out = append(out, r.Payload...)
		c.ack(want)
		if len(r.Payload) < tftp.DefaultBlockSize {
			return out
		}
	}
}
