package behaviour_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

// capable offers every capability and records which ran.
type capable struct {
	behaviour.Base
	calls []string
}

func (c *capable) Stat(_ context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	c.calls = append(c.calls, "Stat "+t.Name)
	return behaviour.FileInfo{FileName: t.Name, FileSize: 3}, nil
}

func (c *capable) List(_ context.Context, t *behaviour.Transfer) ([]fs.FileInfo, error) {
	c.calls = append(c.calls, "List "+t.Name)
	return []fs.FileInfo{behaviour.FileInfo{FileName: "a"}}, nil
}

func (c *capable) Remove(_ context.Context, t *behaviour.Transfer) error {
	c.calls = append(c.calls, "Remove "+t.Name)
	return nil
}

func (c *capable) Rename(_ context.Context, t *behaviour.Transfer, newName string) error {
	c.calls = append(c.calls, "Rename "+t.Name+" "+newName)
	return nil
}

func (c *capable) Mkdir(_ context.Context, t *behaviour.Transfer) error {
	c.calls = append(c.calls, "Mkdir "+t.Name)
	return nil
}

func (c *capable) Rmdir(_ context.Context, t *behaviour.Transfer) error {
	c.calls = append(c.calls, "Rmdir "+t.Name)
	return nil
}

// wrapper is a decorator that exposes what it wraps and declares that it
// lets every change through.
type wrapper struct {
	behaviour.Base
	behaviour.PassMutations
}

func wrap(h behaviour.Handler) wrapper {
	return wrapper{PassMutations: behaviour.PassMutations{Next: h}}
}

func (w wrapper) Unwrap() behaviour.Handler { return w.Next }

// statHider is a decorator that answers Stat itself, refusing it.
type statHider struct{ wrapper }

func (statHider) Stat(context.Context, *behaviour.Transfer) (fs.FileInfo, error) {
	return nil, behaviour.ErrAccessViolation
}

// callAll runs every capability helper against h.
func callAll(h behaviour.Handler) []error {
	ctx := context.Background()
	t := &behaviour.Transfer{Name: "x"}
	_, errStat := behaviour.Stat(ctx, h, t)
	_, errList := behaviour.List(ctx, h, t)
	return []error{
		errStat, errList,
		behaviour.Remove(ctx, h, t),
		behaviour.Rename(ctx, h, t, "y"),
		behaviour.Mkdir(ctx, h, t),
		behaviour.Rmdir(ctx, h, t),
	}
}

func TestCapabilitiesThroughUnwrap(t *testing.T) {
	inner := &capable{}
	h := wrap(wrap(inner))
	for i, err := range callAll(h) {
		if err != nil {
			t.Errorf("helper %d through two wrappers: %v", i, err)
		}
	}
	want := []string{"Stat x", "List x", "Remove x", "Rename x y", "Mkdir x", "Rmdir x"}
	if len(inner.calls) != len(want) {
		t.Fatalf("calls %v, want %v", inner.calls, want)
	}
	for i := range want {
		if inner.calls[i] != want[i] {
			t.Errorf("call %d = %q, want %q", i, inner.calls[i], want[i])
		}
	}
}

func TestCapabilitiesAbsent(t *testing.T) {
	for _, h := range []behaviour.Handler{
		behaviour.Base{},
		wrap(behaviour.Base{}),
		wrapper{}, // Unwrap returns nil: the search ends there
	} {
		for i, err := range callAll(h) {
			if err != behaviour.ErrUnsupported {
				t.Errorf("%T helper %d: %v, want ErrUnsupported", h, i, err)
			}
		}
	}
	if wire.SFTPStatus(behaviour.ErrUnsupported) != wire.SFTPOpUnsupported {
		t.Error("ErrUnsupported does not map to OP_UNSUPPORTED")
	}
}

func TestCapabilityStopsAtImplementer(t *testing.T) {
	inner := &capable{}
	h := statHider{wrap(inner)}
	if _, err := behaviour.Stat(context.Background(), h, &behaviour.Transfer{Name: "x"}); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Stat through a decorator that refuses it: %v", err)
	}
	if err := behaviour.Remove(context.Background(), h, &behaviour.Transfer{Name: "x"}); err != nil {
		t.Errorf("Remove through the same decorator: %v", err)
	}
	if len(inner.calls) != 1 || inner.calls[0] != "Remove x" {
		t.Errorf("inner calls %v, want only Remove", inner.calls)
	}
}

// noRandom is a decorator that forbids random access whatever the state.
type noRandom struct{ wrapper }

func (noRandom) ReaderAt(*behaviour.Transfer) (io.ReaderAt, bool) { return nil, false }
func (noRandom) WriterAt(*behaviour.Transfer) (io.WriterAt, bool) { return nil, false }

// ownRandom is a handler that decides random access from its own table.
type ownRandom struct {
	behaviour.Base
	r io.ReaderAt
	w io.WriterAt
}

func (o ownRandom) ReaderAt(*behaviour.Transfer) (io.ReaderAt, bool) { return o.r, o.r != nil }
func (o ownRandom) WriterAt(*behaviour.Transfer) (io.WriterAt, bool) { return o.w, o.w != nil }

type writerAt struct{}

func (writerAt) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }

func TestRandomAccess(t *testing.T) {
	state := struct {
		*bytes.Reader
		writerAt
	}{bytes.NewReader([]byte("abc")), writerAt{}}
	withState := &behaviour.Transfer{State: state}
	noState := &behaviour.Transfer{State: "not random"}
	own := ownRandom{r: bytes.NewReader(nil), w: writerAt{}}
	tests := []struct {
		name          string
		h             behaviour.Handler
		t             *behaviour.Transfer
		reads, writes bool
	}{
		{"state offers both", behaviour.Base{}, withState, true, true},
		{"state offers none", behaviour.Base{}, noState, false, false},
		{"through a wrapper", wrap(behaviour.Base{}), withState, true, true},
		{"a decorator forbids", noRandom{wrap(behaviour.Base{})}, withState, false, false},
		{"the handler decides", wrap(own), noState, true, true},
		{"the handler refuses", ownRandom{}, withState, false, false},
	}
	for _, tt := range tests {
		r, okR := behaviour.ReaderAt(tt.h, tt.t)
		w, okW := behaviour.WriterAt(tt.h, tt.t)
		if okR != tt.reads || (r != nil) != tt.reads || okW != tt.writes || (w != nil) != tt.writes {
			t.Errorf("%s: ReaderAt %v, WriterAt %v; want %v, %v", tt.name, okR, okW, tt.reads, tt.writes)
		}
	}
}

func TestFileInfo(t *testing.T) {
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var fi fs.FileInfo = behaviour.FileInfo{FileName: "d", FileSize: 9, FileMode: fs.ModeDir | 0o755, FileModTime: mtime}
	if fi.Name() != "d" || fi.Size() != 9 || fi.Mode() != fs.ModeDir|0o755 || !fi.ModTime().Equal(mtime) || !fi.IsDir() || fi.Sys() != nil {
		t.Errorf("FileInfo methods disagree with its fields: %v", fs.FormatFileInfo(fi))
	}
	if (behaviour.FileInfo{FileMode: 0o644}).IsDir() {
		t.Error("a regular file is a directory")
	}
}

// looker is a decorator that declares no capability at all, only Unwrap.
type looker struct{ behaviour.Handler }

func (l looker) Unwrap() behaviour.Handler { return l.Handler }

func TestMutatingCapabilitiesFailClosed(t *testing.T) {
	inner := &capable{}
	errs := callAll(looker{inner})
	if errs[0] != nil || errs[1] != nil {
		t.Errorf("Stat, List through a decorator that declares nothing: %v, %v", errs[0], errs[1])
	}
	for i, err := range errs[2:] {
		if err != behaviour.ErrUnsupported {
			t.Errorf("mutating helper %d through a decorator that declares nothing: %v, want ErrUnsupported", i, err)
		}
	}
	ctx, tr := context.Background(), &behaviour.Transfer{Name: "x", State: struct{ writerAt }{}}
	if err := behaviour.Chmod(ctx, looker{inner}, tr, 0o644); err != behaviour.ErrUnsupported {
		t.Errorf("Chmod: %v", err)
	}
	if err := behaviour.Chtimes(ctx, looker{inner}, tr, time.Time{}, time.Time{}); err != behaviour.ErrUnsupported {
		t.Errorf("Chtimes: %v", err)
	}
	if w, ok := behaviour.WriterAt(looker{behaviour.Base{}}, tr); ok || w != nil {
		t.Error("WriterAt found t.State's writer through a decorator that declares nothing")
	}
	if len(inner.calls) != 2 {
		t.Errorf("inner calls %v, want only Stat and List", inner.calls)
	}
}
