package interop

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// clientCase is one client with the options it asks for.
type clientCase struct {
	name   string
	client peers.ClientKind
	req    peers.Request
	// block is the block size the transfer runs with, to place the file
	// sizes on the block boundaries.
	block int
	// notEmpty leaves out the empty file, for the reason it holds.
	notEmpty string
}

// clientCases are the client configurations the interop matrix runs.
var clientCases = []clientCase{
	{"curl", peers.Curl, peers.Request{}, 512, ""},
	{"curl-blksize-1468", peers.Curl, peers.Request{BlockSize: 1468}, 1468, ""},
	{"curl-blksize-65464", peers.Curl, peers.Request{BlockSize: 65464}, 65464, ""},
	{"curl-no-options", peers.Curl, peers.Request{NoOptions: true}, 512, ""},
	{"tftp-hpa", peers.TFTPHPA, peers.Request{}, 512, ""},
	{"atftp-blksize-1468-tsize", peers.ATFTP, peers.Request{BlockSize: 1468, TSize: true}, 1468, ""},
	{"atftp-windowsize-16", peers.ATFTP, peers.Request{BlockSize: 1468, WindowSize: 16, TSize: true}, 1468, ""},
	{"busybox", peers.Busybox, peers.Request{}, 512, ""},
	{"busybox-blksize-1468", peers.Busybox, peers.Request{BlockSize: 1468}, 1468, ""},
	{"erlang-file", peers.ErlangFile, peers.Request{BlockSize: 1468}, 1468, ""},
	{"erlang-file-tsize", peers.ErlangFile, peers.Request{BlockSize: 1468, TSize: true}, 1468,
		"Erlang's file client fails whenever a server declines tsize (post_verify_options, " +
			"also against tftpd-hpa -r tsize), and the daemon declines tsize 0 for an empty " +
			"file because curl 7.88 refuses it (exit 71): the two peers cannot both be served"},
	{"erlang-binary", peers.ErlangBinary, peers.Request{BlockSize: 1468, TSize: true}, 1468, ""},
	{"erlang-file-default", peers.ErlangFile, peers.Request{}, 512, ""},
	{"pin", peers.PinClient, peers.Request{}, 512, ""},
	{"pin-blksize-1468-tsize", peers.PinClient, peers.Request{BlockSize: 1468, TSize: true}, 1468, ""},
	{"node-windowsize-4", peers.NodeClient, peers.Request{WindowSize: 4}, 1468, ""},
	{"node-windowsize-64", peers.NodeClient, peers.Request{WindowSize: 64}, 1468, ""},
}

// window is the windowsize the case must run with: what it asks for (the
// daemons of these tests grant up to 64), or node's default of 4.
func (c clientCase) window() int {
	if c.req.WindowSize == 0 && c.client == peers.NodeClient {
		return 4
	}
	return c.req.WindowSize
}

// sizes returns the file sizes each case transfers: empty, exactly one
// block, one byte past it, and 5 MiB.
func (c clientCase) sizes() []int {
	if c.notEmpty != "" {
		return []int{c.block, c.block + 1, 5 << 20}
	}
	return []int{0, c.block, c.block + 1, 5 << 20}
}

// TestDownload fetches files of every boundary size from the daemon with
// every client configuration and checks them by sha256.
func TestDownload(t *testing.T) {
	t.Parallel() // the upload checks wait for late hooks: overlap them
	s := serveDir(t, handlers.DirConfig{}, maxWindow(64))
	var want expectations
	t.Run("clients", func(t *testing.T) { downloadAll(t, s, &want) })
	want.check(t, s)
}

func downloadAll(t *testing.T, s served, want *expectations) {
	for _, c := range clientCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, n := range c.sizes() {
				name := fmt.Sprintf("down-%s-%d.bin", c.name, n)
				_, sum := peers.RandomFile(t, s.root, name, n)
				r := c.req
				r.Server, r.Remote, r.Local = s.addr(), name, filepath.Join(t.TempDir(), name)
				res := peers.Get(t, c.client, r)
				if res.Err != nil {
					t.Errorf("%d bytes: %v\n%s", n, res.Err, res.Output)
					continue
				}
				if got := peers.SHA256File(r.Local); got != sum {
					t.Errorf("%d bytes: sha256 %s, want %s", n, got, sum)
				}
				want.add(name, c.block, c.window())
			}
		})
	}
}

// TestUpload sends files of every boundary size to the daemon with every
// client configuration and checks what the directory holds by sha256.
func TestUpload(t *testing.T) {
	t.Parallel() // the upload checks wait for late hooks: overlap them
	s := serveDir(t, handlers.DirConfig{Write: handlers.WriteAny}, maxWindow(64))
	var want expectations
	t.Run("clients", func(t *testing.T) { uploadAll(t, s, &want) })
	want.check(t, s)
}

func uploadAll(t *testing.T, s served, want *expectations) {
	for _, c := range clientCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, n := range c.sizes() {
				name := fmt.Sprintf("up-%s-%d.bin", c.name, n)
				local, sum := peers.RandomFile(t, t.TempDir(), name, n)
				r := c.req
				r.Server, r.Remote, r.Local = s.addr(), name, local
				res := peers.Put(t, c.client, r)
				if res.Err != nil {
					t.Errorf("%d bytes: %v\n%s", n, res.Err, res.Output)
					continue
				}
				if got := waitSHA256(s.path(name), sum); got != sum {
					t.Errorf("%d bytes: stored sha256 %s, want %s", n, got, sum)
				}
				want.add(name, c.block, c.window())
			}
		})
	}
}
