package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

// openUpload opens an upload of name with the given flags and tsize (-1:
// none).
func openUpload(t *testing.T, h behaviour.Handler, name string, flags behaviour.OpenFlags, tsize int64) (*behaviour.Transfer, error) {
	t.Helper()
	tr := transfer(t, behaviour.Write, name)
	tr.Flags = flags
	if tsize >= 0 {
		tr.Options.Add(behaviour.OptTSize, strconv.FormatInt(tsize, 10))
		tr.SetSize(tsize) // as the TFTP engine does
	}
	return tr, h.Open(context.Background(), tr)
}

const createTrunc = behaviour.FlagCreate | behaviour.FlagTruncate

func TestUploadInvisibleUntilCommit(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	target := filepath.Join(root, "router-confg")
	for _, old := range [][]byte{nil, []byte("old content\n")} {
		if old != nil {
			writeFile(t, target, old)
		}
		tr, err := openUpload(t, d, "router-confg", createTrunc, -1)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := d.Write(tr, pattern(1000, byte(i)), false); err != nil {
				t.Fatal(err)
			}
			assertContent(t, target, old)
		}
		want := 0
		if old != nil {
			want = 1
		}
		if infos, err := d.List(context.Background(), transfer(t, behaviour.Read, ".")); err != nil || len(infos) != want {
			t.Errorf("List during an upload: %d entries, %v; the temporary file must not show", len(infos), err)
		}
		wantCode(t, "read of the temporary file", d.Open(context.Background(), transfer(t, behaviour.Read, tempName(t, root))), behaviour.CodeAccessViolation)
		if err := d.Write(tr, []byte("end"), true); err != nil {
			t.Fatal(err)
		}
		assertContent(t, target, append(bytes.Join([][]byte{pattern(1000, 0), pattern(1000, 1), pattern(1000, 2)}, nil), "end"...))
		assertNoTempFiles(t, root)
	}
}

// tempName returns the name of the one temporary file in root.
func tempName(t *testing.T, root string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(root, ".filemux-*.tmp"))
	if len(matches) != 1 {
		t.Fatalf("want one temporary file during an upload, found %v", matches)
	}
	return filepath.Base(matches[0])
}

func assertContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	switch {
	case want == nil && !errors.Is(err, fs.ErrNotExist):
		t.Errorf("%s exists (%d bytes, %v), want it absent", filepath.Base(path), len(got), err)
	case want != nil && !bytes.Equal(got, want):
		t.Errorf("%s holds %d bytes (%v), want %d", filepath.Base(path), len(got), err, len(want))
	}
}

func TestUploadAbortLeavesNothing(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "kept"), []byte("kept"))
	for _, name := range []string{"kept", "new"} {
		tr, err := openUpload(t, d, name, createTrunc, -1)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Write(tr, []byte("half"), false); err != nil {
			t.Fatal(err)
		}
		d.Abort(tr, errors.New("peer sent ERROR"))
		d.Abort(tr, errors.New("second abort must be harmless"))
	}
	assertContent(t, filepath.Join(root, "kept"), []byte("kept"))
	assertContent(t, filepath.Join(root, "new"), nil)
	assertNoTempFiles(t, root)
}

func TestUploadSizeCap(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny, MaxSize: 1000})
	writeFile(t, filepath.Join(root, "old"), []byte("old"))

	_, err := openUpload(t, d, "new", createTrunc, 1001)
	wantCode(t, "tsize past the cap", err, behaviour.CodeDiskFull)

	for _, name := range []string{"new", "old"} {
		tr, err := openUpload(t, d, name, createTrunc, -1)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Write(tr, make([]byte, 600), false); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "write past the cap", d.Write(tr, make([]byte, 401), false), behaviour.CodeDiskFull)
		d.Abort(tr, err)
	}

	tr, err := openUpload(t, d, "random", createTrunc, -1)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := behaviour.WriterAt(d, tr)
	if _, err := w.WriteAt(make([]byte, 10), 995); code(err) != behaviour.CodeDiskFull {
		t.Errorf("WriteAt past the cap: %v, want disk full", err)
	}
	if _, err := w.WriteAt(make([]byte, 1), 1<<62); code(err) != behaviour.CodeDiskFull {
		t.Errorf("WriteAt far past the cap: %v, want disk full", err)
	}
	if _, err := w.WriteAt(make([]byte, 1), -1); err == nil {
		t.Error("WriteAt at a negative offset succeeded")
	}
	d.Abort(tr, err)

	tr, err = openUpload(t, d, "exact", createTrunc, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(tr, pattern(1000, 9), true); err != nil {
		t.Errorf("an upload of exactly the cap failed: %v", err)
	}
	assertContent(t, filepath.Join(root, "old"), []byte("old"))
	assertContent(t, filepath.Join(root, "new"), nil)
	assertContent(t, filepath.Join(root, "random"), nil)
	assertContent(t, filepath.Join(root, "exact"), pattern(1000, 9))
	assertNoTempFiles(t, root)
}

func TestUploadPolicyAndFlags(t *testing.T) {
	const (
		ok     = behaviour.Code(255)
		exists = behaviour.CodeFileExists
		absent = behaviour.CodeNotFound
		denied = behaviour.CodeAccessViolation
	)
	cases := []struct {
		policy   handlers.WritePolicy
		flags    behaviour.OpenFlags
		existing bool
		want     behaviour.Code
	}{
		{handlers.WriteNone, createTrunc, false, denied},
		{handlers.WriteNone, createTrunc, true, denied},
		{handlers.WriteCreate, createTrunc, false, ok},
		{handlers.WriteCreate, createTrunc, true, exists},
		{handlers.WriteOverwrite, createTrunc, false, absent},
		{handlers.WriteOverwrite, createTrunc, true, ok},
		{handlers.WriteAny, createTrunc, false, ok},
		{handlers.WriteAny, createTrunc, true, ok},
		{handlers.WriteAny, createTrunc | behaviour.FlagExclusive, true, exists},
		{handlers.WriteAny, createTrunc | behaviour.FlagExclusive, false, ok},
		{handlers.WriteAny, behaviour.FlagTruncate, false, absent},
		{handlers.WriteAny, behaviour.FlagCreate, true, ok},
		{handlers.WriteCreate, behaviour.FlagCreate | behaviour.FlagAppend, true, exists},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%v/%b/existing=%v", c.policy, c.flags, c.existing)
		d, root := newDir(t, handlers.DirConfig{Write: c.policy})
		if c.existing {
			writeFile(t, filepath.Join(root, "f"), []byte("old content"))
		}
		tr, err := openUpload(t, d, "f", c.flags, -1)
		if err == nil {
			err = d.Write(tr, []byte("new"), true)
		}
		switch {
		case c.want == ok && err != nil:
			t.Errorf("%s: %v, want success", name, err)
		case c.want == ok:
			assertContent(t, filepath.Join(root, "f"), []byte("new"))
		default:
			wantCode(t, name, err, c.want)
			if c.existing {
				assertContent(t, filepath.Join(root, "f"), []byte("old content"))
			}
		}
		assertNoTempFiles(t, root)
	}
}

// TFTP and SCP engines that leave the flags unset get Create|Truncate; an
// SFTP open without FlagCreate does not create.
func TestUploadUnsetFlags(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	tr := &behaviour.Transfer{Protocol: behaviour.TFTP, Access: behaviour.Write, Name: "tftp"}
	if err := d.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(tr, []byte("x"), true); err != nil {
		t.Fatal(err)
	}
	assertContent(t, filepath.Join(root, "tftp"), []byte("x"))
	tr = &behaviour.Transfer{Protocol: behaviour.SFTP, Access: behaviour.Write, Name: "sftp"}
	wantCode(t, "SFTP open without create", d.Open(context.Background(), tr), behaviour.CodeNotFound)
}

func TestUploadAppendReplacesAtomically(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny, MaxSize: 10})
	target := filepath.Join(root, "log")
	writeFile(t, target, []byte("abc"))
	tr, err := openUpload(t, d, "log", behaviour.FlagCreate|behaviour.FlagAppend, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(tr, []byte("def"), false); err != nil {
		t.Fatal(err)
	}
	assertContent(t, target, []byte("abc"))
	if err := d.Write(tr, []byte("g"), true); err != nil {
		t.Fatal(err)
	}
	assertContent(t, target, []byte("abcdefg"))

	writeFile(t, target, []byte("0123456789A"))
	_, err = openUpload(t, d, "log", behaviour.FlagAppend, -1)
	wantCode(t, "append to a file past the cap", err, behaviour.CodeDiskFull)
	assertNoTempFiles(t, root)
}

// A commit that fails (a directory took the target name meanwhile) leaves
// neither the temporary file nor a change.
func TestUploadFailedCommit(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	tr, err := openUpload(t, d, "target", createTrunc, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(tr, []byte("data"), false); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "target", "inside"), []byte("kept"))
	if err := d.Write(tr, nil, true); err == nil {
		t.Fatal("the commit replaced a directory")
	}
	d.Abort(tr, err)
	assertContent(t, filepath.Join(root, "target", "inside"), []byte("kept"))
	assertNoTempFiles(t, root)
}

// Under WriteCreate two uploads may race for one new name: the first
// commit wins and the second fails without replacing it.
func TestUploadCreateOnlyRace(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteCreate})
	first, err := openUpload(t, d, "backup", createTrunc, -1)
	if err != nil {
		t.Fatal(err)
	}
	second, err := openUpload(t, d, "backup", createTrunc, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(first, []byte("first"), true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "the second commit", d.Write(second, []byte("second"), true), behaviour.CodeFileExists)
	assertContent(t, filepath.Join(root, "backup"), []byte("first"))
	assertNoTempFiles(t, root)
}

func TestUploadModes(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny, FileMode: 0o640})
	writeFile(t, filepath.Join(root, "private"), []byte("old"))
	if err := os.Chmod(filepath.Join(root, "private"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"private", "fresh"} {
		if err := behaviourtest.Write(context.Background(), d, name, []byte("new")); err != nil {
			t.Fatal(err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(root, "private")); fi.Mode().Perm() != 0o600 {
		t.Errorf("a replaced file got mode %v, want it kept at 0600", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Join(root, "fresh")); fi.Mode().Perm()&^0o640 != 0 || fi.Mode().Perm()&0o600 != 0o600 {
		t.Errorf("a new file got mode %v, want 0640 less the umask", fi.Mode().Perm())
	}
}

func TestUploadParents(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	wantCode(t, "upload into a missing directory", behaviourtest.Write(ctx, d, "a/b/c.cfg", []byte("x")), behaviour.CodeNotFound)
	if _, err := os.Stat(filepath.Join(root, "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a refused upload created a directory")
	}
	d, root = newDir(t, handlers.DirConfig{Write: handlers.WriteAny, MakeParents: true})
	if err := behaviourtest.Write(ctx, d, "a/b/c.cfg", []byte("x")); err != nil {
		t.Fatal(err)
	}
	assertContent(t, filepath.Join(root, "a", "b", "c.cfg"), []byte("x"))
}

func TestUploadRandomAccess(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	tr, err := openUpload(t, d, "img", createTrunc, -1)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := behaviour.WriterAt(d, tr)
	if !ok {
		t.Fatal("no io.WriterAt on an upload")
	}
	data := pattern(10000, 7)
	var wg sync.WaitGroup
	for off := len(data) - 1000; off >= 0; off -= 1000 {
		wg.Go(func() {
			if _, err := w.WriteAt(data[off:off+1000], int64(off)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	assertContent(t, filepath.Join(root, "img"), nil)
	if err := d.Write(tr, nil, true); err != nil {
		t.Fatal(err)
	}
	assertContent(t, filepath.Join(root, "img"), data)
	if ra, ok := behaviour.ReaderAt(d, tr); ok {
		t.Errorf("an upload offers io.ReaderAt (%T)", ra)
	}
}

// Many uploads and downloads at once, on shared and distinct names: every
// read sees one whole version, never a mix or a part.
func TestDirConcurrentTransfers(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	versions := make(map[string]bool)
	for i := range 8 {
		versions[string(pattern(20000+i, byte(i)))] = true
	}
	writeFile(t, filepath.Join(root, "shared"), pattern(20000, 0))
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 6 {
				data := pattern(20000+w, byte(w))
				if err := behaviourtest.Write(ctx, d, "shared", data, behaviourtest.ChunkSize(1468)); err != nil {
					t.Error(err)
				}
				own := fmt.Sprintf("own-%d-%d", w, i)
				if err := behaviourtest.Write(ctx, d, own, data, behaviourtest.RandomAccess(true), behaviourtest.Protocol(behaviour.SFTP)); err != nil {
					t.Error(err)
				}
				if got, err := behaviourtest.Read(ctx, d, own); err != nil || !bytes.Equal(got, data) {
					t.Errorf("%s read back %d bytes, %v", own, len(got), err)
				}
			}
		})
		wg.Go(func() {
			for range 12 {
				got, err := behaviourtest.Read(ctx, d, "shared", behaviourtest.ChunkSize(512+w))
				if err != nil || !versions[string(got)] {
					t.Errorf("a read of shared returned %d bytes (%v): not one whole version", len(got), err)
				}
			}
		})
	}
	wg.Wait()
	assertNoTempFiles(t, root)
	entries, _ := os.ReadDir(root)
	if len(entries) != 1+8*6 {
		t.Errorf("%d files in the root, want %d", len(entries), 1+8*6)
	}
}

func TestUploadPeerMessagesHoldNoPath(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "file"), []byte("x"))
	errs := []error{
		behaviourtest.Write(ctx, d, "missing/dir/x", []byte("x")),
		behaviourtest.Write(ctx, d, "file/below", []byte("x")),
		d.Open(ctx, transfer(t, behaviour.Read, "missing")),
		d.Open(ctx, transfer(t, behaviour.Read, "file/below")),
		d.Mkdir(ctx, transfer(t, behaviour.Write, "missing/dir")),
		d.Rename(ctx, transfer(t, behaviour.Write, "missing"), "other"),
	}
	for _, err := range errs {
		if err == nil {
			t.Error("an operation on a missing name succeeded")
			continue
		}
		msg := behaviour.PeerMessage(err)
		if strings.Contains(msg, root) || strings.Contains(msg, "missing") || strings.Contains(msg, "/") {
			t.Errorf("peer message %q holds a name or path (cause %v)", msg, err)
		}
	}
}
