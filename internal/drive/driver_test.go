package drive_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
)

// fake is a handler whose Read and Write are the test's, counting Aborts.
type fake struct {
	behaviour.Base
	read   func(p []byte) (int, error)
	write  func(p []byte, last bool) error
	aborts atomic.Int32
}

func (f *fake) Open(context.Context, *behaviour.Transfer) error { return nil }

func (f *fake) Read(_ *behaviour.Transfer, p []byte) (int, error) { return f.read(p) }

func (f *fake) Write(_ *behaviour.Transfer, p []byte, last bool) error { return f.write(p, last) }

func (f *fake) Abort(*behaviour.Transfer, error) { f.aborts.Add(1) }

func opened(t *testing.T, f *fake, cfg drive.Config) *drive.Driver {
	t.Helper()
	d := drive.New(f, &behaviour.Transfer{}, cfg)
	if err := d.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// assertInternal checks that err is an undefined error whose peer message
// says nothing but "internal error", caused by want.
func assertInternal(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || !errors.Is(err, behaviour.ErrUndefined) || behaviour.PeerMessage(err) != "internal error" {
		t.Fatalf("got %v (peer message %q), want an internal error caused by %v", err, behaviour.PeerMessage(err), want)
	}
}

func TestPanicIsContainedAndReported(t *testing.T) {
	var got []string
	cfg := drive.Config{Panic: func(call string, v any, stack []byte) {
		got = append(got, call, v.(string), string(stack))
	}}
	f := &fake{read: func([]byte) (int, error) { panic("boom") }}
	d := opened(t, f, cfg)
	_, err := d.Read(make([]byte, 8))
	assertInternal(t, err, drive.ErrPanicked)
	if strings.Contains(behaviour.PeerMessage(err), "boom") {
		t.Error("the panic value reaches the peer")
	}
	if len(got) != 3 || got[0] != "Read" || got[1] != "boom" || !strings.Contains(got[2], "goroutine") {
		t.Errorf("panic hook got %q, want the call, the value and the stack", got)
	}
	if _, again := d.Read(make([]byte, 8)); again != err {
		t.Errorf("a Read after the failure got %v, want the first failure again", again)
	}
	if !d.Abort(err) || d.Abort(err) || f.aborts.Load() != 1 {
		t.Errorf("Abort after a failure: %d calls, want exactly 1", f.aborts.Load())
	}
}

func TestCountsOutOfRangeFail(t *testing.T) {
	for _, n := range []int{-1, 9} {
		f := &fake{read: func([]byte) (int, error) { return n, nil }}
		_, err := opened(t, f, drive.Config{}).Read(make([]byte, 8))
		assertInternal(t, err, drive.ErrBadCount)
		var ce *drive.CountError
		if !errors.As(err, &ce) || ce.Call != "Read" || ce.N != n || ce.Len != 8 {
			t.Errorf("count %d: the cause %v does not say what Read returned", n, err)
		}
	}
	d := opened(t, &fake{}, drive.Config{})
	_, err := d.ReadAt(badAt(9), make([]byte, 8), 0)
	assertInternal(t, err, drive.ErrBadCount)
	_, err = d.WriteAt(badAt(-1), make([]byte, 8), 0)
	assertInternal(t, err, drive.ErrBadCount)
	if _, err = d.WriteAt(badAt(3), make([]byte, 8), 0); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("short WriteAt without an error: got %v, want io.ErrShortWrite", err)
	}
}

// badAt answers ReadAt and WriteAt with its own count.
type badAt int

func (b badAt) ReadAt([]byte, int64) (int, error)  { return int(b), nil }
func (b badAt) WriteAt([]byte, int64) (int, error) { return int(b), nil }

func TestStuckReadFails(t *testing.T) {
	var calls int
	f := &fake{read: func([]byte) (int, error) { calls++; return 0, nil }}
	d := opened(t, f, drive.Config{})
	var err error
	for i := 0; i < 2*drive.MaxZeroReads && err == nil; i++ {
		_, err = d.Read(make([]byte, 8))
	}
	assertInternal(t, err, drive.ErrNoProgress)
	if calls != drive.MaxZeroReads {
		t.Errorf("stuck after %d calls, want %d", calls, drive.MaxZeroReads)
	}
}

func TestProgressResetsTheStuckCount(t *testing.T) {
	var calls int
	f := &fake{read: func([]byte) (int, error) {
		if calls++; calls%(drive.MaxZeroReads-1) == 0 {
			return 1, nil
		}
		return 0, nil
	}}
	d := opened(t, f, drive.Config{})
	for i := 0; i < 3*drive.MaxZeroReads; i++ {
		if _, err := d.Read(make([]byte, 8)); err != nil {
			t.Fatalf("call %d: %v", calls, err)
		}
	}
}

func TestExactlyOneEnding(t *testing.T) {
	f := &fake{read: func(p []byte) (int, error) { return copy(p, "x"), io.EOF }}
	d := opened(t, f, drive.Config{})
	if n, err := d.Read(make([]byte, 8)); n != 1 || err != io.EOF || !d.Ended() {
		t.Fatalf("Read = %d, %v; want 1, io.EOF and the ending", n, err)
	}
	if n, err := d.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("Read after the ending = %d, %v; want 0, io.EOF without a call", n, err)
	}
	if d.Abort(errors.New("late")) || f.aborts.Load() != 0 {
		t.Error("Abort ran after the ending")
	}
	w := &fake{write: func([]byte, bool) error { return nil }}
	d = opened(t, w, drive.Config{})
	if err := d.Write(nil, true); err != nil || !d.Ended() {
		t.Fatalf("commit: %v", err)
	}
	assertInternal(t, d.Write([]byte("x"), true), drive.ErrEnded)
	if d.Abort(errors.New("late")) || w.aborts.Load() != 0 {
		t.Error("Abort ran after the commit")
	}
}

func TestAbortIsIdempotentAndNeedsOpen(t *testing.T) {
	f := &fake{write: func([]byte, bool) error { return nil }}
	d := drive.New(f, &behaviour.Transfer{}, drive.Config{})
	if d.Abort(errors.New("before Open")) {
		t.Error("Abort ran before Open")
	}
	d = opened(t, f, drive.Config{})
	for range 3 {
		d.Abort(errors.New("gone"))
	}
	if f.aborts.Load() != 1 {
		t.Errorf("%d Aborts, want 1", f.aborts.Load())
	}
	assertInternal(t, d.Write([]byte("x"), false), drive.ErrEnded)
}

func TestOverrunIsReported(t *testing.T) {
	release := make(chan struct{})
	overran := make(chan time.Duration, 1)
	f := &fake{read: func([]byte) (int, error) { <-release; return 1, nil }}
	d := opened(t, f, drive.Config{Limit: 10 * time.Millisecond, Overrun: func(l time.Duration) { overran <- l }})
	go func() {
		if got := <-overran; got != 10*time.Millisecond || !d.Busy() {
			t.Errorf("overrun at %v, busy %v", got, d.Busy())
		}
		close(release)
	}()
	if _, err := d.Read(make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	if d.Busy() {
		t.Error("busy after the call returned")
	}
}

func TestEndRead(t *testing.T) {
	cases := map[string]struct {
		err  error
		want error
	}{
		"io.EOF": {io.EOF, nil},
		"nil":    {nil, drive.ErrBadEnding},
		"error":  {behaviour.ErrNotFound, behaviour.ErrNotFound},
	}
	for name, tc := range cases {
		f := &fake{read: func(p []byte) (int, error) {
			if p != nil {
				t.Errorf("%s: EndRead called Read with %d bytes, want nil", name, len(p))
			}
			return 0, tc.err
		}}
		d := opened(t, f, drive.Config{})
		err := d.EndRead()
		if !errors.Is(err, tc.want) || (tc.want == nil) != d.Ended() {
			t.Errorf("%s: EndRead = %v, ended %v; want %v", name, err, d.Ended(), tc.want)
		}
	}
}

func TestContainOutsideATransfer(t *testing.T) {
	var calls []string
	err := drive.Contain("List", func(call string, _ any, _ []byte) { calls = append(calls, call) },
		func() error { panic("boom") })
	assertInternal(t, err, drive.ErrPanicked)
	if len(calls) != 1 || calls[0] != "List" || !strings.Contains(err.Error(), "List panicked: boom") {
		t.Errorf("err %v, hook saw %q", err, calls)
	}
	if err := drive.Contain("Stat", nil, func() error { panic("no hook") }); !errors.Is(err, drive.ErrPanicked) {
		t.Errorf("without a hook: %v", err)
	}
}

func TestInCallCountsRunningCalls(t *testing.T) {
	var running atomic.Int32
	var seen int32
	f := &fake{read: func(p []byte) (int, error) { seen = running.Load(); return 1, nil }}
	d := opened(t, f, drive.Config{InCall: &running})
	if _, err := d.Read(make([]byte, 1)); err != nil || seen != 1 || running.Load() != 0 {
		t.Errorf("in the call %d running, after it %d; want 1 and 0 (%v)", seen, running.Load(), err)
	}
}

// countingAt counts the random reads and writes that reach it.
type countingAt struct{ calls atomic.Int32 }

func (c *countingAt) ReadAt(p []byte, _ int64) (int, error)  { c.calls.Add(1); return len(p), nil }
func (c *countingAt) WriteAt(p []byte, _ int64) (int, error) { c.calls.Add(1); return len(p), nil }

// TestNoRandomCallsAfterTheEnding: once the handler had its ending or its
// Abort, ReadAt and WriteAt fail without reaching it, as Read and Write
// do; an engine's own goroutines (net/http's multipart copy) may still
// ask.
func TestNoRandomCallsAfterTheEnding(t *testing.T) {
	for _, end := range []string{"ending", "abort"} {
		f := &fake{read: func([]byte) (int, error) { return 0, io.EOF }}
		d := opened(t, f, drive.Config{})
		at := &countingAt{}
		if _, err := d.ReadAt(at, make([]byte, 4), 0); err != nil || at.calls.Load() != 1 {
			t.Fatalf("%s: ReadAt before: %v, %d calls", end, err, at.calls.Load())
		}
		if end == "ending" {
			if _, err := d.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("the ending: %v", err)
			}
		} else {
			d.Abort(errors.New("gone"))
		}
		_, err := d.ReadAt(at, make([]byte, 4), 0)
		assertInternal(t, err, drive.ErrEnded)
		_, err = d.WriteAt(at, make([]byte, 4), 0)
		assertInternal(t, err, drive.ErrEnded)
		if at.calls.Load() != 1 {
			t.Errorf("%s: %d random calls reached the handler, want 1 (before)", end, at.calls.Load())
		}
	}
}
