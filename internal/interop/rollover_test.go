package interop

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// rolloverCases are the clients that can ask for a block size small enough
// to pass block number 65535 quickly.
var rolloverCases = []clientCase{
	{"curl-blksize-8", peers.Curl, peers.Request{BlockSize: 8}, 8, ""},
	{"atftp-blksize-8-windowsize-16", peers.ATFTP, peers.Request{BlockSize: 8, WindowSize: 16}, 8, ""},
	{"busybox-blksize-64", peers.Busybox, peers.Request{BlockSize: 64}, 64, ""},
	{"erlang-binary-blksize-16", peers.ErlangBinary, peers.Request{BlockSize: 16}, 16, ""},
	{"node-blksize-16-windowsize-64", peers.NodeClient, peers.Request{BlockSize: 16, WindowSize: 64}, 16, ""},
}

// rolloverName is short because busybox builds its request in a buffer of
// the block size it asks for.
func rolloverName(prefix string, i int) string { return fmt.Sprintf("%s%d", prefix, i) }

// rolloverSize is one byte past 65536 full blocks: block numbers run
// 1..65535, wrap to 0, and the transfer ends with block 1 holding one byte.
func rolloverSize(block int) int { return 65536*block + 1 }

// TestRolloverDownload fetches a file one block past the block-number wrap.
func TestRolloverDownload(t *testing.T) {
	t.Parallel() // the upload checks wait for late hooks: overlap them
	s := serveDir(t, handlers.DirConfig{}, maxWindow(64))
	var want expectations
	t.Run("clients", func(t *testing.T) { rolloverDownloads(t, s, &want) })
	want.check(t, s)
}

func rolloverDownloads(t *testing.T, s served, want *expectations) {
	for i, c := range rolloverCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n := rolloverSize(c.block)
			name := rolloverName("d", i)
			_, sum := peers.RandomFile(t, s.root, name, n)
			r := c.req
			r.Server, r.Remote, r.Local = s.addr(), name, filepath.Join(t.TempDir(), name)
			if res := peers.Get(t, c.client, r); res.Err != nil {
				t.Fatalf("%d bytes: %v\n%s", n, res.Err, res.Output)
			}
			if got := peers.SHA256File(r.Local); got != sum {
				t.Fatalf("%d bytes: sha256 %s, want %s", n, got, sum)
			}
			want.add(name, c.block, c.window())
		})
	}
}

// TestRolloverUpload sends a file one block past the block-number wrap.
func TestRolloverUpload(t *testing.T) {
	t.Parallel() // the upload checks wait for late hooks: overlap them
	s := serveDir(t, handlers.DirConfig{Write: handlers.WriteAny}, maxWindow(64))
	var want expectations
	t.Run("clients", func(t *testing.T) { rolloverUploads(t, s, &want) })
	want.check(t, s)
}

func rolloverUploads(t *testing.T, s served, want *expectations) {
	for i, c := range rolloverCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n := rolloverSize(c.block)
			name := rolloverName("u", i)
			local, sum := peers.RandomFile(t, t.TempDir(), name, n)
			r := c.req
			r.Server, r.Remote, r.Local = s.addr(), name, local
			if res := peers.Put(t, c.client, r); res.Err != nil {
				t.Fatalf("%d bytes: %v\n%s", n, res.Err, res.Output)
			}
			if got := waitSHA256(s.path(name), sum); got != sum {
				t.Fatalf("%d bytes: stored sha256 %s, want %s", n, got, sum)
			}
			want.add(name, c.block, c.window())
		})
	}
}
