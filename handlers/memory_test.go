package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

func TestMemoryConformance(t *testing.T) {
	m := handlers.NewMemory()
	firmware := bytes.Repeat([]byte("firmware"), 20000)
	m.Put("boot/pxelinux.0", []byte("boot loader"))
	m.Put("images/fw.bin", firmware)
	m.Put("empty", nil)
	err := behaviourtest.TestHandler(m, behaviourtest.Spec{
		Reads: map[string][]byte{
			"boot/pxelinux.0": []byte("boot loader"),
			"/images//fw.bin": firmware,
			"empty":           {},
		},
		RefuseReads:   map[string]behaviour.Code{"missing": behaviour.CodeNotFound, "boot": behaviour.CodeNotFound},
		Writes:        []string{"backup/r1-confg", "r2-confg"},
		WriteReadBack: true,
		RefuseWrites:  map[string]behaviour.Code{"boot": behaviour.CodeAccessViolation, "empty/x": behaviour.CodeNotFound},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMemoryConformanceSFTP(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("a.txt", []byte("hello"))
	err := behaviourtest.TestHandler(m, behaviourtest.Spec{
		Reads:         map[string][]byte{"a.txt": []byte("hello")},
		Writes:        []string{"up/b.bin"},
		WriteReadBack: true,
		Protocol:      behaviour.SFTP,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMemoryConformanceRefusals(t *testing.T) {
	readOnly, _ := handlers.NewMemoryWith(handlers.MemoryConfig{})
	readOnly.Put("a", []byte("a"))
	createOnly, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteCreate})
	createOnly.Put("a", []byte("a"))
	overwriteOnly, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteOverwrite})
	capped, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteAny, MaxFileSize: 1000})
	full, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteAny, MaxTotal: 1000})
	tests := []struct {
		name string
		m    *handlers.Memory
		code behaviour.Code
	}{
		{"read-only", readOnly, behaviour.CodeAccessViolation},
		{"create-only", createOnly, behaviour.CodeFileExists},
		{"overwrite-only", overwriteOnly, behaviour.CodeNotFound},
		{"file cap", capped, behaviour.CodeDiskFull},
		{"total cap", full, behaviour.CodeDiskFull},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := behaviourtest.TestHandler(tc.m, behaviourtest.Spec{
				RefuseWrites: map[string]behaviour.Code{"a": tc.code},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := tc.m.Get("a"); tc.m != readOnly && tc.m != createOnly && got != nil {
				t.Errorf("refused upload left %d bytes", len(got))
			}
		})
	}
}

func TestMemoryPutGetDelete(t *testing.T) {
	m := handlers.NewMemory()
	in := []byte("v1")
	m.Put("/dir//f", in)
	in[0] = 'X'
	got, ok := m.Get("dir/f")
	if !ok || string(got) != "v1" {
		t.Fatalf("Get = %q, %v; want the bytes as Put, unaffected by later changes to the caller's slice", got, ok)
	}
	got[0] = 'Y'
	if again, _ := m.Get(`\dir\f`); string(again) != "v1" {
		t.Fatalf("changing what Get returned changed the store: %q", again)
	}
	m.Put("b", nil)
	if names := m.Names(); !slices.Equal(names, []string{"b", "dir/f"}) || m.Len() != 2 {
		t.Fatalf("Names = %q, Len = %d", names, m.Len())
	}
	if b, ok := m.Get("b"); !ok || b == nil || len(b) != 0 {
		t.Fatalf("Get of an empty file = %v, %v; want an empty non-nil slice", b, ok)
	}
	m.Delete("dir/f")
	m.Delete("never")
	if _, ok := m.Get("dir/f"); ok || m.Len() != 1 {
		t.Fatalf("after Delete: Get ok = %v, Len = %d", ok, m.Len())
	}
	if _, ok := m.Get("../x"); ok {
		t.Fatal("Get of a name CleanName refuses succeeded")
	}
}

func TestMemoryPutRefusesBadNames(t *testing.T) {
	for _, name := range []string{"", ".", "/", "../x", "a\x00b"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Put(%q) did not panic", name)
				}
			}()
			handlers.NewMemory().Put(name, []byte("x"))
		}()
	}
}

func TestMemoryZeroValueIsReadOnly(t *testing.T) {
	var m handlers.Memory
	m.Put("a", []byte("zero"))
	got, err := behaviourtest.Read(context.Background(), &m, "a")
	if err != nil || string(got) != "zero" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	err = behaviourtest.Write(context.Background(), &m, "b", []byte("x"))
	if !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Fatalf("upload to a zero Memory: %v, want access violation", err)
	}
}

func TestNewMemoryWithRefusesBadPolicy(t *testing.T) {
	if _, err := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteAny + 1}); err == nil {
		t.Fatal("NewMemoryWith accepted an invalid write policy")
	}
}

// An upload stays invisible until its final Write returns nil.
func TestMemoryUploadVisibleOnlyAfterCommit(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("cfg", []byte("old"))
	tr := openFor(t, m, behaviour.Write, "cfg")
	if err := m.Write(tr, []byte("new content"), false); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get("cfg"); string(got) != "old" {
		t.Fatalf("Get during the upload = %q, want the old content", got)
	}
	if got, err := behaviourtest.Read(context.Background(), m, "cfg"); string(got) != "old" {
		t.Fatalf("download during the upload = %q, %v", got, err)
	}
	if err := m.Write(tr, nil, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get("cfg"); string(got) != "new content" {
		t.Fatalf("Get after the commit = %q", got)
	}
	if err := m.Write(tr, []byte("late"), true); !errors.Is(err, behaviour.ErrIllegalOperation) {
		t.Fatalf("Write after the commit: %v, want illegal operation", err)
	}
}

func TestMemoryAbortLeavesNothing(t *testing.T) {
	m, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteAny, MaxTotal: 100})
	tr := openFor(t, m, behaviour.Write, "new")
	if err := m.Write(tr, make([]byte, 80), false); err != nil {
		t.Fatal(err)
	}
	if names := m.Names(); len(names) != 0 {
		t.Fatalf("Names during the upload = %q", names)
	}
	m.Abort(tr, errors.New("peer went away"))
	m.Abort(tr, errors.New("twice")) // harmless
	if _, ok := m.Get("new"); ok || m.Len() != 0 {
		t.Fatalf("aborted upload is visible: Len = %d", m.Len())
	}
	// The 80 bytes the aborted upload held are free again.
	if err := behaviourtest.Write(context.Background(), m, "next", make([]byte, 80)); err != nil {
		t.Fatalf("upload after Abort: %v (the aborted upload's space was not released)", err)
	}
}

// A download keeps the content it started with, whatever happens to the
// file meanwhile.
func TestMemorySnapshotIsolation(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("fw", []byte("version one"))
	tr := openFor(t, m, behaviour.Read, "fw")
	m.Put("fw", []byte("version TWO")) // same length: a store that reused the slice would show it
	if err := behaviourtest.Write(context.Background(), m, "fw", []byte("version three")); err != nil {
		t.Fatal(err)
	}
	m.Delete("fw")
	got, err := drain(m, tr)
	if err != nil || string(got) != "version one" {
		t.Fatalf("running download read %q, %v; want the snapshot at Open", got, err)
	}
	if size, _ := tr.Size(); size != int64(len("version one")) {
		t.Fatalf("size = %d", size)
	}
}

func TestMemoryRandomAccessEnding(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("f", []byte("0123456789"))
	tr := openFor(t, m, behaviour.Read, "f")
	ra, ok := behaviour.ReaderAt(m, tr)
	if !ok {
		t.Fatal("no io.ReaderAt on a read")
	}
	p := make([]byte, 4)
	if n, err := ra.ReadAt(p, 6); n != 4 || err != nil || string(p) != "6789" {
		t.Fatalf("ReadAt = %d, %v, %q", n, err, p)
	}
	if n, err := m.Read(tr, nil); n != 0 || err != io.EOF {
		t.Fatalf("Read(t, nil) = %d, %v; want 0, io.EOF", n, err)
	}
}

func TestMemoryUploadFlags(t *testing.T) {
	ctx := context.Background()
	m := handlers.NewMemory()
	m.Put("log", []byte("line 1\n"))
	sftp := func(flags behaviour.OpenFlags) *behaviour.Transfer {
		tr, err := behaviourtest.NewTransfer(behaviour.Write, "log", behaviourtest.Protocol(behaviour.SFTP))
		if err != nil {
			t.Fatal(err)
		}
		tr.Flags = flags
		return tr
	}
	if _, err := behaviourtest.Run(ctx, m, sftp(behaviour.FlagCreate|behaviour.FlagExclusive), []byte("x")); !errors.Is(err, behaviour.ErrFileExists) {
		t.Fatalf("exclusive upload over an existing file: %v, want file exists", err)
	}
	if _, err := behaviourtest.Run(ctx, m, sftp(behaviour.FlagAppend), []byte("line 2\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get("log"); string(got) != "line 1\nline 2\n" {
		t.Fatalf("after append: %q", got)
	}
	if _, err := behaviourtest.Run(ctx, m, sftp(behaviour.FlagTruncate), []byte("x")); err != nil {
		t.Fatal(err)
	}
	m.Delete("log")
	if _, err := behaviourtest.Run(ctx, m, sftp(behaviour.FlagTruncate), []byte("x")); !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("SFTP upload without FlagCreate to a missing file: %v, want not found", err)
	}
}

// Two uploads that may not replace a file race for one name: the second
// commit finds the first one's file and fails, leaving it intact.
func TestMemoryCreateOnlyCommitRace(t *testing.T) {
	m, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteCreate})
	first := openFor(t, m, behaviour.Write, "r1-confg")
	second := openFor(t, m, behaviour.Write, "r1-confg")
	if err := m.Write(first, []byte("first"), true); err != nil {
		t.Fatal(err)
	}
	if err := m.Write(second, []byte("second"), true); !errors.Is(err, behaviour.ErrFileExists) {
		t.Fatalf("second commit: %v, want file exists", err)
	}
	if got, _ := m.Get("r1-confg"); string(got) != "first" {
		t.Fatalf("file = %q", got)
	}
}

func TestMemoryNameConflicts(t *testing.T) {
	ctx := context.Background()
	m := handlers.NewMemory()
	m.Put("a", []byte("file"))
	m.Put("d/x", []byte("under d"))
	if err := behaviourtest.Write(ctx, m, "a/b", []byte("x")); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("upload under a file: %v, want not found (not a directory)", err)
	}
	if err := behaviourtest.Write(ctx, m, "d", []byte("x")); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("upload over a directory: %v, want access violation", err)
	}
	// A directory that appears while an upload runs is caught at the commit.
	tr := openFor(t, m, behaviour.Write, "e")
	m.Put("e/inner", []byte("x"))
	if err := m.Write(tr, []byte("x"), true); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("commit over a directory created meanwhile: %v", err)
	}
}

func TestMemoryCaps(t *testing.T) {
	ctx := context.Background()
	m, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteAny, MaxFileSize: 100, MaxTotal: 150})

	announced, err := behaviourtest.NewTransfer(behaviour.Write, "big", behaviourtest.Suggest(behaviour.Option{Name: "tsize", Value: "0"}))
	if err != nil {
		t.Fatal(err)
	}
	announced.Options.Set(behaviour.OptTSize, "101")
	announced.SetSize(101) // as the TFTP engine does
	if err := m.Open(ctx, announced); !errors.Is(err, behaviour.ErrDiskFull) {
		t.Fatalf("Open with tsize over MaxFileSize: %v, want disk full", err)
	}

	tr := openFor(t, m, behaviour.Write, "grows")
	if err := m.Write(tr, make([]byte, 100), false); err != nil {
		t.Fatal(err)
	}
	if err := m.Write(tr, []byte{1}, false); !errors.Is(err, behaviour.ErrDiskFull) {
		t.Fatalf("Write past MaxFileSize: %v, want disk full", err)
	}
	m.Abort(tr, err) // the engine's ending; the upload was already discarded

	// MaxTotal counts uploads in progress: two of 80 bytes do not fit in 150.
	a := openFor(t, m, behaviour.Write, "a")
	b := openFor(t, m, behaviour.Write, "b")
	if err := m.Write(a, make([]byte, 80), false); err != nil {
		t.Fatal(err)
	}
	if err := m.Write(b, make([]byte, 80), false); !errors.Is(err, behaviour.ErrDiskFull) {
		t.Fatalf("second upload past MaxTotal: %v, want disk full", err)
	}
	if err := m.Write(a, nil, true); err != nil {
		t.Fatal(err)
	}
	// Replacing a file frees its old size at the commit; Put is never refused.
	if err := behaviourtest.Write(ctx, m, "a", make([]byte, 60)); err != nil {
		t.Fatalf("replacing 80 bytes with 60 in a store of 80: %v", err)
	}
	m.Put("trusted", make([]byte, 500))
	if err := behaviourtest.Write(ctx, m, "c", []byte{1}); !errors.Is(err, behaviour.ErrDiskFull) {
		t.Fatalf("upload to a store over its limit: %v", err)
	}
	m.Delete("trusted")
	if err := behaviourtest.Write(ctx, m, "c", []byte{1}); err != nil {
		t.Fatalf("upload after Delete freed the space: %v", err)
	}
}

func TestMemoryNoLimits(t *testing.T) {
	m, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteAny, MaxFileSize: -1, MaxTotal: -1})
	tr := openFor(t, m, behaviour.Write, "f")
	announced := handlers.DefaultMemoryMaxFile + 1
	w, _ := behaviour.WriterAt(m, tr)
	if _, err := w.WriteAt([]byte{1}, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := m.Write(tr, nil, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get("f"); len(got) != 1<<20+1 {
		t.Fatalf("size %d", len(got))
	}
	tr2, _ := behaviourtest.NewTransfer(behaviour.Write, "g")
	tr2.SetSize(announced)
	if err := m.Open(context.Background(), tr2); err != nil {
		t.Fatalf("announced size over the default with no limit: %v", err)
	}
	m.Abort(tr2, nil)
}

func TestMemoryWriteAt(t *testing.T) {
	m, _ := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteAny, MaxFileSize: 1 << 10})
	tr := openFor(t, m, behaviour.Write, "sparse")
	w, ok := behaviour.WriterAt(m, tr)
	if !ok {
		t.Fatal("no io.WriterAt on an upload")
	}
	if n, err := w.WriteAt([]byte("end"), 7); n != 3 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	if _, err := w.WriteAt([]byte("go"), 0); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{-1, 1 << 10, 1 << 62, 1<<63 - 2} {
		if _, err := w.WriteAt([]byte("xx"), off); err == nil {
			t.Errorf("WriteAt at %d succeeded", off)
		}
	}
	if err := m.Write(tr, nil, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get("sparse"); string(got) != "go\x00\x00\x00\x00\x00end" {
		t.Fatalf("file = %q", got)
	}
	if _, err := w.WriteAt([]byte("late"), 0); err == nil {
		t.Fatal("WriteAt after the commit succeeded")
	}
	if got, _ := m.Get("sparse"); string(got) != "go\x00\x00\x00\x00\x00end" {
		t.Fatalf("a late WriteAt changed the committed file: %q", got)
	}
}

func TestMemoryWrongAccess(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("f", []byte("x"))
	rd := openFor(t, m, behaviour.Read, "f")
	if err := m.Write(rd, []byte("x"), true); !errors.Is(err, behaviour.ErrIllegalOperation) {
		t.Errorf("Write on a read: %v", err)
	}
	wr := openFor(t, m, behaviour.Write, "g")
	if _, err := m.Read(wr, make([]byte, 1)); !errors.Is(err, behaviour.ErrIllegalOperation) {
		t.Errorf("Read on a write: %v", err)
	}
	m.Abort(wr, nil)
	if err := m.Open(context.Background(), &behaviour.Transfer{Name: "f"}); !errors.Is(err, behaviour.ErrIllegalOperation) {
		t.Errorf("Open without an access: %v", err)
	}
	if err := m.Open(context.Background(), &behaviour.Transfer{Access: behaviour.Write, Name: "../f"}); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("upload to an uncleaned name: %v", err)
	}
}

// Uploads, downloads and Puts from Go run at once; every download must see
// one whole version, never a mix. Run it under -race.
func TestMemoryConcurrent(t *testing.T) {
	ctx := context.Background()
	m := handlers.NewMemory()
	versions := make([][]byte, 8)
	for i := range versions {
		versions[i] = bytes.Repeat([]byte{byte('a' + i)}, 3000+i)
	}
	m.Put("shared", versions[0])
	const workers, rounds = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, 3*workers*rounds)
	for w := range workers {
		wg.Go(func() { // Puts from Go
			for r := range rounds {
				m.Put("shared", versions[(w+r)%len(versions)])
			}
		})
		wg.Go(func() { // downloads
			for range rounds {
				got, err := behaviourtest.Read(ctx, m, "shared", behaviourtest.ChunkSize(512))
				if err == nil && !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, got) }) {
					err = fmt.Errorf("download of %d bytes is no whole version", len(got))
				}
				errs <- err
			}
		})
		wg.Go(func() { // uploads, to their own names and to the shared one
			for r := range rounds {
				name := fmt.Sprintf("up/%d/%d", w, r)
				if r%5 == 0 {
					name = "shared"
				}
				errs <- behaviourtest.Write(ctx, m, name, versions[r%len(versions)], behaviourtest.ChunkSize(700))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := m.Len(); n != 1+workers*(rounds-rounds/5) {
		t.Errorf("Len = %d after the uploads", n)
	}
}

// openTransfer opens a transfer of name as an engine would, failing the
// test when Open fails.
func openFor(t *testing.T, h behaviour.Handler, access behaviour.Access, name string) *behaviour.Transfer {
	t.Helper()
	tr, err := behaviourtest.NewTransfer(access, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatalf("Open %s %q: %v", access, name, err)
	}
	return tr
}

// drain reads an open transfer to its end through h.Read, as an engine
// would.
func drain(h behaviour.Handler, tr *behaviour.Transfer) ([]byte, error) {
	var out []byte
	buf := make([]byte, 7)
	for range 1 << 20 {
		n, err := h.Read(tr, buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
	return out, errors.New("Read never returned io.EOF")
}
