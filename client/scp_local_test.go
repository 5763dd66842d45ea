package client_test

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
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// The local side of an SCP transfer is the handler a registry picks by the
// LOCAL name, against our server and OpenSSH's.
func TestSCPHandlerOwnServer(t *testing.T) {
	root, _, c := scpServer(t, false)
	scpHandlerChecks(t, c, root, func(name string) string { return name })
}

func TestSCPHandlerOpenSSH(t *testing.T) {
	c := startSSHDForSCP(t)
	dir := t.TempDir()
	scpHandlerChecks(t, c, dir, func(name string) string { return filepath.Join(dir, name) })
}

// scpHandlerChecks runs the local-handler checks with c against a server
// whose file name is root/name at the remote path remote(name).
func scpHandlerChecks(t *testing.T, c *client.SCP, root string, remote func(string) string) {
	data := randomBytes(300000)
	writeFile(t, root, "remote.bin", data)
	t.Run("registry", func(t *testing.T) { scpViaRegistry(t, c, root, remote, data) })
	t.Run("sources", func(t *testing.T) { scpUploadSources(t, c, root, remote, data) })
	t.Run("open fails", func(t *testing.T) { scpOpenFails(t, c, root, remote) })
	t.Run("write fails", func(t *testing.T) { scpWriteFails(t, c, remote) })
	t.Run("wrong size", func(t *testing.T) { scpWrongSize(t, c, root, remote) })
}

func scpViaRegistry(t *testing.T, c *client.SCP, root string, remote func(string) string, data []byte) {
	configs, other := &recorder{Memory: handlers.NewMemory()}, handlers.NewMemory()
	peers := &peerRecorder{recorder: configs}
	var reg registry.Registry
	reg.MustRegister(`configs/.*`, peers)
	reg.MustRegister(`.*`, other)
	res, err := c.ReadHandler(context.Background(), remote("remote.bin"), "configs/r1.cfg", &reg)
	if err != nil || res.Bytes != int64(len(data)) || res.Protocol != behaviour.SCP {
		t.Fatalf("ReadHandler = %+v, %v", res, err)
	}
	assertRegistryDownload(t, peers, other, c.Addr, data)
	if _, err := c.WriteHandler(context.Background(), remote("back.bin"), "configs/r1.cfg", &reg); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, filepath.Join(root, "back.bin")) != sha(data) {
		t.Fatal("the upload from the registry differs")
	}
	_, err = c.WriteHandler(context.Background(), remote("x.bin"), "nothing/here", &reg)
	if assertClass(t, err, client.ErrOther); !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("upload of a missing local name: %v, want behaviour.ErrNotFound", err)
	}
	assertNoFile(t, filepath.Join(root, "x.bin"))
	_, err = c.ReadHandler(context.Background(), remote("remote.bin"), "../escape", &reg)
	assertClass(t, err, client.ErrOther)
}

// An upload from behaviour.Bytes goes as it is read; one from a reader of
// unknown size is spooled first.
func scpUploadSources(t *testing.T, c *client.SCP, root string, remote func(string) string, data []byte) {
	if _, err := c.WriteHandler(context.Background(), remote("bytes.bin"), "local", behaviour.Bytes(data)); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, filepath.Join(root, "bytes.bin")) != sha(data) {
		t.Fatal("the upload from behaviour.Bytes differs")
	}
	pipe := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return struct{ io.Reader }{bytes.NewReader(data)}, nil
	})
	var total int64 = -2
	spooled := *c
	spooled.Progress = func(p client.Progress) { total = p.Total }
	if _, err := spooled.WriteHandler(context.Background(), remote("pipe.bin"), "local", pipe); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, filepath.Join(root, "pipe.bin")) != sha(data) || total != int64(len(data)) {
		t.Fatalf("the spooled upload differs, or Progress saw the total %d", total)
	}
	spooled.SpoolLimit = 1000
	_, err := spooled.WriteHandler(context.Background(), remote("big.bin"), "local", pipe)
	if !errors.Is(err, client.ErrTooLarge) {
		t.Fatalf("spool beyond SpoolLimit: %v, want ErrTooLarge", err)
	}
	assertNoFile(t, filepath.Join(root, "big.bin"))
}

// A local side that fails in Open leaves the remote file as it was.
func scpOpenFails(t *testing.T, c *client.SCP, root string, remote func(string) string) {
	writeFile(t, root, "keep.bin", []byte("keep"))
	src := &source{data: []byte("new"), size: 3, openErr: behaviour.ErrAccessViolation}
	_, err := c.WriteHandler(context.Background(), remote("keep.bin"), "local", src)
	if !errors.Is(err, behaviour.ErrAccessViolation) || src.aborts != 0 {
		t.Fatalf("err %v, %d aborts; want the Open error and none", err, src.aborts)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "keep.bin")); string(b) != "keep" {
		t.Fatalf("the remote file is %q after a local Open failed", b)
	}
}

// A local Write that fails aborts the download exactly once and commits
// nothing.
func scpWriteFails(t *testing.T, c *client.SCP, remote func(string) string) {
	w := &failingWrites{recorder: recorder{Memory: handlers.NewMemory()}}
	_, err := c.ReadHandler(context.Background(), remote("remote.bin"), "local", w)
	if !errors.Is(err, behaviour.ErrDiskFull) || w.aborts != 1 || w.abortErr == nil || w.Len() != 0 {
		t.Fatalf("err %v; Abort called %d times (with %v), %d files committed; want 1 and 0", err, w.aborts, w.abortErr, w.Len())
	}
	if strings.Count(err.Error(), "local side") != 1 {
		t.Errorf("the error says local side other than once: %v", err)
	}
}

// A handler holding more or fewer bytes than the size it set fails the
// upload; one holding more is aborted once, one holding fewer had its
// ending (io.EOF) and is not.
func scpWrongSize(t *testing.T, c *client.SCP, root string, remote func(string) string) {
	for size, aborts := range map[int64]int{5: 1, 20: 0} {
		src := &source{data: bytes.Repeat([]byte("x"), 10), size: size}
		_, err := c.WriteHandler(context.Background(), remote("wrong.bin"), "local", src)
		if assertClass(t, err, client.ErrOther); src.aborts != aborts {
			t.Fatalf("size %d of 10 bytes: err %v, %d aborts, want %d", size, err, src.aborts, aborts)
		}
		if strings.Count(err.Error(), "local side") != 1 {
			t.Errorf("the error says local side other than once: %v", err)
		}
	}
}

// assertNoFile fails unless nothing is at path, whatever else is beside it.
func assertNoFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s: %v, want it absent", path, err)
	}
}

// source is an upload handler that sets size in Open, whatever data holds,
// or fails Open with openErr; it counts its aborts.
type source struct {
	behaviour.Base
	data    []byte
	size    int64
	openErr error
	r       *bytes.Reader
	aborts  int
}

func (s *source) Open(_ context.Context, t *behaviour.Transfer) error {
	t.SetSize(s.size)
	s.r = bytes.NewReader(s.data)
	return s.openErr
}

func (s *source) Read(_ *behaviour.Transfer, p []byte) (int, error) { return s.r.Read(p) }

func (s *source) Abort(*behaviour.Transfer, error) { s.aborts++ }

// failingWrites fails every Write but the commit.
type failingWrites struct{ recorder }

func (f *failingWrites) Write(t *behaviour.Transfer, p []byte, last bool) error {
	if !last {
		return behaviour.NewError(behaviour.CodeDiskFull, "disk full")
	}
	return f.recorder.Write(t, p, last)
}
