package handlers_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

func named(name string) *behaviour.Transfer { return &behaviour.Transfer{Name: name} }

func TestMemoryStat(t *testing.T) {
	ctx := context.Background()
	m := handlers.NewMemory()
	before := time.Now()
	m.Put("boot/pxelinux.cfg/default", []byte("default menu"))
	m.Put("boot/pxelinux.0", []byte("loader"))
	tests := []struct {
		name string
		base string
		size int64
		dir  bool
	}{
		{"boot/pxelinux.0", "pxelinux.0", 6, false},
		{"boot/pxelinux.cfg/default", "default", 12, false},
		{"boot/pxelinux.cfg", "pxelinux.cfg", 0, true},
		{"boot", "boot", 0, true},
		{".", ".", 0, true},
	}
	for _, tc := range tests {
		fi, err := behaviour.Stat(ctx, m, named(tc.name))
		if err != nil {
			t.Errorf("Stat(%q): %v", tc.name, err)
			continue
		}
		if fi.Name() != tc.base || fi.Size() != tc.size || fi.IsDir() != tc.dir || fi.ModTime().Before(before) {
			t.Errorf("Stat(%q) = %s %d dir=%v %v", tc.name, fi.Name(), fi.Size(), fi.IsDir(), fi.ModTime())
		}
	}
	for _, missing := range []string{"boo", "boot/pxelinux", "nothing/here"} {
		if _, err := m.Stat(ctx, named(missing)); !errors.Is(err, behaviour.ErrNotFound) {
			t.Errorf("Stat(%q): %v, want not found", missing, err)
		}
	}
}

func TestMemoryList(t *testing.T) {
	ctx := context.Background()
	m := handlers.NewMemory()
	if infos, err := m.List(ctx, named(".")); err != nil || len(infos) != 0 {
		t.Fatalf("List of an empty store = %v, %v", infos, err)
	}
	for _, name := range []string{"b", "a/x", "a/y/z", "c/d/e", "a/w"} {
		m.Put(name, []byte(name))
	}
	tests := map[string]string{
		".":   "a/ b c/",
		"a":   "w x y/",
		"a/y": "z",
		"c":   "d/",
	}
	for dir, want := range tests {
		infos, err := m.List(ctx, named(dir))
		if err != nil {
			t.Errorf("List(%q): %v", dir, err)
			continue
		}
		if got := listing(infos); got != want {
			t.Errorf("List(%q) = %q, want %q", dir, got, want)
		}
	}
	if _, err := m.List(ctx, named("b")); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("List of a file: %v, want not found (not a directory)", err)
	}
	if _, err := m.List(ctx, named("q")); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("List of a missing directory: %v", err)
	}
}

// listing writes entries as "name" for files and "name/" for directories.
func listing(infos []fs.FileInfo) string {
	var parts []string
	for _, fi := range infos {
		s := fi.Name()
		if fi.IsDir() {
			s += "/"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestMemoryRemove(t *testing.T) {
	ctx := context.Background()
	m := handlers.NewMemory()
	m.Put("d/f", []byte("x"))
	m.Put("g", []byte("x"))
	if err := behaviour.Remove(ctx, m, named("d")); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Remove of a directory: %v", err)
	}
	if err := m.Remove(ctx, named("d/f")); err != nil {
		t.Fatal(err)
	}
	if err := m.Remove(ctx, named("d/f")); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("second Remove: %v", err)
	}
	if _, err := m.Stat(ctx, named("d")); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("directory outlived its last file: %v", err)
	}
	createOnly, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteCreate})
	createOnly.Put("g", []byte("x"))
	if err := createOnly.Remove(ctx, named("g")); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Remove under WriteCreate: %v", err)
	}
	if _, ok := createOnly.Get("g"); !ok {
		t.Error("a refused Remove removed the file")
	}
}

func TestMemoryRename(t *testing.T) {
	ctx := context.Background()
	m := handlers.NewMemory()
	m.Put("upload.tmp", []byte("data"))
	m.Put("other", []byte("other"))
	m.Put("d/f", []byte("f"))
	refusals := []struct {
		from, to string
		want     *behaviour.Error
	}{
		{"upload.tmp", "other", behaviour.ErrFileExists},
		{"missing", "x", behaviour.ErrNotFound},
		{"upload.tmp", "d", behaviour.ErrAccessViolation},    // a directory
		{"upload.tmp", "other/x", behaviour.ErrNotFound},     // under a file
		{"upload.tmp", "../x", behaviour.ErrAccessViolation}, // not a cleaned name
		{"d", "e", behaviour.ErrIllegalOperation},            // directories stay
		{".", "e", behaviour.ErrAccessViolation},
	}
	for _, r := range refusals {
		if err := behaviour.Rename(ctx, m, named(r.from), r.to); !errors.Is(err, r.want) {
			t.Errorf("Rename(%q, %q): %v, want %v", r.from, r.to, err, r.want)
		}
	}
	if err := m.Rename(ctx, named("upload.tmp"), "final/cfg"); err != nil {
		t.Fatal(err)
	}
	if got, ok := m.Get("final/cfg"); !ok || string(got) != "data" {
		t.Fatalf("renamed file = %q, %v", got, ok)
	}
	if _, ok := m.Get("upload.tmp"); ok {
		t.Fatal("the old name survived the rename")
	}
	if err := m.Rename(ctx, named("final/cfg"), "final/cfg"); err != nil {
		t.Errorf("rename onto itself: %v", err)
	}
	createOnly, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteCreate})
	createOnly.Put("a", []byte("x"))
	if err := createOnly.Rename(ctx, named("a"), "b"); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Rename under WriteCreate: %v", err)
	}
}
