package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

// newDir serves a fresh temporary directory with cfg and returns the Dir
// and the directory's path.
func newDir(t *testing.T, cfg handlers.DirConfig) (*handlers.Dir, string) {
	t.Helper()
	root := t.TempDir()
	d, err := handlers.NewDir(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, root
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pattern returns n bytes that differ from one offset to the next, seeded
// so that different files differ.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed ^ byte(i>>8)
	}
	return b
}

// transfer builds the transfer an engine would for a raw requested name.
func transfer(t *testing.T, access behaviour.Access, name string) *behaviour.Transfer {
	t.Helper()
	tr, err := behaviourtest.NewTransfer(access, name)
	if err != nil {
		t.Fatalf("NewTransfer(%q): %v", name, err)
	}
	return tr
}

func code(err error) behaviour.Code { return behaviour.Classify(err).Code }

func wantCode(t *testing.T, what string, err error, want behaviour.Code) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %s", what, want)
		return
	}
	if got := code(err); got != want {
		t.Errorf("%s: code %d (%s), want %d (%s): %v", what, got, got, want, want, err)
	}
}

func TestDirConformance(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	reads := map[string][]byte{
		"empty":             {},
		"small.txt":         []byte("hello, device\n"),
		"pxelinux.0":        pattern(70001, 1),
		"boot/grub/x86.efi": pattern(65464*2, 2),
		"exact-512":         pattern(512, 3),
	}
	for name, b := range reads {
		writeFile(t, filepath.Join(root, name), b)
	}
	if err := os.Mkdir(filepath.Join(root, "uploads"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := behaviourtest.TestHandler(d, behaviourtest.Spec{
		Reads: reads,
		RefuseReads: map[string]behaviour.Code{
			"missing":      behaviour.CodeNotFound,
			"boot":         behaviour.CodeAccessViolation,
			"boot/missing": behaviour.CodeNotFound,
			"../etc":       behaviour.CodeAccessViolation,
			"small.txt/x":  behaviour.CodeNotFound,
		},
		Writes:        []string{"new.cfg", "uploads/router1-confg", "pxelinux.cfg"},
		WriteReadBack: true,
		RefuseWrites: map[string]behaviour.Code{
			"boot":          behaviour.CodeAccessViolation,
			"nodir/new.cfg": behaviour.CodeNotFound,
		},
	})
	if err != nil {
		t.Error(err)
	}
	assertNoTempFiles(t, root)
}

func TestDirConformanceReadOnlyDefault(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{})
	writeFile(t, filepath.Join(root, "a.bin"), pattern(3000, 4))
	err := behaviourtest.TestHandler(d, behaviourtest.Spec{
		Reads: map[string][]byte{"a.bin": pattern(3000, 4)},
		RefuseWrites: map[string]behaviour.Code{
			"a.bin": behaviour.CodeAccessViolation,
			"new":   behaviour.CodeAccessViolation,
		},
		Protocol: behaviour.SFTP,
	})
	if err != nil {
		t.Error(err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "a.bin")); !bytes.Equal(got, pattern(3000, 4)) {
		t.Error("a refused upload changed the file")
	}
}

func TestDirReadEnding(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{})
	writeFile(t, filepath.Join(root, "f"), []byte("0123456789"))
	tr := transfer(t, behaviour.Read, "f")
	if err := d.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if size, ok := tr.Size(); !ok || size != 10 {
		t.Errorf("Size() = %d, %v; want 10, true", size, ok)
	}
	ra, ok := behaviour.ReaderAt(d, tr)
	if !ok {
		t.Fatal("no random access on a read")
	}
	p := make([]byte, 4)
	if n, err := ra.ReadAt(p, 6); n != 4 || err != nil || string(p) != "6789" {
		t.Errorf("ReadAt(p, 6) = %d, %v, %q", n, err, p)
	}
	if n, err := d.Read(tr, nil); n != 0 || err != io.EOF {
		t.Errorf("Read(t, nil) = %d, %v; want 0, io.EOF", n, err)
	}
	if _, err := ra.ReadAt(p, 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("after the ending ReadAt = %v, want the file closed", err)
	}
}

func TestDirReadClosesOnEOFAndAbort(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{})
	writeFile(t, filepath.Join(root, "f"), []byte("abc"))
	for _, abort := range []bool{false, true} {
		tr := transfer(t, behaviour.Read, "f")
		if err := d.Open(context.Background(), tr); err != nil {
			t.Fatal(err)
		}
		f := tr.State.(*os.File)
		if abort {
			d.Abort(tr, errors.New("peer went away"))
		} else if _, err := io.ReadAll(readerOf(d, tr)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
			t.Errorf("abort=%v: file still open after the ending", abort)
		}
	}
}

// readerOf reads a transfer through the handler's Read, as an engine would.
func readerOf(h behaviour.Handler, tr *behaviour.Transfer) io.Reader {
	return readFunc(func(p []byte) (int, error) { return h.Read(tr, p) })
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

func TestDirReadDoesNotAllocate(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{})
	writeFile(t, filepath.Join(root, "f"), pattern(1<<20, 5))
	tr := transfer(t, behaviour.Read, "f")
	if err := d.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	defer d.Abort(tr, nil)
	p := make([]byte, 1468)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := d.Read(tr, p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Read allocates %.1f times per block, want 0", allocs)
	}
}

func TestNewDirRefusesBadConfig(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "file"), nil)
	cases := map[string]struct {
		root string
		cfg  handlers.DirConfig
	}{
		"missing root":   {filepath.Join(root, "missing"), handlers.DirConfig{}},
		"file as root":   {filepath.Join(root, "file"), handlers.DirConfig{}},
		"bad policy":     {root, handlers.DirConfig{Write: handlers.WriteAny + 1}},
		"setuid mode":    {root, handlers.DirConfig{FileMode: fs.ModeSetuid | 0o755}},
		"dir mode bits":  {root, handlers.DirConfig{DirMode: fs.ModeDir | 0o755}},
		"negative limit": {root, handlers.DirConfig{MaxSize: -1}},
	}
	for name, c := range cases {
		if d, err := handlers.NewDir(c.root, c.cfg); err == nil {
			d.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMustDirPanicsOnMissingRoot(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustDir of a missing directory did not panic")
		}
	}()
	handlers.MustDir(filepath.Join(t.TempDir(), "missing"))
}

func TestWritePolicyText(t *testing.T) {
	for _, p := range []handlers.WritePolicy{handlers.WriteNone, handlers.WriteCreate, handlers.WriteOverwrite, handlers.WriteAny} {
		text, err := p.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back handlers.WritePolicy
		if err := back.UnmarshalText(text); err != nil || back != p || string(text) != p.String() {
			t.Errorf("%v: text %q parses back as %v, %v", p, text, back, err)
		}
	}
	var p handlers.WritePolicy
	if err := p.UnmarshalText([]byte("ANY")); err == nil {
		t.Error("UnmarshalText accepted an unknown spelling")
	}
	if _, err := handlers.WritePolicy(9).MarshalText(); err == nil || !strings.Contains(handlers.WritePolicy(9).String(), "9") {
		t.Error("an invalid policy marshals")
	}
}

// assertNoTempFiles fails when a temporary upload file is left anywhere
// under root.
func assertNoTempFiles(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), ".filemux-") {
			t.Errorf("temporary file left behind: %s", path)
		}
		return nil
	})
}
