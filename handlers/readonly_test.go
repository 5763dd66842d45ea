package handlers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

func TestReadOnlyServesReadsAndRefusesWrites(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "image.bin"), pattern(5000, 1))
	h := handlers.ReadOnly(d)
	err := behaviourtest.TestHandler(h, behaviourtest.Spec{
		Reads: map[string][]byte{"image.bin": pattern(5000, 1)},
		RefuseWrites: map[string]behaviour.Code{
			"image.bin": behaviour.CodeAccessViolation,
			"new.bin":   behaviour.CodeAccessViolation,
		},
	})
	if err != nil {
		t.Error(err)
	}
	assertContent(t, filepath.Join(root, "image.bin"), pattern(5000, 1))
	assertContent(t, filepath.Join(root, "new.bin"), nil)
}

// Capability lookups walk Unwrap; ReadOnly must stop those that change
// something before they reach the writable Dir underneath.
func TestReadOnlyStopsCapabilities(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "f"), []byte("f"))
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := handlers.ReadOnly(d)
	w := func(name string) *behaviour.Transfer { return transfer(t, behaviour.Write, name) }
	wantCode(t, "Remove", behaviour.Remove(ctx, h, w("f")), behaviour.CodeAccessViolation)
	wantCode(t, "Rename", behaviour.Rename(ctx, h, w("f"), "g"), behaviour.CodeAccessViolation)
	wantCode(t, "Mkdir", behaviour.Mkdir(ctx, h, w("new")), behaviour.CodeAccessViolation)
	wantCode(t, "Rmdir", behaviour.Rmdir(ctx, h, w("dir")), behaviour.CodeAccessViolation)
	wantCode(t, "Chmod", behaviour.Chmod(ctx, h, w("f"), 0o600), behaviour.CodeAccessViolation)
	wantCode(t, "Chtimes", behaviour.Chtimes(ctx, h, w("f"), time.Unix(0, 0), time.Unix(0, 0)), behaviour.CodeAccessViolation)
	wantCode(t, "Prepare of a download into it", h.Prepare(ctx, w("f")), behaviour.CodeAccessViolation)

	// An upload opened on the Dir directly is still not reachable through
	// ReadOnly's random-access lookup.
	tr := w("f")
	if err := d.Open(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if _, ok := behaviour.WriterAt(h, tr); ok {
		t.Error("WriterAt found a random writer through ReadOnly")
	}
	wantCode(t, "Write", h.Write(tr, []byte("x"), true), behaviour.CodeAccessViolation)
	d.Abort(tr, nil)

	if _, err := behaviour.Stat(ctx, h, transfer(t, behaviour.Read, "f")); err != nil {
		t.Errorf("Stat through ReadOnly: %v", err)
	}
	if infos, err := behaviour.List(ctx, h, transfer(t, behaviour.Read, ".")); err != nil || len(infos) != 2 {
		t.Errorf("List through ReadOnly: %d entries, %v", len(infos), err)
	}
	assertContent(t, filepath.Join(root, "f"), []byte("f"))
	if fi, err := os.Stat(filepath.Join(root, "f")); err != nil || fi.Mode().Perm() == 0o600 || fi.ModTime().Equal(time.Unix(0, 0)) {
		t.Errorf("Chmod or Chtimes through ReadOnly changed the file: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(root, "dir")); err != nil {
		t.Error("Rmdir through ReadOnly removed the directory")
	}
}

func ExampleReadOnly() {
	root, _ := os.MkdirTemp("", "filemux-example-")
	defer os.RemoveAll(root)
	os.WriteFile(filepath.Join(root, "boot.ipxe"), []byte("#!ipxe\n"), 0o644)
	d, _ := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	defer d.Close()

	h := handlers.ReadOnly(d) // this route only serves, whatever d allows
	ctx := context.Background()
	data, err := behaviourtest.Read(ctx, h, "boot.ipxe")
	fmt.Printf("read: %q %v\n", data, err)
	err = behaviourtest.Write(ctx, h, "boot.ipxe", []byte("#!ipxe\nshell\n"))
	fmt.Println("write:", behaviour.PeerMessage(err))
	tr, _ := behaviourtest.NewTransfer(behaviour.Write, "boot.ipxe")
	fmt.Println("remove:", behaviour.PeerMessage(behaviour.Remove(ctx, h, tr)))
	// Output:
	// read: "#!ipxe\n" <nil>
	// write: read-only
	// remove: read-only
}
