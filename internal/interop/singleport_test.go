package interop

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// TestSinglePortUnprovenClients: in single-port mode real clients outside
// TrustedNetworks download whole files although the daemon grants them no
// windowsize and caps blksize at 1468 (they fall back to lock-step), and
// clients inside it get the windows and blocks they ask for.
func TestSinglePortUnprovenClients(t *testing.T) {
	cases := []clientCase{
		{"curl-blksize-65464", peers.Curl, peers.Request{BlockSize: 65464}, 65464, ""},
		{"atftp-windowsize-16", peers.ATFTP, peers.Request{BlockSize: 1468, WindowSize: 16}, 1468, ""},
		{"node-windowsize-64", peers.NodeClient, peers.Request{WindowSize: 64}, 1468, ""},
	}
	for _, trusted := range []bool{false, true} {
		opt := func(d *daemon.TFTP) {
			d.Ports = daemon.PortsSingle
			d.MaxWindowSize = 64
			if trusted {
				d.TrustedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
			}
		}
		s := serveDir(t, handlers.DirConfig{}, opt)
		_, sum := peers.RandomFile(t, s.root, "boot.bin", 1<<20)
		for _, c := range cases {
			t.Run(map[bool]string{false: "unproven/", true: "trusted/"}[trusted]+c.name, func(t *testing.T) {
				local := filepath.Join(t.TempDir(), "got.bin")
				s.stats.forget("boot.bin")
				r := c.req
				r.Server, r.Remote, r.Local, r.Timeout = s.addr(), "boot.bin", local, 30*time.Second
				if res := peers.Get(t, c.client, r); res.Err != nil {
					t.Fatalf("download: %v\n%s", res.Err, res.Output)
				}
				if got := peers.SHA256File(local); got != sum {
					t.Fatalf("sha256 %s, want %s", got, sum)
				}
				block, window := min(c.block, 1468), 0
				if trusted {
					block, window = c.block, c.window()
				}
				st, ok := s.stats.get("boot.bin")
				if !ok {
					t.Fatal("no success reported")
				}
				gotBlock, _ := st.Accepted.Int("blksize")
				gotWindow, _ := st.Accepted.Int("windowsize")
				if gotBlock != int64(block) || gotWindow != int64(window) {
					t.Errorf("accepted %s, want blksize %d and windowsize %d (0: none)", st.Accepted.String(), block, window)
				}
			})
		}
	}
}
