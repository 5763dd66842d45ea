package registry_test

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/registry"
)

// decorator stands for the decorators of the handlers package: it forwards
// every call, keeps per-transfer state of its own under its own key (as the
// registry does, so the two must not collide), counts reads and unwraps.
type decorator struct {
	h     behaviour.Handler
	reads atomic.Int64
}

type decoratorKey struct{ d *decorator }

func wrap(h behaviour.Handler) *decorator { return &decorator{h: h} }

func (d *decorator) Unwrap() behaviour.Handler { return d.h }

func (d *decorator) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	t.SetValue(decoratorKey{d}, t.Name)
	return d.h.Prepare(ctx, t)
}

func (d *decorator) Open(ctx context.Context, t *behaviour.Transfer) error {
	t.SetValue(decoratorKey{d}, t.Name)
	return d.h.Open(ctx, t)
}

func (d *decorator) Read(t *behaviour.Transfer, p []byte) (int, error) {
	if t.Value(decoratorKey{d}) != t.Name {
		return 0, errors.New("decorator state lost")
	}
	d.reads.Add(1)
	return d.h.Read(t, p)
}

func (d *decorator) Write(t *behaviour.Transfer, p []byte, last bool) error {
	return d.h.Write(t, p, last)
}

func (d *decorator) Abort(t *behaviour.Transfer, err error) { d.h.Abort(t, err) }

func TestNoRouteCodes(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`only`, text("x"))
	ctx := context.Background()
	for _, access := range []behaviour.Access{behaviour.Read, behaviour.Write} {
		want := behaviour.CodeNotFound
		if access == behaviour.Write {
			want = behaviour.CodeAccessViolation
		}
		tr := newTransfer(t, access, "unrouted/secret.cfg")
		errOpen := r.Open(ctx, tr)
		errPrepare := r.Prepare(ctx, newTransfer(t, access, "unrouted/secret.cfg"))
		for _, err := range []error{errOpen, errPrepare} {
			if got := code(t, err); got != want || !errors.Is(err, registry.ErrNoRoute) {
				t.Errorf("%v of an unrouted name: %v (code %d), want code %d", access, err, got, want)
			}
			if msg := behaviour.PeerMessage(err); msg != want.String() {
				t.Errorf("peer message %q, want %q", msg, want.String())
			}
		}
		if tr.Pattern != "" {
			t.Errorf("Pattern %q set without a match", tr.Pattern)
		}
	}
}

func TestNotOpened(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`.*`, behaviour.Bytes([]byte("x")))
	tr := newTransfer(t, behaviour.Read, "a")
	if _, err := r.Read(tr, make([]byte, 8)); !errors.Is(err, registry.ErrNotOpen) {
		t.Errorf("Read before Open: %v, want ErrNotOpen", err)
	}
	if err := r.Write(tr, []byte("x"), true); !errors.Is(err, registry.ErrNotOpen) {
		t.Errorf("Write before Open: %v, want ErrNotOpen", err)
	}
	r.Abort(tr, errors.New("never opened"))
	if _, ok := r.ReaderAt(tr); ok {
		t.Error("ReaderAt offered for a transfer never opened")
	}
	if _, ok := r.WriterAt(tr); ok {
		t.Error("WriterAt offered for a transfer never opened")
	}
	// Opened by another registry: still not ours.
	var other registry.Registry
	other.MustRegister(`.*`, behaviour.Bytes([]byte("x")))
	tr = open(t, &other, "a")
	if _, err := r.Read(tr, make([]byte, 8)); !errors.Is(err, registry.ErrNotOpen) {
		t.Errorf("Read of another registry's transfer: %v, want ErrNotOpen", err)
	}
}

// A transfer keeps the handler it was opened with while its route is
// replaced and then removed; new transfers see each change at once.
func TestChangesDuringTransfer(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`fw\.bin`, behaviour.Bytes([]byte("version one")))
	running := open(t, &r, "fw.bin")
	buf := make([]byte, 4)
	if n, err := r.Read(running, buf); err != nil || string(buf[:n]) != "vers" {
		t.Fatalf("first Read = %q, %v", buf[:n], err)
	}

	if err := r.Replace(`fw\.bin`, behaviour.Bytes([]byte("version two"))); err != nil {
		t.Fatal(err)
	}
	if got := read(t, &r, "fw.bin"); got != "version two" {
		t.Errorf("new transfer after Replace read %q", got)
	}
	if err := r.Unregister(`fw\.bin`); err != nil {
		t.Fatal(err)
	}
	if err := r.Open(context.Background(), newTransfer(t, behaviour.Read, "fw.bin")); code(t, err) != behaviour.CodeNotFound {
		t.Errorf("Open after Unregister: %v, want not found", err)
	}
	if got := "vers" + readRest(t, &r, running); got != "version one" {
		t.Errorf("running transfer read %q, want its original handler's content", got)
	}
	if ra, ok := r.ReaderAt(running); !ok {
		t.Error("ReaderAt of the running transfer lost after Unregister")
	} else if b := make([]byte, 3); func() bool { n, _ := ra.ReadAt(b, 8); return string(b[:n]) != "one" }() {
		t.Errorf("ReadAt of the running transfer = %q, want one", b)
	}
}

// Prepare's choice serves the Open that follows, even when the routes
// change in between (the client side matches the local name once).
func TestPrepareChoiceServesOpen(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`local\.bin`, text("prepared"))
	tr := newTransfer(t, behaviour.Read, "local.bin")
	if err := r.Prepare(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if tr.Pattern != `local\.bin` {
		t.Errorf("Prepare set Pattern %q", tr.Pattern)
	}
	if err := r.Replace(`local\.bin`, text("replaced")); err != nil {
		t.Fatal(err)
	}
	if err := r.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if got := readRest(t, &r, tr); got != "prepared" {
		t.Errorf("read %q, want the handler Prepare chose", got)
	}
}

// Abort and Write reach the chosen handler.
func TestForwardsWriteAndAbort(t *testing.T) {
	var r registry.Registry
	var got []string
	sink := behaviour.WriteFunc(func(_ context.Context, t *behaviour.Transfer, rd io.Reader) error {
		b, err := io.ReadAll(rd)
		got = append(got, t.Param("name")+"="+string(b))
		return err
	})
	r.MustRegister(`up/(?<name>.+)`, sink)
	ctx := context.Background()

	tr := newTransfer(t, behaviour.Write, "up/ok")
	if err := r.Open(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(tr, []byte("data"), false); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(tr, nil, true); err != nil {
		t.Fatal(err)
	}

	tr = newTransfer(t, behaviour.Write, "up/aborted")
	if err := r.Open(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(tr, []byte("part"), false); err != nil {
		t.Fatal(err)
	}
	r.Abort(tr, errors.New("peer went away"))
	if len(got) != 2 || got[0] != "ok=data" || got[1] != "aborted=part" {
		t.Errorf("sink saw %q, want ok=data and aborted=part", got)
	}
}

func TestNestedRegistries(t *testing.T) {
	var inner, outer registry.Registry
	inner.MustRegister(`dev/(?<host>[^/]+)\.cfg`, text("config of %s", "host"))
	inner.MustRegister(`dev/.*`, text("inner catch-all"))
	d := wrap(&inner)
	outer.MustRegister(`dev/.*`, d)
	outer.MustRegister(`other/.*`, &inner) // the same registry twice
	outer.MustRegister(`.*`, text("outer catch-all"))

	tr := open(t, &outer, "dev/sw1.cfg")
	if tr.Pattern != `dev/(?<host>[^/]+)\.cfg` || tr.Param("host") != "sw1" {
		t.Errorf("nested Open set Pattern %q host %q, want the inner route's", tr.Pattern, tr.Param("host"))
	}
	if got := readRest(t, &outer, tr); got != "config of sw1" {
		t.Errorf("read %q", got)
	}
	if d.reads.Load() == 0 {
		t.Error("reads did not pass through the decorator")
	}
	if got := read(t, &outer, "dev/x"); got != "inner catch-all" {
		t.Errorf("read dev/x = %q", got)
	}
	if got := read(t, &outer, "x"); got != "outer catch-all" {
		t.Errorf("read x = %q", got)
	}
	// The outer route matched, the inner none: the inner's no-route error.
	err := outer.Open(context.Background(), newTransfer(t, behaviour.Read, "other/x"))
	if code(t, err) != behaviour.CodeNotFound {
		t.Errorf("unrouted inner name: %v, want not found", err)
	}
}

// A decorator wrapped around a registry sees the registry's capabilities
// through Unwrap, and its state does not collide with the registry's.
func TestDecoratorAroundRegistry(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`.*`, behaviour.Bytes([]byte("0123456789")))
	d := wrap(&r)
	tr := open(t, d, "f")
	ra, ok := behaviour.ReaderAt(d, tr)
	if !ok {
		t.Fatal("random access not found through the decorator and the registry")
	}
	b := make([]byte, 3)
	if n, err := ra.ReadAt(b, 7); n != 3 || string(b) != "789" {
		t.Errorf("ReadAt = %q, %v", b[:n], err)
	}
	if got := readRest(t, d, tr); got != "0123456789" {
		t.Errorf("read %q", got)
	}
}
