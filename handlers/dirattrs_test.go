package handlers_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

var attrTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

func statOf(t *testing.T, path string) fs.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// Chmod and Chtimes change files and directories on disk, need a policy
// that replaces files, refuse links and special bits, and stay in the root.
func TestDirChmodChtimes(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "f"), []byte("f"))
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	w := func(name string) *behaviour.Transfer { return transfer(t, behaviour.Write, name) }
	if err := d.Chmod(ctx, w("f"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Chtimes(ctx, w("f"), attrTime, attrTime); err != nil {
		t.Fatal(err)
	}
	if fi := statOf(t, filepath.Join(root, "f")); fi.Mode().Perm() != 0o600 || !fi.ModTime().Equal(attrTime) {
		t.Errorf("f: %v %v", fi.Mode(), fi.ModTime())
	}
	if err := d.Chmod(ctx, w("dir"), 0o700); err != nil || statOf(t, filepath.Join(root, "dir")).Mode().Perm() != 0o700 {
		t.Errorf("chmod of a directory: %v", err)
	}
	wantCode(t, "Chmod of a link", d.Chmod(ctx, w("link"), 0o777), behaviour.CodeAccessViolation)
	wantCode(t, "Chmod u+s", d.Chmod(ctx, w("f"), fs.ModeSetuid|0o755), behaviour.CodeIllegalOperation)
	wantCode(t, "Chmod of the root", d.Chmod(ctx, w("."), 0o777), behaviour.CodeAccessViolation)
	wantCode(t, "Chmod of a missing file", d.Chmod(ctx, w("missing"), 0o600), behaviour.CodeNotFound)
	if fi := statOf(t, filepath.Join(root, "f")); fi.Mode().Perm() != 0o600 {
		t.Errorf("a refused chmod changed f: %v", fi.Mode())
	}
	for _, policy := range []handlers.WritePolicy{handlers.WriteNone, handlers.WriteCreate} {
		ro, roRoot := newDir(t, handlers.DirConfig{Write: policy})
		writeFile(t, filepath.Join(roRoot, "f"), []byte("f"))
		wantCode(t, policy.String()+": Chmod", ro.Chmod(ctx, w("f"), 0o600), behaviour.CodeAccessViolation)
		wantCode(t, policy.String()+": Chtimes", ro.Chtimes(ctx, w("f"), attrTime, attrTime), behaviour.CodeAccessViolation)
	}
}

// An upload's own mode and times, set before the commit, are those of the
// committed file, even under WriteCreate; after the commit they are
// refused on the transfer.
func TestDirUploadAttributes(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteCreate})
	tr := transfer(t, behaviour.Write, "new")
	if err := d.Open(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(tr, []byte("data"), false); err != nil {
		t.Fatal(err)
	}
	if err := d.Chmod(ctx, tr, 0o604); err != nil {
		t.Fatal(err)
	}
	if err := d.Chtimes(ctx, tr, attrTime, attrTime); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "new")); err == nil {
		t.Error("the upload is visible before its commit")
	}
	if err := d.Write(tr, nil, true); err != nil {
		t.Fatal(err)
	}
	if fi := statOf(t, filepath.Join(root, "new")); fi.Mode().Perm() != 0o604 || !fi.ModTime().Equal(attrTime) {
		t.Errorf("committed: %v %v", fi.Mode(), fi.ModTime())
	}
	if err := d.Chmod(ctx, tr, 0o600); err == nil {
		t.Error("Chmod on a committed upload succeeded")
	}
}
