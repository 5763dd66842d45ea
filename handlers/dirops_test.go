package handlers_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

func TestDirStatAndList(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{})
	writeFile(t, filepath.Join(root, "a.txt"), []byte("12345"))
	writeFile(t, filepath.Join(root, "sub", "b.txt"), nil)
	if err := os.Symlink("a.txt", filepath.Join(root, "link")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	fi, err := d.Stat(ctx, transfer(t, behaviour.Read, "link"))
	if err != nil || fi.Size() != 5 || !fi.Mode().IsRegular() {
		t.Errorf("Stat(link) = %v, %v; want the 5-byte regular file it points to", fi, err)
	}
	if got, err := behaviourtest.Read(ctx, d, "link"); err != nil || string(got) != "12345" {
		t.Errorf("read through a link inside the root: %q, %v", got, err)
	}
	fi, err = d.Stat(ctx, transfer(t, behaviour.Read, "."))
	if err != nil || !fi.IsDir() {
		t.Errorf("Stat(.) = %v, %v; want the root directory", fi, err)
	}
	_, err = d.Stat(ctx, transfer(t, behaviour.Read, "nope"))
	wantCode(t, "Stat of a missing file", err, behaviour.CodeNotFound)

	infos, err := d.List(ctx, transfer(t, behaviour.Read, "/"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range infos {
		names = append(names, fi.Name())
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a.txt", "link", "sub"}) {
		t.Errorf("List(/) = %v", names)
	}
	_, err = d.List(ctx, transfer(t, behaviour.Read, "a.txt"))
	wantCode(t, "List of a file", err, behaviour.CodeNotFound)
	if infos, err := d.List(ctx, transfer(t, behaviour.Read, "sub")); err != nil || len(infos) != 1 {
		t.Errorf("List(sub) = %d entries, %v", len(infos), err)
	}
}

func TestDirChangesFollowThePolicy(t *testing.T) {
	ctx := context.Background()
	denied := behaviour.CodeAccessViolation
	for _, c := range []struct {
		policy                       handlers.WritePolicy
		remove, rename, mkdir, rmdir bool
	}{
		{handlers.WriteNone, false, false, false, false},
		{handlers.WriteCreate, false, false, true, false},
		{handlers.WriteOverwrite, true, false, false, true},
		{handlers.WriteAny, true, true, true, true},
	} {
		d, root := newDir(t, handlers.DirConfig{Write: c.policy})
		writeFile(t, filepath.Join(root, "f"), []byte("f"))
		writeFile(t, filepath.Join(root, "g"), []byte("g"))
		if err := os.Mkdir(filepath.Join(root, "empty"), 0o755); err != nil {
			t.Fatal(err)
		}
		results := map[string]struct {
			err     error
			allowed bool
			gone    string
		}{
			"remove": {d.Remove(ctx, transfer(t, behaviour.Write, "f")), c.remove, "f"},
			"rename": {d.Rename(ctx, transfer(t, behaviour.Write, "g"), "g2"), c.rename, "g"},
			"mkdir":  {d.Mkdir(ctx, transfer(t, behaviour.Write, "new")), c.mkdir, ""},
			"rmdir":  {d.Rmdir(ctx, transfer(t, behaviour.Write, "empty")), c.rmdir, "empty"},
		}
		for op, r := range results {
			what := c.policy.String() + " " + op
			if r.allowed {
				if r.err != nil {
					t.Errorf("%s: %v", what, r.err)
				}
				continue
			}
			wantCode(t, what, r.err, denied)
			if _, err := os.Lstat(filepath.Join(root, r.gone)); r.gone != "" && err != nil {
				t.Errorf("%s was refused but %s is gone", what, r.gone)
			}
		}
	}
}

func TestDirOperations(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny, DirMode: 0o700})
	writeFile(t, filepath.Join(root, "a"), []byte("a"))
	writeFile(t, filepath.Join(root, "b"), []byte("b"))
	writeFile(t, filepath.Join(root, "full", "x"), []byte("x"))
	w := func(name string) *behaviour.Transfer { return transfer(t, behaviour.Write, name) }

	wantCode(t, "rename onto an existing file", d.Rename(ctx, w("a"), "b"), behaviour.CodeFileExists)
	assertContent(t, filepath.Join(root, "b"), []byte("b"))
	if err := d.Rename(ctx, w("a"), "a"); err != nil {
		t.Errorf("rename to itself: %v", err)
	}
	if err := d.Rename(ctx, w("a"), "full/a"); err != nil {
		t.Fatal(err)
	}
	assertContent(t, filepath.Join(root, "full", "a"), []byte("a"))
	assertContent(t, filepath.Join(root, "a"), nil)
	if err := d.Rename(ctx, w("full"), "moved"); err != nil {
		t.Errorf("rename a directory: %v", err)
	}
	wantCode(t, "rename onto a directory", d.Rename(ctx, w("b"), "moved"), behaviour.CodeFileExists)
	wantCode(t, "rename of a missing file", d.Rename(ctx, w("none"), "x"), behaviour.CodeNotFound)
	wantCode(t, "rename of the root", d.Rename(ctx, w("."), "x"), behaviour.CodeAccessViolation)
	wantCode(t, "rename onto the root", d.Rename(ctx, w("b"), "."), behaviour.CodeAccessViolation)

	wantCode(t, "remove a directory", d.Remove(ctx, w("moved")), behaviour.CodeAccessViolation)
	wantCode(t, "rmdir a file", d.Rmdir(ctx, w("b")), behaviour.CodeNotFound)
	wantCode(t, "rmdir a full directory", d.Rmdir(ctx, w("moved")), behaviour.CodeUndefined)
	wantCode(t, "rmdir the root", d.Rmdir(ctx, w(".")), behaviour.CodeAccessViolation)
	wantCode(t, "mkdir an existing name", d.Mkdir(ctx, w("b")), behaviour.CodeFileExists)
	wantCode(t, "remove a missing file", d.Remove(ctx, w("none")), behaviour.CodeNotFound)

	if err := d.Mkdir(ctx, w("fresh")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, "fresh")); err != nil || fi.Mode().Perm()&^0o700 != 0 {
		t.Errorf("mkdir made %v, %v; want a directory with at most 0700", fi.Mode(), err)
	}
	for _, name := range []string{"moved/x", "moved/a", "b"} {
		if err := d.Remove(ctx, w(name)); err != nil {
			t.Errorf("remove %s: %v", name, err)
		}
	}
	for _, name := range []string{"moved", "fresh"} {
		if err := d.Rmdir(ctx, w(name)); err != nil {
			t.Errorf("rmdir %s: %v", name, err)
		}
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("%d entries left in the root, want none", len(entries))
	}
}

// No capability reaches a temporary upload file, even by its exact name.
func TestDirHidesTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	tr, err := openUpload(t, d, "target", createTrunc, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Abort(tr, nil)
	tmp := tempName(t, root)
	w := transfer(t, behaviour.Write, tmp)
	errs := map[string]error{
		"write":       d.Open(ctx, w),
		"remove":      d.Remove(ctx, w),
		"rename from": d.Rename(ctx, w, "stolen"),
		"rename to":   d.Rename(ctx, transfer(t, behaviour.Write, "x"), tmp),
		"mkdir":       d.Mkdir(ctx, transfer(t, behaviour.Write, "sub/"+tmp)),
	}
	_, errs["stat"] = d.Stat(ctx, w)
	for op, err := range errs {
		wantCode(t, op+" of the temporary file", err, behaviour.CodeAccessViolation)
	}
	if _, err := os.Stat(filepath.Join(root, tmp)); err != nil {
		t.Errorf("the temporary file was touched: %v", err)
	}
}
