package interop

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// memoryCases run one configuration per client against the in-memory
// store.
var memoryCases = []clientCase{
	{"curl-blksize-1468", peers.Curl, peers.Request{BlockSize: 1468}, 1468, ""},
	{"tftp-hpa", peers.TFTPHPA, peers.Request{}, 512, ""},
	{"atftp-windowsize-16", peers.ATFTP, peers.Request{BlockSize: 1468, WindowSize: 16, TSize: true}, 1468, ""},
	{"busybox", peers.Busybox, peers.Request{BlockSize: 1468}, 1468, ""},
	{"erlang-binary", peers.ErlangBinary, peers.Request{TSize: true}, 512, ""},
	{"pin", peers.PinClient, peers.Request{TSize: true}, 512, ""},
	{"node-windowsize-64", peers.NodeClient, peers.Request{WindowSize: 64}, 1468, ""},
}

// TestMemoryRoundTrip uploads a file into handlers.Memory with each client,
// checks what the store holds from Go, and downloads it back.
func TestMemoryRoundTrip(t *testing.T) {
	mem := handlers.NewMemory()
	srv := serveHandler(t, mem, maxWindow(64))
	for _, c := range memoryCases {
		t.Run(c.name, func(t *testing.T) {
			name := fmt.Sprintf("mem/%s.bin", c.name)
			up, sum := peers.RandomFile(t, t.TempDir(), "up.bin", 100_000)
			r := c.req
			r.Server, r.Remote, r.Local = srv.Addr(), name, up
			if res := peers.Put(t, c.client, r); res.Err != nil {
				t.Fatalf("upload: %v\n%s", res.Err, res.Output)
			}
			if got := waitMemory(mem, name); peers.SHA256(got) != sum {
				t.Fatalf("the store holds %d bytes with sha256 %s, want %s", len(got), peers.SHA256(got), sum)
			}
			r.Local = filepath.Join(t.TempDir(), "down.bin")
			if res := peers.Get(t, c.client, r); res.Err != nil {
				t.Fatalf("download: %v\n%s", res.Err, res.Output)
			}
			if got := peers.SHA256File(r.Local); got != sum {
				t.Fatalf("download sha256 %s, want %s", got, sum)
			}
		})
	}
}

// waitMemory returns the file name once the store holds it: the daemon
// commits an upload a moment after the client's last ACK.
func waitMemory(mem *handlers.Memory, name string) []byte {
	var b []byte
	waitFor(func() bool {
		var ok bool
		b, ok = mem.Get(name)
		return ok
	})
	return b
}

// TestWindowClamp: a client asking a windowsize above the daemon's default
// cap of 16 gets 16 in the OACK, and the transfer runs with it.
func TestWindowClamp(t *testing.T) {
	s := serveDir(t, handlers.DirConfig{})
	_, sum := peers.RandomFile(t, s.root, "clamp.bin", 1<<20)
	for _, c := range []peers.ClientKind{peers.ATFTP, peers.NodeClient} {
		t.Run(c.String(), func(t *testing.T) {
			r := peers.Request{Server: s.addr(), Remote: "clamp.bin", Local: filepath.Join(t.TempDir(), "x"),
				BlockSize: 1468, WindowSize: 64}
			if res := peers.Get(t, c, r); res.Err != nil {
				t.Fatalf("%v\n%s", res.Err, res.Output)
			}
			if got := peers.SHA256File(r.Local); got != sum {
				t.Fatalf("sha256 %s, want %s", got, sum)
			}
			s.checkNegotiated(t, "clamp.bin", 1468, 16)
			s.stats.forget("clamp.bin")
		})
	}
}
