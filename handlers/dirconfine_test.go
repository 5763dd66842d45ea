package handlers_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

// jail is a served root with traps around it:
//
//	X/secret            sentinel outside the root
//	X/root2/victim      sentinel in a sibling whose name extends the root's
//	X/root/             the served root, with links pointing out of it
type jail struct {
	outer, root string
	d           *handlers.Dir
	before      map[string]snapshot
}

type snapshot struct {
	data    []byte
	mode    fs.FileMode
	modTime time.Time
}

const secretText = "SECRET: must never be served or changed\n"

func newJail(t *testing.T) *jail {
	t.Helper()
	outer := t.TempDir()
	j := &jail{outer: outer, root: filepath.Join(outer, "root")}
	writeFile(t, filepath.Join(outer, "secret"), []byte(secretText))
	writeFile(t, filepath.Join(outer, "root2", "victim"), []byte(secretText))
	writeFile(t, filepath.Join(j.root, "inside.txt"), []byte("inside\n"))
	writeFile(t, filepath.Join(j.root, "sub", "deeper.txt"), []byte("deeper\n"))
	links := map[string]string{
		"abs-file":    filepath.Join(outer, "secret"),
		"rel-file":    "../secret",
		"abs-sibling": filepath.Join(outer, "root2"),
		"rel-sibling": "../root2",
		"sub/up":      "../../secret",
		"sub/updir":   "../..",
		"abs-inside":  filepath.Join(j.root, "inside.txt"),
		"loop":        "loop",
		"dangling":    "../nowhere",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(j.root, name)); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	d, err := handlers.NewDir(j.root, handlers.DirConfig{Write: handlers.WriteAny, MakeParents: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	j.d = d
	j.before = j.outside(t)
	return j
}

// outside snapshots every file outside the served root.
func (j *jail) outside(t *testing.T) map[string]snapshot {
	t.Helper()
	m := make(map[string]snapshot)
	err := filepath.WalkDir(j.outer, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == j.root {
			return filepath.SkipDir
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		s := snapshot{mode: fi.Mode(), modTime: fi.ModTime()}
		if fi.Mode().IsRegular() {
			s.data, _ = os.ReadFile(path)
		}
		m[path] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// assertUntouched fails when anything outside the root was created,
// removed or changed.
func (j *jail) assertUntouched(t *testing.T) {
	t.Helper()
	after := j.outside(t)
	for path, b := range j.before {
		a, ok := after[path]
		switch {
		case !ok:
			t.Errorf("%s outside the root was removed", path)
		case !bytes.Equal(a.data, b.data) || a.mode != b.mode || !a.modTime.Equal(b.modTime):
			t.Errorf("%s outside the root was changed", path)
		}
	}
	for path := range after {
		if _, ok := j.before[path]; !ok {
			t.Errorf("%s appeared outside the root", path)
		}
	}
}

// traversals are raw requested names, as peers send them, that aim outside
// the root.
var traversals = []string{
	"../secret", "x/../../secret", "/../secret", `..\..\secret`, "....//secret", ".../secret",
	"/etc/passwd", `C:\windows\win.ini`, `\\?\C:\secret`, `\\.\pipe\x`, "sub/../../secret",
	"../", "sub/../..", "..", "a\x00/../secret", "../root2/victim", `..\root2\victim`,
	"%2e%2e/secret", "sub/%2e%2e/%2e%2e/secret", "abs-file", "rel-file", "sub/up", "sub/updir/secret",
	"abs-sibling/victim", "rel-sibling/victim", "abs-inside", "loop", "dangling",
	"abs-sibling/new", "rel-sibling/new", "sub/updir/new", "dangling/new", "abs-sibling", "rel-sibling", "sub/updir",
}

// confined runs op on every traversal name, cleaned as engines clean names
// first. A name CleanName refuses never reaches the handler. An op that
// succeeds must have stayed inside the root, which assertUntouched checks.
func (j *jail) confined(t *testing.T, what string, op func(tr *behaviour.Transfer) error) {
	t.Helper()
	for _, raw := range traversals {
		for _, access := range []behaviour.Access{behaviour.Read, behaviour.Write} {
			tr, err := newRawTransfer(access, raw)
			if err != nil {
				continue
			}
			err = op(tr)
			if err == nil {
				continue
			}
			if msg := behaviour.PeerMessage(err); strings.Contains(msg, j.outer) || strings.Contains(msg, "secret") {
				t.Errorf("%s %q: the peer would see %q", what, raw, msg)
			}
		}
	}
}

func newRawTransfer(access behaviour.Access, raw string) (*behaviour.Transfer, error) {
	name, err := behaviour.CleanName(raw)
	if err != nil {
		return nil, err
	}
	return &behaviour.Transfer{Protocol: behaviour.SFTP, Access: access, RequestedName: raw, Name: name,
		Flags: behaviour.FlagCreate | behaviour.FlagTruncate}, nil
}

func TestDirConfinesReads(t *testing.T) {
	j := newJail(t)
	ctx := context.Background()
	served := 0
	j.confined(t, "read", func(tr *behaviour.Transfer) error {
		if tr.Access != behaviour.Read {
			return nil
		}
		if err := j.d.Open(ctx, tr); err != nil {
			return err
		}
		served++
		var buf bytes.Buffer
		_, err := buf.ReadFrom(readerOf(j.d, tr))
		if strings.Contains(buf.String(), "SECRET") {
			t.Errorf("read %q served the sentinel outside the root", tr.RequestedName)
		}
		return err
	})
	if served != 0 {
		t.Errorf("%d traversal names were served; each should have been refused", served)
	}
	j.assertUntouched(t)
}

func TestDirConfinesWrites(t *testing.T) {
	j := newJail(t)
	ctx := context.Background()
	j.confined(t, "write", func(tr *behaviour.Transfer) error {
		if tr.Access != behaviour.Write {
			return nil
		}
		if err := j.d.Open(ctx, tr); err != nil {
			return err
		}
		return j.d.Write(tr, []byte("PWNED"), true)
	})
	j.assertUntouched(t)
	if got, _ := os.Readlink(filepath.Join(j.root, "abs-file")); got != filepath.Join(j.outer, "secret") {
		t.Error("an upload replaced the link abs-file")
	}
	assertNoTempFiles(t, j.outer)
}

func TestDirConfinesRandomWrites(t *testing.T) {
	j := newJail(t)
	ctx := context.Background()
	j.confined(t, "random write", func(tr *behaviour.Transfer) error {
		if tr.Access != behaviour.Write {
			return nil
		}
		if err := j.d.Open(ctx, tr); err != nil {
			return err
		}
		w, ok := behaviour.WriterAt(j.d, tr)
		if !ok {
			t.Fatal("no random access on an upload")
		}
		if _, err := w.WriteAt([]byte("PWNED"), 3); err != nil {
			j.d.Abort(tr, err)
			return err
		}
		return j.d.Write(tr, nil, true)
	})
	j.assertUntouched(t)
}

func TestDirConfinesOperations(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"stat", "list", "remove", "rmdir", "mkdir", "rename from", "rename to"} {
		j := newJail(t)
		j.confined(t, op, j.operation(t, ctx, op))
		j.assertUntouched(t)
	}
}

// operation returns the capability call named op, with checks of its own.
func (j *jail) operation(t *testing.T, ctx context.Context, op string) func(*behaviour.Transfer) error {
	ops := map[string]func(tr *behaviour.Transfer) error{
		"stat": func(tr *behaviour.Transfer) error {
			fi, err := j.d.Stat(ctx, tr)
			if err == nil && fi.Size() == int64(len(secretText)) && tr.Name != "abs-inside" {
				t.Errorf("stat %q described the sentinel outside", tr.RequestedName)
			}
			return err
		},
		"list": func(tr *behaviour.Transfer) error {
			infos, err := j.d.List(ctx, tr)
			for _, fi := range infos {
				if fi.Name() == "victim" || fi.Name() == "secret" {
					t.Errorf("list %q listed a directory outside", tr.RequestedName)
				}
			}
			return err
		},
		"remove": func(tr *behaviour.Transfer) error { return j.d.Remove(ctx, tr) },
		"rmdir":  func(tr *behaviour.Transfer) error { return j.d.Rmdir(ctx, tr) },
		"mkdir":  func(tr *behaviour.Transfer) error { return j.d.Mkdir(ctx, tr) },
		"rename from": func(tr *behaviour.Transfer) error {
			return j.d.Rename(ctx, tr, "moved-"+strings.ReplaceAll(tr.Name, "/", "-"))
		},
		"rename to": func(tr *behaviour.Transfer) error {
			writeFile(t, filepath.Join(j.root, "bait"), []byte("bait"))
			src := &behaviour.Transfer{Access: behaviour.Write, Name: "bait"}
			return j.d.Rename(ctx, src, tr.Name)
		},
	}
	return ops[op]
}

func TestDirRefusesEscapesWithAccessViolation(t *testing.T) {
	j := newJail(t)
	ctx := context.Background()
	for _, name := range []string{"abs-file", "rel-file", "sub/up", "abs-sibling/victim", "rel-sibling/victim", "sub/updir/secret", "abs-inside"} {
		tr := transfer(t, behaviour.Read, name)
		wantCode(t, "read "+name, j.d.Open(ctx, tr), behaviour.CodeAccessViolation)
		if _, err := j.d.Stat(ctx, tr); code(err) != behaviour.CodeAccessViolation {
			t.Errorf("stat %s: %v, want an access violation", name, err)
		}
	}
	for _, name := range []string{"abs-file", "rel-sibling/new", "abs-sibling/new", "sub/updir/new"} {
		tr := transfer(t, behaviour.Write, name)
		wantCode(t, "write "+name, j.d.Open(ctx, tr), behaviour.CodeAccessViolation)
	}
	tr := transfer(t, behaviour.Write, "inside.txt")
	wantCode(t, "rename into a sibling", j.d.Rename(ctx, tr, "rel-sibling/stolen"), behaviour.CodeAccessViolation)
	j.assertUntouched(t)
}

// Links themselves live inside the root: removing or renaming one is
// confined and leaves its target alone.
func TestDirChangesLinksNotTargets(t *testing.T) {
	j := newJail(t)
	ctx := context.Background()
	tr := transfer(t, behaviour.Write, "abs-file")
	if err := j.d.Rename(ctx, tr, "sub/moved-link"); err != nil {
		t.Fatalf("rename a link: %v", err)
	}
	wantCode(t, "read the moved link", j.d.Open(ctx, transfer(t, behaviour.Read, "sub/moved-link")), behaviour.CodeAccessViolation)
	for _, name := range []string{"sub/moved-link", "rel-sibling", "sub/up"} {
		if err := j.d.Remove(ctx, transfer(t, behaviour.Write, name)); err != nil {
			t.Errorf("remove the link %s: %v", name, err)
		}
	}
	wantCode(t, "rmdir through a link", j.d.Rmdir(ctx, transfer(t, behaviour.Write, "abs-sibling")), behaviour.CodeNotFound)
	j.assertUntouched(t)
}

// A sibling directory whose name extends the root's (root2 next to root)
// must not pass for part of it, as it would with a string prefix check.
func TestDirSiblingPrefixIsOutside(t *testing.T) {
	j := newJail(t)
	ctx := context.Background()
	sibling, err := filepath.Rel(j.root, filepath.Join(j.outer, "root2", "victim"))
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{sibling, filepath.Join(j.outer, "root2", "victim"), j.root + "2/victim"} {
		name, err := behaviour.CleanName(raw)
		if err != nil {
			continue
		}
		tr := &behaviour.Transfer{Access: behaviour.Read, Name: name}
		if err := j.d.Open(ctx, tr); err == nil {
			j.d.Abort(tr, nil)
			t.Errorf("read %q (cleaned %q) was served", raw, name)
		}
	}
	j.assertUntouched(t)
}
