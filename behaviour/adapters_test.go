package behaviour_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/internal/wire"
)

func open(t *testing.T, h behaviour.Handler, access behaviour.Access, name string) *behaviour.Transfer {
	t.Helper()
	tr, err := behaviourtest.NewTransfer(access, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatalf("Open(%s %q): %v", access, name, err)
	}
	return tr
}

// sized reports its size through a Size method only.
type sized struct{ io.Reader }

func (sized) Size() int64 { return 42 }

func TestReadFuncSize(t *testing.T) {
	tests := []struct {
		name  string
		r     io.Reader
		size  int64
		known bool
	}{
		{"strings.Reader", strings.NewReader("hello"), 5, true},
		{"bytes.Reader", bytes.NewReader(make([]byte, 7)), 7, true},
		{"bytes.Buffer", bytes.NewBufferString("abc"), 3, true},
		{"Size method", sized{strings.NewReader("")}, 42, true},
		{"plain reader", io.MultiReader(strings.NewReader("abc")), 0, false},
	}
	for _, tt := range tests {
		h := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { return tt.r, nil })
		tr := open(t, h, behaviour.Read, "f")
		if n, ok := tr.Size(); n != tt.size || ok != tt.known {
			t.Errorf("%s: Size() = %d, %v; want %d, %v", tt.name, n, ok, tt.size, tt.known)
		}
	}
}

func TestReadFuncRefusals(t *testing.T) {
	called := false
	h := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		called = true
		return nil, behaviour.ErrNotFound.With(errors.New("no row for " + t.Name))
	})
	tr, _ := behaviourtest.NewTransfer(behaviour.Write, "f")
	if err := h.Open(context.Background(), tr); !errors.Is(err, behaviour.ErrAccessViolation) || called {
		t.Errorf("Open for writing: %v (function called: %v), want an access violation before the function", err, called)
	}
	if err := h.Write(tr, nil, true); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Write: %v, want an access violation", err)
	}
	_, err := behaviourtest.Read(context.Background(), h, "f")
	if !errors.Is(err, behaviour.ErrNotFound) || behaviour.PeerMessage(err) != "file not found" {
		t.Errorf("Read of a refused name: %v, want the function's not found", err)
	}
}

// closer counts its Close calls.
type closer struct {
	io.Reader
	closes atomic.Int32
}

func (c *closer) Close() error { c.closes.Add(1); return nil }

func TestReadFuncCloses(t *testing.T) {
	endings := []struct {
		name string
		end  func(h behaviour.Handler, tr *behaviour.Transfer)
	}{
		{"at io.EOF", func(h behaviour.Handler, tr *behaviour.Transfer) { _, _ = io.ReadAll(readerOf(h, tr)) }},
		{"on Abort", func(h behaviour.Handler, tr *behaviour.Transfer) {
			_, _ = h.Read(tr, make([]byte, 2))
			h.Abort(tr, errors.New("peer went away"))
		}},
		{"at the random-access ending", func(h behaviour.Handler, tr *behaviour.Transfer) {
			if n, err := h.Read(tr, nil); n != 0 || err != io.EOF {
				t.Errorf("Read(t, nil) = %d, %v; want 0, io.EOF", n, err)
			}
		}},
	}
	for _, e := range endings {
		c := &closer{Reader: strings.NewReader("content")}
		h := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { return c, nil })
		tr := open(t, h, behaviour.Read, "f")
		if c.closes.Load() != 0 {
			t.Fatalf("%s: closed by Open", e.name)
		}
		e.end(h, tr)
		if n := c.closes.Load(); n != 1 {
			t.Errorf("%s: closed %d times, want once", e.name, n)
		}
	}
}

// readerOf adapts one transfer of h to io.Reader.
func readerOf(h behaviour.Handler, tr *behaviour.Transfer) io.Reader {
	return readerFunc(func(p []byte) (int, error) { return h.Read(tr, p) })
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestWriteFuncCommit(t *testing.T) {
	var got []byte
	h := behaviour.WriteFunc(func(_ context.Context, _ *behaviour.Transfer, r io.Reader) error {
		var err error
		got, err = io.ReadAll(r)
		return err
	})
	data := bytes.Repeat([]byte("0123456789"), 1000)
	if err := behaviourtest.Write(context.Background(), h, "up", data, behaviourtest.ChunkSize(333)); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Write: %v; received %d bytes, want %d", err, len(got), len(data))
	}
	if _, err := behaviourtest.Read(context.Background(), h, "up"); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Read of a WriteFunc: %v, want an access violation", err)
	}
}

func TestWriteFuncAbort(t *testing.T) {
	cause := errors.New("peer sent ERROR")
	seen := make(chan error, 1)
	var ctxErr error
	h := behaviour.WriteFunc(func(ctx context.Context, _ *behaviour.Transfer, r io.Reader) error {
		_, err := io.ReadAll(r)
		seen <- err
		<-ctx.Done()
		ctxErr = ctx.Err()
		return err
	})
	tr := open(t, h, behaviour.Write, "up")
	if err := h.Write(tr, []byte("half"), false); err != nil {
		t.Fatal(err)
	}
	h.Abort(tr, cause)
	if err := <-seen; !errors.Is(err, cause) {
		t.Errorf("the function read %v, want the abort's cause", err)
	}
	if ctxErr == nil {
		t.Error("Abort returned before the function's context was cancelled")
	}
}

// TestWriteFuncAbortIgnoringReader checks that Abort returns even when the
// function does not read and waits for its context, as a function that
// streams to a remote store may.
func TestWriteFuncAbortIgnoringReader(t *testing.T) {
	h := behaviour.WriteFunc(func(ctx context.Context, _ *behaviour.Transfer, _ io.Reader) error {
		<-ctx.Done()
		return ctx.Err()
	})
	tr := open(t, h, behaviour.Write, "up")
	done := make(chan struct{})
	go func() {
		h.Abort(tr, errors.New("timeout"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Abort did not return: the function's context was never cancelled")
	}
}

func TestWriteFuncEarlyError(t *testing.T) {
	h := behaviour.WriteFunc(func(_ context.Context, _ *behaviour.Transfer, r io.Reader) error {
		_, _ = io.ReadFull(r, make([]byte, 4))
		return behaviour.ErrDiskFull
	})
	err := behaviourtest.Write(context.Background(), h, "up", make([]byte, 10000), behaviourtest.ChunkSize(512))
	if !errors.Is(err, behaviour.ErrDiskFull) {
		t.Errorf("Write: %v, want the function's disk full", err)
	}
}

func TestWriteFuncEarlyNil(t *testing.T) {
	var head []byte
	h := behaviour.WriteFunc(func(_ context.Context, _ *behaviour.Transfer, r io.Reader) error {
		head = make([]byte, 4)
		_, err := io.ReadFull(r, head)
		return err
	})
	if err := behaviourtest.Write(context.Background(), h, "up", []byte("HEADand the rest"), behaviourtest.ChunkSize(3)); err != nil || string(head) != "HEAD" {
		t.Errorf("Write: %v, head %q; want a commit after the function's early nil", err, head)
	}
}

func TestWriteFuncFailsAtCommit(t *testing.T) {
	h := behaviour.WriteFunc(func(_ context.Context, _ *behaviour.Transfer, r io.Reader) error {
		b, _ := io.ReadAll(r)
		if len(b) < 100 {
			return behaviour.NewError(behaviour.CodeIllegalOperation, "file too short")
		}
		return nil
	})
	if err := behaviourtest.Write(context.Background(), h, "up", []byte("short")); behaviour.PeerMessage(err) != "file too short" {
		t.Errorf("Write: %v, want the function's error from the final Write", err)
	}
}

func TestWriteFuncPanicIsAnError(t *testing.T) {
	h := behaviour.WriteFunc(func(context.Context, *behaviour.Transfer, io.Reader) error {
		panic("broken upload function")
	})
	err := behaviourtest.Write(context.Background(), h, "up", []byte("data"))
	if err == nil || wire.TFTPCode(err) != behaviour.CodeUndefined || strings.Contains(behaviour.PeerMessage(err), "broken") {
		t.Errorf("Write: %v, want an undefined error that hides the panic from the peer", err)
	}
}

func TestBytes(t *testing.T) {
	data := []byte("firmware image")
	h := behaviour.Bytes(data)
	for _, name := range []string{"a", "b/c.bin"} {
		for _, random := range []bool{false, true} {
			got, err := behaviourtest.Read(context.Background(), h, name, behaviourtest.ChunkSize(3), behaviourtest.RandomAccess(random))
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("Read(%q, random %v) = %q, %v", name, random, got, err)
			}
		}
	}
	tr := open(t, h, behaviour.Read, "x")
	if n, ok := tr.Size(); n != int64(len(data)) || !ok {
		t.Errorf("Size() = %d, %v", n, ok)
	}
	ra, ok := behaviour.ReaderAt(h, tr)
	if !ok {
		t.Fatal("Bytes offers no random access")
	}
	p := make([]byte, 5)
	if n, err := ra.ReadAt(p, 9); n != 5 || err != nil || string(p) != "image" {
		t.Errorf("ReadAt = %d, %v, %q", n, err, p)
	}
	if err := behaviourtest.Write(context.Background(), h, "a", data); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Write to Bytes: %v, want an access violation", err)
	}
}

// closeCounter wraps an fs.FS and counts the Close calls of its files.
type closeCounter struct {
	fs.FS
	closes *atomic.Int32
}

type countedFile struct {
	fs.File
	closes *atomic.Int32
}

func (c closeCounter) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return countedFile{f, c.closes}, nil
}

func (f countedFile) Close() error { f.closes.Add(1); return f.File.Close() }

func TestFS(t *testing.T) {
	mtime := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	mapFS := fstest.MapFS{
		"boot/pxelinux.0":  {Data: []byte("loader"), ModTime: mtime},
		"boot/menu.cfg":    {Data: []byte("menu")},
		"configs/sw1.conf": {Data: []byte("hostname sw1")},
	}
	var closes atomic.Int32
	h := behaviour.FS(closeCounter{mapFS, &closes})
	ctx := context.Background()

	got, err := behaviourtest.Read(ctx, h, `\boot\pxelinux.0`)
	if err != nil || string(got) != "loader" {
		t.Errorf("Read = %q, %v", got, err)
	}
	if n := closes.Load(); n != 1 {
		t.Errorf("file closed %d times after a read, want once", n)
	}
	tr := open(t, h, behaviour.Read, "configs/sw1.conf")
	if n, ok := tr.Size(); n != 12 || !ok {
		t.Errorf("Size() = %d, %v; want 12", n, ok)
	}
	h.Abort(tr, errors.New("peer went away"))
	if n := closes.Load(); n != 2 {
		t.Errorf("file closed %d times in all after an Abort, want 2", n)
	}

	refusals := []struct {
		name   string
		access behaviour.Access
		want   *behaviour.Error
	}{
		{"missing", behaviour.Read, behaviour.ErrNotFound},
		{"boot", behaviour.Read, behaviour.ErrAccessViolation},
		{".", behaviour.Read, behaviour.ErrAccessViolation},
		{"boot/menu.cfg", behaviour.Write, behaviour.ErrAccessViolation},
	}
	for _, r := range refusals {
		var err error
		if r.access == behaviour.Read {
			_, err = behaviourtest.Read(ctx, h, r.name)
		} else {
			err = behaviourtest.Write(ctx, h, r.name, []byte("x"))
		}
		if wire.TFTPCode(err) != r.want.Code || strings.Contains(behaviour.PeerMessage(err), r.name) {
			t.Errorf("%s %q: %v (peer sees %q), want %v without the name", r.access, r.name, err, behaviour.PeerMessage(err), r.want)
		}
	}
	if n := closes.Load(); n != 4 {
		t.Errorf("files closed %d times in all after refusing two directories, want 4", n)
	}

	h = behaviour.FS(mapFS) // closeCounter hides fs.ReadDirFile
	fi, err := behaviour.Stat(ctx, h, &behaviour.Transfer{Name: "boot/pxelinux.0"})
	if err != nil || fi.Size() != 6 || !fi.ModTime().Equal(mtime) {
		t.Errorf("Stat = %v, %v", fi, err)
	}
	list, err := behaviour.List(ctx, h, &behaviour.Transfer{Name: "boot"})
	if err != nil || len(list) != 2 || list[0].Name() != "menu.cfg" || list[1].Name() != "pxelinux.0" {
		t.Errorf("List = %v, %v", list, err)
	}
	if _, err := behaviour.List(ctx, h, &behaviour.Transfer{Name: "missing"}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing directory: %v", err)
	}
}

func TestBase(t *testing.T) {
	var h behaviour.Base
	tr := &behaviour.Transfer{Access: behaviour.Read}
	if h.Prepare(context.Background(), tr) != nil || h.Open(context.Background(), tr) != nil {
		t.Error("Base refuses Prepare or Open")
	}
	if _, err := h.Read(tr, make([]byte, 1)); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Base.Read: %v, want an access violation", err)
	}
	if err := h.Write(tr, nil, true); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Base.Write: %v, want an access violation", err)
	}
	h.Abort(tr, nil)
}

// TestAdaptersConform runs the adapters through the conformance kit.
func TestAdaptersConform(t *testing.T) {
	files := map[string][]byte{"a": []byte("alpha"), "d/b": bytes.Repeat([]byte("b"), 3000)}
	mapFS := fstest.MapFS{}
	for name, b := range files {
		mapFS[name] = &fstest.MapFile{Data: b}
	}
	sink := behaviour.WriteFunc(func(_ context.Context, _ *behaviour.Transfer, r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
	tests := []struct {
		name string
		h    behaviour.Handler
		spec behaviourtest.Spec
	}{
		{"Bytes", behaviour.Bytes([]byte("alpha")), behaviourtest.Spec{Reads: map[string][]byte{"a": []byte("alpha"), "x/y": []byte("alpha")}}},
		{"FS", behaviour.FS(mapFS), behaviourtest.Spec{Reads: files, RefuseReads: map[string]behaviour.Code{"c": behaviour.CodeNotFound, "d": behaviour.CodeAccessViolation}}},
		{"WriteFunc", sink, behaviourtest.Spec{Writes: []string{"u", "v"}, UploadSize: 5000}},
	}
	for _, tt := range tests {
		if err := behaviourtest.TestHandler(tt.h, tt.spec); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}
