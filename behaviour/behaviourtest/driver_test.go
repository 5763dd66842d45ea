package behaviourtest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
)

func TestWriteThenRead(t *testing.T) {
	ctx := context.Background()
	data := pattern(10000)
	for _, h := range []behaviour.Handler{newStore(nil), &blobs{files: map[string][]byte{}}} {
		for _, random := range []bool{false, true} {
			for _, chunk := range []int{1, 512, 1468, 65464} {
				name := fmt.Sprintf("%T/%v/%d", h, random, chunk)
				opts := []behaviourtest.Option{behaviourtest.ChunkSize(chunk), behaviourtest.RandomAccess(random)}
				if err := behaviourtest.Write(ctx, h, name, data, opts...); err != nil {
					t.Fatalf("Write %s: %v", name, err)
				}
				got, err := behaviourtest.Read(ctx, h, name, opts...)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("Read %s: %d bytes, %v; want the %d bytes written", name, len(got), err, len(data))
				}
			}
		}
	}
}

func TestReadRefusals(t *testing.T) {
	ctx := context.Background()
	h := &recorder{h: newStore(nil)}
	if _, err := behaviourtest.Read(ctx, h, "../etc/passwd"); !errors.Is(err, behaviour.ErrBadName) {
		t.Errorf("Read of a traversal: %v, want ErrBadName", err)
	}
	if calls := h.take(); len(calls) != 0 {
		t.Errorf("a bad name reached the handler: %v", calls)
	}
	_, err := behaviourtest.Read(ctx, h, "missing")
	if !errors.Is(err, behaviour.ErrNotFound) || err.Error() != "file not found" {
		t.Errorf("Read of a missing file: %v, want exactly ErrNotFound", err)
	}
	if calls := h.take(); !slices.Equal(calls, []string{"Open"}) {
		t.Errorf("calls after a refused Open: %v, want only Open", calls)
	}
}

// TestEndings checks that the driver gives every transfer exactly one
// ending, as engines must.
func TestEndings(t *testing.T) {
	ctx := context.Background()
	h := &recorder{h: newStore(map[string][]byte{"f": []byte("abcde")})}
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"read", func() error {
			_, err := behaviourtest.Read(ctx, h, "f", behaviourtest.ChunkSize(2))
			return err
		}, "Open Read(2) Read(2) Read(2) Read(2)"},
		{"write", func() error {
			return behaviourtest.Write(ctx, h, "g", []byte("abcde"), behaviourtest.ChunkSize(2))
		}, "Open Write(2) Write(2) Write(1, last)"},
		{"empty write", func() error {
			return behaviourtest.Write(ctx, h, "g", nil)
		}, "Open Write(0, last)"},
		{"failing write", func() error {
			return behaviourtest.Write(ctx, failingWrite{h}, "g", []byte("abcde"), behaviourtest.ChunkSize(2))
		}, "Open Write(2) Abort(disk full or allocation exceeded)"},
		{"cancelled", func() error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := behaviourtest.Read(ctx, h, "f")
			return err
		}, "Open Abort(context canceled)"},
	}
	for _, tt := range tests {
		err := tt.run()
		if got := strings.Join(h.take(), " "); got != tt.want {
			t.Errorf("%s: calls %q, want %q (error %v)", tt.name, got, tt.want, err)
		}
	}
}

// failingWrite fails its first Write with disk full, after recording it.
type failingWrite struct{ *recorder }

func (f failingWrite) Write(t *behaviour.Transfer, p []byte, last bool) error {
	_ = f.recorder.Write(t, p, last)
	return behaviour.ErrDiskFull
}

// recorder wraps a handler and records the calls it passes on.
type recorder struct {
	mu    sync.Mutex
	calls []string
	h     behaviour.Handler
}

func (r *recorder) record(format string, args ...any) {
	r.mu.Lock()
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := r.calls
	r.calls = nil
	return calls
}

func (r *recorder) Unwrap() behaviour.Handler { return r.h }

func (r *recorder) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	r.record("Prepare")
	return r.h.Prepare(ctx, t)
}

func (r *recorder) Open(ctx context.Context, t *behaviour.Transfer) error {
	r.record("Open")
	return r.h.Open(ctx, t)
}

func (r *recorder) Read(t *behaviour.Transfer, p []byte) (int, error) {
	r.record("Read(%d)", len(p))
	return r.h.Read(t, p)
}

func (r *recorder) Write(t *behaviour.Transfer, p []byte, last bool) error {
	if last {
		r.record("Write(%d, last)", len(p))
	} else {
		r.record("Write(%d)", len(p))
	}
	return r.h.Write(t, p, last)
}

func (r *recorder) Abort(t *behaviour.Transfer, err error) {
	r.record("Abort(%v)", err)
	r.h.Abort(t, err)
}

func TestRunReportsViolations(t *testing.T) {
	tr, err := behaviourtest.NewTransfer(behaviour.Read, "f")
	if err != nil {
		t.Fatal(err)
	}
	got, err := behaviourtest.Run(context.Background(), wrongSize{}, tr, nil)
	var v *behaviourtest.Violation
	if !errors.As(err, &v) || v.Rule != behaviourtest.RuleSize || v.Name != "f" || v.Access != behaviour.Read {
		t.Errorf("Run of a handler announcing a wrong size: %v, want a size violation", err)
	}
	if !bytes.Equal(got, content) {
		t.Errorf("Run returned %q, want the bytes read %q", got, content)
	}
}

func TestRunRecoversPanics(t *testing.T) {
	_, err := behaviourtest.Read(context.Background(), panicsInRead{}, "f")
	if rules := rulesOf(err); !rules[behaviourtest.RulePanic] {
		t.Errorf("Read of a panicking handler: %v, want a panic violation", err)
	}
}

func TestNewTransfer(t *testing.T) {
	suggest := behaviourtest.Suggest(behaviour.Option{Name: "BlkSize", Value: "1468"}, behaviour.Option{Name: "tsize", Value: "99"})
	r, err := behaviourtest.NewTransfer(behaviour.Read, `\dir\\file`, suggest)
	if err != nil {
		t.Fatal(err)
	}
	w, err := behaviourtest.NewTransfer(behaviour.Write, "up", suggest, behaviourtest.Protocol(behaviour.SFTP))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"protocol", r.Protocol, behaviour.TFTP},
		{"access", r.Access, behaviour.Read},
		{"requested name", r.RequestedName, `\dir\\file`},
		{"name", r.Name, "dir/file"},
		{"mode", r.Mode, behaviour.Octet},
		{"read options", r.Options.String(), "blksize=1468 tsize=0"},
		{"write options", w.Options.String(), "blksize=1468 tsize=0"},
		{"peer address", r.Peer.Addr(), netip.MustParseAddr("127.0.0.1")},
		{"distinct peers", r.Peer != w.Peer, true},
		{"local TFTP", r.Local, netip.MustParseAddrPort("127.0.0.1:69")},
		{"local SFTP", w.Local, netip.MustParseAddrPort("127.0.0.1:22")},
		{"TFTP user", r.User, ""},
		{"SFTP user", w.User, "behaviourtest"},
		{"read flags", r.Flags, behaviour.OpenFlags(0)},
		{"write flags", w.Flags, behaviour.FlagCreate | behaviour.FlagTruncate},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if _, err := behaviourtest.NewTransfer(behaviour.Read, "a\x00b"); !errors.Is(err, behaviour.ErrBadName) {
		t.Errorf("NewTransfer with a NUL: %v, want ErrBadName", err)
	}
}

// TestWriteSendsTsize checks that a suggested tsize carries the upload's
// length on writes, as TFTP clients send it.
func TestWriteSendsTsize(t *testing.T) {
	var seen string
	h := behaviour.WriteFunc(func(_ context.Context, t *behaviour.Transfer, r io.Reader) error {
		seen, _ = t.Options.Get("tsize")
		_, err := io.Copy(io.Discard, r)
		return err
	})
	err := behaviourtest.Write(context.Background(), h, "up", make([]byte, 1234), behaviourtest.Suggest(behaviour.Option{Name: "tsize", Value: "0"}))
	if err != nil || seen != "1234" {
		t.Errorf("Write: tsize %q, error %v; want tsize 1234", seen, err)
	}
}

func TestOptionsReachTheTransfer(t *testing.T) {
	var got *behaviour.Transfer
	h := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		got = t
		return strings.NewReader(""), nil
	})
	peer := netip.MustParseAddrPort("192.0.2.7:40000")
	_, err := behaviourtest.Read(context.Background(), h, "f", behaviourtest.Protocol(behaviour.SCP),
		behaviourtest.User("alice"), behaviourtest.Peer(peer), behaviourtest.Mode(behaviour.Netascii))
	if err != nil {
		t.Fatal(err)
	}
	if got.Protocol != behaviour.SCP || got.User != "alice" || got.Peer != peer || got.Mode != behaviour.Netascii {
		t.Errorf("transfer %+v does not carry the options", got)
	}
}

func TestMaxSize(t *testing.T) {
	_, err := behaviourtest.Read(context.Background(), endless{}, "f", behaviourtest.MaxSize(1000))
	if rules := rulesOf(err); !rules[behaviourtest.RuleTooLong] {
		t.Errorf("Read of an endless file: %v, want a too-long violation", err)
	}
}

func TestViolationError(t *testing.T) {
	v := &behaviourtest.Violation{Access: behaviour.Write, Name: "a b", Rule: behaviourtest.RuleReadBack, Detail: "differs"}
	if got, want := v.Error(), `write "a b": read back: differs`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := behaviourtest.Rule(200).String(), "rule 200"; got != want {
		t.Errorf("String() of an unknown rule = %q, want %q", got, want)
	}
}
