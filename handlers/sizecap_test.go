package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/wire"
)

func TestSizeCapPassesSmallTransfers(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "f"), pattern(70000, 3))
	err := behaviourtest.TestHandler(handlers.SizeCap(d, 70000), behaviourtest.Spec{
		Reads:         map[string][]byte{"f": pattern(70000, 3)},
		Writes:        []string{"up"},
		WriteReadBack: true,
		UploadSize:    70000,
	})
	if err != nil {
		t.Error(err)
	}
	// One byte less: the read is refused at Open (its size is known), the
	// upload at Open when tsize announces it, else when it grows past.
	for _, opts := range [][]behaviour.Option{{{Name: "tsize", Value: "0"}}, {}} {
		err = behaviourtest.TestHandler(handlers.SizeCap(d, 69999), behaviourtest.Spec{
			RefuseReads:  map[string]behaviour.Code{"f": behaviour.CodeDiskFull},
			RefuseWrites: map[string]behaviour.Code{"big": behaviour.CodeDiskFull},
			UploadSize:   70000,
			Options:      opts,
		})
		if err != nil {
			t.Error(err)
		}
	}
	assertContent(t, filepath.Join(root, "big"), nil)
	assertNoTempFiles(t, root)
}

// opens counts the transfers a handler opens and the ones it ends.
type opens struct {
	behaviour.Handler
	opened, ended atomic.Int32
}

func (o *opens) Open(ctx context.Context, t *behaviour.Transfer) error {
	err := o.Handler.Open(ctx, t)
	if err == nil {
		o.opened.Add(1)
	}
	return err
}

func (o *opens) Abort(t *behaviour.Transfer, err error) {
	o.ended.Add(1)
	o.Handler.Abort(t, err)
}

func (o *opens) Unwrap() behaviour.Handler { return o.Handler }

func TestSizeCapRefusesAnnouncedSizeBeforeOpen(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	inner := &opens{Handler: d}
	h := handlers.SizeCap(inner, 100)
	_, err := openUpload(t, h, "f", createTrunc, 101)
	wantCode(t, "tsize 101 under a cap of 100", err, behaviour.CodeDiskFull)
	if inner.opened.Load() != 0 {
		t.Error("the inner handler was opened for an upload announced too large")
	}
	tr, err := openUpload(t, h, "f", createTrunc, 100)
	if err != nil {
		t.Fatal(err)
	}
	h.Abort(tr, err)
	assertNoTempFiles(t, root)
}

// closeCounter is a reader that counts its closes.
type closeCounter struct {
	io.Reader
	closes *atomic.Int32
}

func (c closeCounter) Close() error { c.closes.Add(1); return nil }

// readerAtOnly hides the size of a bytes.Reader but keeps io.ReaderAt.
type readerAtOnly struct{ r *bytes.Reader }

func (r readerAtOnly) Read(p []byte) (int, error)              { return r.r.Read(p) }
func (r readerAtOnly) ReadAt(p []byte, off int64) (int, error) { return r.r.ReadAt(p, off) }

func TestSizeCapReads(t *testing.T) {
	ctx := context.Background()
	var closes atomic.Int32
	stream := func(r io.Reader) behaviour.Handler {
		return behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
			return closeCounter{r, &closes}, nil
		})
	}
	cases := map[string]behaviour.Handler{
		// A known size past the cap: refused at Open, after the inner Open,
		// which must then be aborted.
		"known size": behaviour.Bytes(make([]byte, 101)),
		// An unknown size that grows past the cap mid-transfer.
		"stream": stream(strings.NewReader(strings.Repeat("x", 150))),
		// The same, crossing the cap on the read that also returns io.EOF:
		// the inner handler had its ending and must not be aborted too.
		"stream ending": stream(iotest.DataErrReader(strings.NewReader(strings.Repeat("x", 150)))),
	}
	for name, inner := range cases {
		closes.Store(0)
		_, err := behaviourtest.Read(ctx, handlers.SizeCap(inner, 100), "f", behaviourtest.ChunkSize(1000))
		wantCode(t, name, err, behaviour.CodeDiskFull)
		if name != "known size" && closes.Load() != 1 {
			t.Errorf("%s: the reader was closed %d times, want once", name, closes.Load())
		}
	}
	got, err := behaviourtest.Read(ctx, handlers.SizeCap(stream(strings.NewReader("short")), 5), "f")
	if err != nil || string(got) != "short" {
		t.Errorf("a stream of exactly the cap: %q, %v", got, err)
	}
}

func TestSizeCapRandomAccess(t *testing.T) {
	ctx := context.Background()
	data := pattern(200, 1)
	h := handlers.SizeCap(behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return readerAtOnly{bytes.NewReader(data)}, nil
	}), 100)
	tr := transfer(t, behaviour.Read, "f")
	if err := h.Open(ctx, tr); err != nil {
		t.Fatal(err)
	}
	ra, ok := behaviour.ReaderAt(h, tr)
	if !ok {
		t.Fatal("SizeCap hid the random reader")
	}
	p := make([]byte, 60)
	if n, err := ra.ReadAt(p, 40); n != 60 || err != nil || !bytes.Equal(p, data[40:100]) {
		t.Errorf("ReadAt up to the cap = %d, %v", n, err)
	}
	if _, err := ra.ReadAt(p, 41); code(err) != behaviour.CodeDiskFull {
		t.Errorf("ReadAt past the cap = %v, want disk full", err)
	}
	h.Abort(tr, nil)

	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	err := behaviourtest.Write(ctx, handlers.SizeCap(d, 1000), "img", pattern(1500, 2),
		behaviourtest.RandomAccess(true), behaviourtest.Protocol(behaviour.SFTP), behaviourtest.ChunkSize(100))
	wantCode(t, "random upload past the cap", err, behaviour.CodeDiskFull)
	if err := behaviourtest.Write(ctx, handlers.SizeCap(d, 1000), "fits", pattern(1000, 2), behaviourtest.RandomAccess(true)); err != nil {
		t.Errorf("random upload of exactly the cap: %v", err)
	}
	assertContent(t, filepath.Join(root, "img"), nil)
	assertContent(t, filepath.Join(root, "fits"), pattern(1000, 2))
	assertNoTempFiles(t, root)
}

func TestSizeCapStacks(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	for _, h := range []behaviour.Handler{
		handlers.SizeCap(handlers.SizeCap(d, 100), 1000),
		handlers.SizeCap(handlers.SizeCap(d, 1000), 100),
	} {
		wantCode(t, "150 bytes through caps of 100 and 1000", behaviourtest.Write(ctx, h, "f", make([]byte, 150), behaviourtest.ChunkSize(60)), behaviour.CodeDiskFull)
		if err := behaviourtest.Write(ctx, h, "g", make([]byte, 100), behaviourtest.ChunkSize(60)); err != nil {
			t.Errorf("100 bytes through caps of 100 and 1000: %v", err)
		}
	}
	assertContent(t, filepath.Join(root, "f"), nil)
}

func TestSizeCapNegativeIsZero(t *testing.T) {
	err := behaviourtest.Write(context.Background(), handlers.SizeCap(behaviour.WriteFunc(func(context.Context, *behaviour.Transfer, io.Reader) error {
		return nil
	}), -5), "f", []byte("x"))
	wantCode(t, "one byte under a negative cap", err, behaviour.CodeDiskFull)
}

func ExampleSizeCap() {
	root, _ := os.MkdirTemp("", "filemux-example-")
	defer os.RemoveAll(root)
	d, _ := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteCreate})
	defer d.Close()

	h := handlers.SizeCap(d, 16) // configs, not firmware
	ctx := context.Background()
	fmt.Println(behaviourtest.Write(ctx, h, "small.cfg", []byte("hostname r1\n")))
	err := behaviourtest.Write(ctx, h, "large.cfg", bytes.Repeat([]byte("x"), 17))
	fmt.Println(wire.TFTPCode(err), "|", behaviour.PeerMessage(err))
	_, err = os.Stat(filepath.Join(root, "large.cfg"))
	fmt.Println("large.cfg exists:", err == nil)
	// Output:
	// <nil>
	// disk full or allocation exceeded | disk full or allocation exceeded
	// large.cfg exists: false
}
