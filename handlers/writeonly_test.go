package handlers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

func TestWriteOnlyTakesWritesAndRefusesReads(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "collected.cfg"), []byte("secret"))
	err := behaviourtest.TestHandler(handlers.WriteOnly(d), behaviourtest.Spec{
		Writes:      []string{"r1-confg"},
		RefuseReads: map[string]behaviour.Code{"collected.cfg": behaviour.CodeAccessViolation},
	})
	if err != nil {
		t.Error(err)
	}
}

// Capability lookups walk Unwrap; WriteOnly must stop random reads and the
// changes that are not uploads before they reach the Dir underneath, and
// let through what an upload does to its own file.
func TestWriteOnlyCapabilities(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "f"), []byte("f"))
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := handlers.WriteOnly(d)
	w := func(name string) *behaviour.Transfer { return transfer(t, behaviour.Write, name) }
	wantCode(t, "Remove", behaviour.Remove(ctx, h, w("f")), behaviour.CodeAccessViolation)
	wantCode(t, "Rename", behaviour.Rename(ctx, h, w("f"), "g"), behaviour.CodeAccessViolation)
	wantCode(t, "Rmdir", behaviour.Rmdir(ctx, h, w("dir")), behaviour.CodeAccessViolation)
	wantCode(t, "Prepare of a download", h.Prepare(ctx, transfer(t, behaviour.Read, "f")), behaviour.CodeAccessViolation)
	for what, err := range map[string]error{
		"Mkdir":   behaviour.Mkdir(ctx, h, w("new")),
		"Chmod":   behaviour.Chmod(ctx, h, w("f"), 0o600),
		"Chtimes": behaviour.Chtimes(ctx, h, w("f"), time.Unix(0, 0), time.Unix(0, 0)),
	} {
		if err != nil {
			t.Errorf("%s through WriteOnly: %v", what, err)
		}
	}
	if _, err := behaviour.Stat(ctx, h, w("f")); err != nil {
		t.Errorf("Stat through WriteOnly: %v", err)
	}
	assertContent(t, filepath.Join(root, "f"), []byte("f"))

	// A download opened on the Dir directly is still not reachable through
	// WriteOnly's random-access lookup.
	tr := transfer(t, behaviour.Read, "f")
	if err := d.Open(ctx, tr); err != nil {
		t.Fatal(err)
	}
	defer d.Abort(tr, nil)
	if _, ok := behaviour.ReaderAt(h, tr); ok {
		t.Error("ReaderAt found a random reader through WriteOnly")
	}
}
