package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// TestReadToWriter streams a download into an io.Writer.
func TestReadToWriter(t *testing.T) {
	root, _, c := dirServer(t)
	data := randomBytes(10000)
	writeFile(t, root, "f", data)
	var buf bytes.Buffer
	if _, err := c.ReadTo(context.Background(), "f", &buf); err != nil || sha(buf.Bytes()) != sha(data) {
		t.Fatalf("got %d bytes, err %v", buf.Len(), err)
	}
}

// TestWriteFromReader uploads an io.Reader of unknown size, and a
// strings.Reader whose size goes out as tsize.
func TestWriteFromReader(t *testing.T) {
	h := newHooks()
	root, _, c := dirServer(t, h.option())
	c.TSize = true
	data := randomBytes(7000)
	if _, err := c.WriteFrom(context.Background(), "plain", io.MultiReader(bytes.NewReader(data))); err != nil {
		t.Fatal(err)
	}
	if s := h.request(t); s.Requested.Has("tsize") {
		t.Errorf("an upload of unknown size sent tsize: %s", s.Requested.String())
	}
	if got := fileSHA(t, root+"/plain"); got != sha(data) {
		t.Fatal("upload from a reader differs")
	}
	res, err := c.WriteFrom(context.Background(), "sized", strings.NewReader("hello"))
	if err != nil || res.Size != 5 {
		t.Fatalf("res %+v, err %v", res, err)
	}
	if s := h.request(t); s.Requested.String() != "tsize=5" {
		t.Errorf("requested %q, want tsize=5", s.Requested.String())
	}
}

// TestHandlerViaRegistry: the local side is the handler a registry picks
// by the LOCAL name, as Erlang's client-side callbacks.
func TestHandlerViaRegistry(t *testing.T) {
	root, _, c := dirServer(t)
	data := randomBytes(4000)
	writeFile(t, root, "remote.bin", data)
	configs, other := handlers.NewMemory(), handlers.NewMemory()
	var reg registry.Registry
	reg.MustRegister(`configs/.*`, configs)
	reg.MustRegister(`.*`, other)

	if _, err := c.ReadHandler(context.Background(), "remote.bin", "configs/r1.cfg", &reg); err != nil {
		t.Fatal(err)
	}
	if got, ok := configs.Get("configs/r1.cfg"); !ok || sha(got) != sha(data) {
		t.Fatalf("the matching handler holds %d bytes (ok %v)", len(got), ok)
	}
	if other.Len() != 0 {
		t.Fatal("the catch-all got the download")
	}
	if _, err := c.WriteHandler(context.Background(), "back.bin", "configs/r1.cfg", &reg); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, root+"/back.bin") != sha(data) {
		t.Fatal("upload from the registry differs")
	}
	if _, err := c.WriteHandler(context.Background(), "x", "nothing/here", &reg); !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("upload of a missing local name: %v, want not found", err)
	}
}

// TestHandlerLifecycle: Prepare sees the suggested options and may drop
// one, Open sees what the server accepted and the size it announced.
func TestHandlerLifecycle(t *testing.T) {
	h := newHooks()
	root, _, c := dirServer(t, h.option())
	writeFile(t, root, "f", randomBytes(3000))
	c.BlockSize, c.WindowSize, c.TSize = 1024, 4, true
	rec := &recorder{Memory: handlers.NewMemory(), dropOnPrepare: "windowsize"}
	if _, err := c.ReadHandler(context.Background(), "f", "local", rec); err != nil {
		t.Fatal(err)
	}
	if got := rec.prepared.String(); got != "blksize=1024" && got != "blksize=1024 tsize=0" {
		t.Errorf("Prepare left %q", got)
	}
	if !rec.prepared.Has("tsize") {
		t.Errorf("Prepare did not see tsize: %q", rec.prepared.String())
	}
	if s := h.request(t); s.Requested.Has("windowsize") {
		t.Errorf("the request carried an option Prepare dropped: %q", s.Requested.String())
	}
	if v, _ := rec.opened.Get("tsize"); v != "3000" || !rec.sizeKnown || rec.size != 3000 {
		t.Errorf("Open saw options %q and size %d (%v)", rec.opened.String(), rec.size, rec.sizeKnown)
	}
	if rec.aborts != 0 {
		t.Errorf("Abort called %d times on success", rec.aborts)
	}
}

// raiser is a local handler whose Prepare raises blksize.
type raiser struct{ behaviour.Base }

func (raiser) Prepare(_ context.Context, t *behaviour.Transfer) error {
	return t.Options.Set("blksize", "65000")
}

// TestPrepareMayNotRaise: a Prepare that raises an option fails the
// transfer before anything is sent.
func TestPrepareMayNotRaise(t *testing.T) {
	h := newHooks()
	_, _, c := dirServer(t, h.option())
	c.BlockSize = 512
	if _, err := c.ReadHandler(context.Background(), "f", "local", raiser{}); !errors.Is(err, behaviour.ErrOptionRefused) {
		t.Fatalf("err = %v, want option refused", err)
	}
	select {
	case s := <-h.requests:
		t.Errorf("the server saw a request: %+v", s)
	default:
	}
}

// failingReader yields n bytes, then fails.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, behaviour.NewError(behaviour.CodeDiskFull, "source failed")
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

// TestAbortOnceOnServerError: a server ERROR in the middle of a download
// aborts the local handler exactly once, and nothing is committed.
func TestAbortOnceOnServerError(t *testing.T) {
	src := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return &failingReader{n: 3000}, nil
	})
	srv := daemontest.NewTFTP(t, src)
	c := &client.TFTP{Addr: srv.Addr().String()}
	rec := &recorder{Memory: handlers.NewMemory()}
	_, err := c.ReadHandler(context.Background(), "big", "local", rec)
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != behaviour.CodeDiskFull || se.Message != "source failed" {
		t.Fatalf("err = %v, want the server's ERROR 3", err)
	}
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Server != srv.Addr().String() {
		t.Errorf("the error names server %q, want the address asked, %s", ce.Server, srv.Addr())
	}
	if rec.aborts != 1 || rec.Len() != 0 || !errors.As(rec.abortErr, &se) {
		t.Fatalf("Abort called %d times (with %v), %d files committed; want 1 and 0", rec.aborts, rec.abortErr, rec.Len())
	}
}

// panicker panics in Write.
type panicker struct{ behaviour.Base }

func (panicker) Write(*behaviour.Transfer, []byte, bool) error { panic("boom") }

// TestLocalPanic: a panic in the local handler fails the transfer, tells
// the server and does not crash the caller.
func TestLocalPanic(t *testing.T) {
	h := newHooks()
	root, _, c := dirServer(t, h.option())
	writeFile(t, root, "f", []byte("data"))
	if _, err := c.ReadHandler(context.Background(), "f", "local", panicker{}); err == nil {
		t.Fatal("a panicking handler succeeded")
	}
	if s := h.next(t); s.Err == nil || s.Code != behaviour.CodeUndefined {
		t.Fatalf("the server saw %+v, want a failure with code 0", s)
	}
}

// sizer is an upload handler that learns its size in Prepare.
type sizer struct {
	behaviour.Base
	data []byte
}

func (s sizer) Prepare(_ context.Context, t *behaviour.Transfer) error {
	t.SetSize(int64(len(s.data)))
	return nil
}

func (s sizer) Open(_ context.Context, t *behaviour.Transfer) error {
	t.State = bytes.NewReader(s.data)
	return nil
}

func (s sizer) Read(t *behaviour.Transfer, p []byte) (int, error) {
	return t.State.(*bytes.Reader).Read(p)
}

// TestUploadSizeFromPrepare: a handler that sets the size in Prepare has
// it sent as tsize.
func TestUploadSizeFromPrepare(t *testing.T) {
	h := newHooks()
	root, _, c := dirServer(t, h.option())
	c.TSize = true
	data := randomBytes(1234)
	if _, err := c.WriteHandler(context.Background(), "up", "local", sizer{data: data}); err != nil {
		t.Fatal(err)
	}
	if s := h.request(t); s.Requested.String() != "tsize=1234" {
		t.Errorf("requested %q, want tsize=1234", s.Requested.String())
	}
	if fileSHA(t, root+"/up") != sha(data) {
		t.Fatal("upload differs")
	}
}

// TestEmptyLocalPath fails before anything is sent.
func TestEmptyLocalPath(t *testing.T) {
	_, _, c := dirServer(t)
	if _, err := c.ReadFile(context.Background(), "f", ""); err == nil {
		t.Fatal("a download into an empty path succeeded")
	}
}
