package handlers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

// bare is a decorator written after every capability: it wraps a handler
// and declares nothing but Unwrap.
type bare struct{ behaviour.Handler }

func (b bare) Unwrap() behaviour.Handler { return b.Handler }

// TestNewDecoratorHidesChanges wraps a writable Dir in a decorator that
// declares no capability: stat and list still reach the directory, and
// not one change does.
func TestNewDecoratorHidesChanges(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "a.cfg"), []byte("keep"))
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, h := context.Background(), bare{d}
	if _, err := behaviour.Stat(ctx, h, transfer(t, behaviour.Read, "a.cfg")); err != nil {
		t.Errorf("Stat through the decorator: %v", err)
	}
	if _, err := behaviour.List(ctx, h, transfer(t, behaviour.Read, "/")); err != nil {
		t.Errorf("List through the decorator: %v", err)
	}
	tr := transfer(t, behaviour.Read, "a.cfg")
	for what, err := range map[string]error{
		"Remove":  behaviour.Remove(ctx, h, tr),
		"Rename":  behaviour.Rename(ctx, h, tr, "b.cfg"),
		"Mkdir":   behaviour.Mkdir(ctx, h, transfer(t, behaviour.Write, "new")),
		"Rmdir":   behaviour.Rmdir(ctx, h, transfer(t, behaviour.Read, "sub")),
		"Chmod":   behaviour.Chmod(ctx, h, tr, 0o600),
		"Chtimes": behaviour.Chtimes(ctx, h, tr, time.Unix(0, 0), time.Unix(0, 0)),
	} {
		if err != behaviour.ErrUnsupported {
			t.Errorf("%s through the decorator: %v, want ErrUnsupported", what, err)
		}
	}
	up, err := openUpload(t, h, "up.bin", createTrunc, -1)
	if err != nil {
		t.Fatal(err)
	}
	if w, ok := behaviour.WriterAt(h, up); ok || w != nil {
		t.Error("WriterAt reached the Dir's upload through the decorator")
	}
	h.Abort(up, behaviour.ErrUndefined)
	for _, name := range []string{"a.cfg", "sub"} {
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(root, "a.cfg")); err == nil && fi.Mode().Perm() == 0o600 {
		t.Error("a.cfg's mode changed")
	}
}

// TestDecoratorsPassChanges checks that the decorators meant to let
// changes through still do.
func TestDecoratorsPassChanges(t *testing.T) {
	for name, wrap := range map[string]func(behaviour.Handler) behaviour.Handler{
		"Observe": func(h behaviour.Handler) behaviour.Handler { return handlers.Observe(h, handlers.Hooks{}) },
		"SizeCap": func(h behaviour.Handler) behaviour.Handler { return handlers.SizeCap(h, 1<<20) },
	} {
		d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
		writeFile(t, filepath.Join(root, "a.cfg"), []byte("x"))
		ctx, h := context.Background(), wrap(d)
		if err := behaviour.Chmod(ctx, h, transfer(t, behaviour.Read, "a.cfg"), 0o600); err != nil {
			t.Errorf("%s: Chmod: %v", name, err)
		}
		if err := behaviour.Rename(ctx, h, transfer(t, behaviour.Read, "a.cfg"), "b.cfg"); err != nil {
			t.Errorf("%s: Rename: %v", name, err)
		}
		if err := behaviour.Mkdir(ctx, h, transfer(t, behaviour.Write, "d")); err != nil {
			t.Errorf("%s: Mkdir: %v", name, err)
		}
		if err := behaviour.Rmdir(ctx, h, transfer(t, behaviour.Read, "d")); err != nil {
			t.Errorf("%s: Rmdir: %v", name, err)
		}
		if err := behaviour.Remove(ctx, h, transfer(t, behaviour.Read, "b.cfg")); err != nil {
			t.Errorf("%s: Remove: %v", name, err)
		}
	}
}
