package client_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
)

// transferCase is a client configuration and the file sizes to move with it.
type transferCase struct {
	name  string
	setup func(c *client.TFTP)
	sizes []int
}

// transferCases cover the edges of block cutting: empty, one block, one
// block plus a byte, a large file with big windows, and one block past the
// 65535-block rollover at the smallest block size.
func transferCases() []transferCase {
	return []transferCase{
		{"rfc1350", func(c *client.TFTP) {}, []int{0, 512, 513, 70000}},
		{"blksize1468-window16-tsize", func(c *client.TFTP) { c.BlockSize, c.WindowSize, c.TSize = 1468, 16, true },
			[]int{0, 1468, 1469, 5 << 20}},
		{"blksize8-window64-rollover", func(c *client.TFTP) { c.BlockSize, c.WindowSize = 8, 64 }, []int{8, 9, 65536*8 + 1}},
	}
}

// TestOwnDaemonBothWays moves every size both ways with each configuration
// through our own daemon (windowsize up to 64), checking sha256.
func TestOwnDaemonBothWays(t *testing.T) {
	root, _, base := dirServer(t, func(d *daemon.TFTP) { d.MaxWindowSize = 64 })
	local := t.TempDir()
	for _, tc := range transferCases() {
		for _, size := range tc.sizes {
			t.Run(fmt.Sprintf("%s/%d", tc.name, size), func(t *testing.T) {
				c := *base
				tc.setup(&c)
				data := randomBytes(size)
				name := fmt.Sprintf("%s-%d", tc.name, size)
				writeFile(t, root, name, data)
				down := filepath.Join(local, name)
				res, err := c.ReadFile(context.Background(), name, down)
				if err != nil {
					t.Fatal(err)
				}
				if got := fileSHA(t, down); got != sha(data) || res.Bytes != int64(size) {
					t.Fatalf("download: sha %s, %d bytes; want %s, %d", got, res.Bytes, sha(data), size)
				}
				up := name + ".up"
				if res, err = c.WriteFile(context.Background(), up, down); err != nil {
					t.Fatal(err)
				}
				if got := fileSHA(t, filepath.Join(root, up)); got != sha(data) || res.Bytes != int64(size) {
					t.Fatalf("upload: sha %s, %d bytes; want %s, %d", got, res.Bytes, sha(data), size)
				}
			})
		}
	}
}

// TestNegotiatedOptions: what the server accepted reaches the Result.
func TestNegotiatedOptions(t *testing.T) {
	root, _, c := dirServer(t, func(d *daemon.TFTP) { d.MaxBlockSize, d.MaxWindowSize = 1024, 8 })
	writeFile(t, root, "f", randomBytes(5000))
	c.BlockSize, c.WindowSize, c.TSize, c.Timeout = 1468, 32, true, 2e9
	_, res, err := c.ReadBytes(context.Background(), "f")
	if err != nil {
		t.Fatal(err)
	}
	if res.BlockSize != 1024 || res.WindowSize != 8 || res.Size != 5000 || res.Timeout != 2e9 {
		t.Fatalf("negotiated %+v; want blksize 1024 (capped), window 8 (capped), size 5000, timeout 2s", res)
	}
	for _, name := range []string{"blksize", "windowsize", "tsize", "timeout"} {
		if !res.Options.Has(name) {
			t.Errorf("Result.Options %q lacks %s", res.Options.String(), name)
		}
	}
}

// TestMissingFile: the server's "file not found" comes back with its code
// as a field, and nothing is created locally.
func TestMissingFile(t *testing.T) {
	_, srv, c := dirServer(t)
	path := filepath.Join(t.TempDir(), "out")
	_, err := c.ReadFile(context.Background(), "nope", path)
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != behaviour.CodeNotFound {
		t.Fatalf("err = %v, want the server's not found", err)
	}
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Remote != "nope" || ce.Server != srv.Addr().String() || ce.Op != "read" {
		t.Fatalf("err = %#v, want a *client.Error naming the file and the server", err)
	}
	assertAbsent(t, path)
}

// TestRefusedWrite: a read-only server's access violation.
func TestRefusedWrite(t *testing.T) {
	_, _, c := dirServerWith(t, handlers.WriteNone)
	_, err := c.WriteBytes(context.Background(), "x", []byte("data"))
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != behaviour.CodeAccessViolation {
		t.Fatalf("err = %v, want the server's access violation", err)
	}
	if !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("errors.Is(err, behaviour.ErrAccessViolation) is false")
	}
}

// TestReadFileReplacesAtomically: a download replaces an existing file
// only when complete, keeping its permission; a failed one leaves it alone.
func TestReadFileReplacesAtomically(t *testing.T) {
	root, _, c := dirServer(t)
	data := randomBytes(3000)
	writeFile(t, root, "f", data)
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadFile(context.Background(), "missing", path); err == nil {
		t.Fatal("download of a missing file succeeded")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("a failed download changed the target to %q", b)
	}
	if _, err := c.ReadFile(context.Background(), "f", path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fileSHA(t, path) != sha(data) {
		t.Fatalf("replaced file: %v, mode %v", err, fi.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("download left %d entries, want only the file", len(entries))
	}
	// With Fsync the file is flushed before the rename; the outcome is the same.
	data = randomBytes(5000)
	writeFile(t, root, "f", data)
	c.Fsync = true
	if _, err := c.ReadFile(context.Background(), "f", path); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, path) != sha(data) {
		t.Fatal("a download with Fsync did not replace the file")
	}
}

// TestReadFileBadTarget fails before asking the server.
func TestReadFileBadTarget(t *testing.T) {
	h := newHooks()
	root, _, c := dirServer(t, h.option())
	writeFile(t, root, "f", []byte("x"))
	for _, path := range []string{filepath.Join(t.TempDir(), "no", "dir", "f"), t.TempDir()} {
		if _, err := c.ReadFile(context.Background(), "f", path); err == nil {
			t.Errorf("download into %s succeeded", path)
		}
	}
	select {
	case s := <-h.requests:
		t.Errorf("the server saw a transfer: %+v", s)
	default:
	}
}
