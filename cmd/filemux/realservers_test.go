package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/filemux/filemux/internal/peers"
)

// cliSetups are the flags the command uses with each real server (see the
// client's interop test for why atftpd gets a larger small block).
var cliSetups = map[peers.ServerKind]struct{ blksize, windowsize, rolloverBlock int }{
	peers.TFTPDHPA:     {1468, 0, 8},
	peers.ATFTPD:       {1468, 16, 48},
	peers.Dnsmasq:      {1468, 0, 8},
	peers.ErlangServer: {1468, 0, 8},
	peers.NodeServer:   {1468, 16, 8},
	peers.PinServer:    {1468, 0, 8},
}

// TestCommandRealServers moves random files both ways between the built
// command and every real TFTP server, checking sha256 and exit statuses,
// and checks the status of a missing file.
func TestCommandRealServers(t *testing.T) {
	for _, k := range peers.ServerKinds {
		t.Run(k.String(), func(t *testing.T) {
			t.Parallel()
			root, work := peers.ServedDir(t), t.TempDir()
			srv := peers.Serve(t, k, peers.ServerConfig{Root: root, Writable: k.Writable(), WindowSize: 16})
			setup := cliSetups[k]
			type file struct{ size, blk int }
			files := []file{{0, setup.blksize}, {setup.blksize, setup.blksize}, {setup.blksize + 1, setup.blksize}, {5 << 20, setup.blksize}}
			if !testing.Short() {
				b := setup.rolloverBlock
				files = append(files, file{65536*b + b + 1, b})
			}
			for _, f := range files {
				size, blk := f.size, f.blk
				flags := []string{"--quiet", "--tsize", "--blksize", strconv.Itoa(blk)}
				if setup.windowsize > 0 {
					flags = append(flags, "--windowsize", strconv.Itoa(setup.windowsize))
				}
				name := fmt.Sprintf("f%d.bin", size)
				_, sum := peers.RandomFile(t, root, name, size)
				filemux(t, work, nil, append(append([]string{"get"}, flags...), srv.URL(name))...).expect(t, statusOK)
				if got := peers.SHA256File(filepath.Join(work, name)); got != sum {
					t.Fatalf("get %s: sha256 %s, want %s", name, got, sum)
				}
				if !k.Writable() {
					continue
				}
				filemux(t, work, nil, append(append([]string{"put"}, flags...), name, srv.URL("up-"+name))...).expect(t, statusOK)
				if got := waitSHA256(filepath.Join(root, "up-"+name), sum); got != sum {
					t.Fatalf("put %s: sha256 %s, want %s", name, got, sum)
				}
			}
			filemux(t, work, nil, "get", "--timeout", "500ms", srv.URL("missing.bin"), "x").expect(t, statusNotFound)
		})
	}
}

// waitSHA256 waits briefly for an upload to show its full content: some
// servers finish writing after the client has its last ACK.
func waitSHA256(path, want string) string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := peers.SHA256File(path)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}
