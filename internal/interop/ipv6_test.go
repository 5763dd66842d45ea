package interop

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// TestIPv6 runs the clients that take an IPv6 address against the daemon
// on [::1], both ways.
func TestIPv6(t *testing.T) {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("this machine has no IPv6 loopback: %v", err) // a machine's setup, not a missing peer
	}
	pc.Close()
	s := serveDir(t, handlers.DirConfig{Write: handlers.WriteAny}, maxWindow(64),
		func(d *daemon.TFTP) { d.ListenAddr = "[::1]:0" })
	if !s.addr().Addr().Is6() {
		t.Fatalf("the daemon listens on %v, want [::1]", s.addr())
	}
	_, sum := peers.RandomFile(t, s.root, "v6.bin", 300_000)
	cases := []clientCase{
		{"curl", peers.Curl, peers.Request{BlockSize: 1468}, 1468, ""},
		{"atftp", peers.ATFTP, peers.Request{BlockSize: 1468, WindowSize: 16}, 1468, ""},
		{"pin", peers.PinClient, peers.Request{}, 512, ""},
		{"node", peers.NodeClient, peers.Request{WindowSize: 16}, 1468, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.req
			r.Server, r.Remote, r.Local = s.addr(), "v6.bin", filepath.Join(t.TempDir(), "v6.bin")
			if res := peers.Get(t, c.client, r); res.Err != nil {
				t.Fatalf("download: %v\n%s", res.Err, res.Output)
			}
			if got := peers.SHA256File(r.Local); got != sum {
				t.Fatalf("download sha256 %s, want %s", got, sum)
			}
			up, upSum := peers.RandomFile(t, t.TempDir(), "up.bin", 200_000)
			r.Remote, r.Local = "v6-up-"+c.name+".bin", up
			if res := peers.Put(t, c.client, r); res.Err != nil {
				t.Fatalf("upload: %v\n%s", res.Err, res.Output)
			}
			if got := waitSHA256(s.path(r.Remote), upSum); got != upSum {
				t.Fatalf("upload sha256 %s, want %s", got, upSum)
			}
		})
	}
}
