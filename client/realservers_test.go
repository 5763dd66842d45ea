package client_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/internal/peers"
)

// peerSetup is how the client talks to one real server: the options it
// supports (asking for the others is allowed, the server just declines).
type peerSetup struct {
	blockSize, windowSize int
	// rolloverBlock is the small block size of the file one block past the
	// wrap of block numbers 65535 -> 0.
	rolloverBlock int
}

var peerSetups = map[peers.ServerKind]peerSetup{
	peers.TFTPDHPA: {blockSize: 1468, rolloverBlock: 8},
	// atftpd refuses (ERROR 8) options whose OACK would not fit in the
	// requested block: "tsize=N blksize=8 windowsize=16" needs 40 bytes.
	peers.ATFTPD:       {blockSize: 1468, windowSize: 16, rolloverBlock: 48},
	peers.Dnsmasq:      {blockSize: 1468, rolloverBlock: 8},
	peers.ErlangServer: {blockSize: 1468, rolloverBlock: 8},
	peers.NodeServer:   {blockSize: 1468, windowSize: 16, rolloverBlock: 8},
	peers.PinServer:    {blockSize: 1468, rolloverBlock: 8},
}

// peerFile is one file to move and the client settings to move it with.
type peerFile struct {
	size                  int
	blockSize, windowSize int
}

// peerFiles are the sizes of the issue: empty, one block, one block plus a
// byte, 5 MiB, and one block past the rollover at a small block size (with
// the server's window, when it has one, to keep it quick).
func peerFiles(s peerSetup) []peerFile {
	files := []peerFile{
		{0, s.blockSize, s.windowSize},
		{s.blockSize, s.blockSize, s.windowSize},
		{s.blockSize + 1, s.blockSize, s.windowSize},
		{5 << 20, s.blockSize, s.windowSize},
	}
	if !testing.Short() {
		b := s.rolloverBlock
		files = append(files, peerFile{65536*b + b + 1, b, s.windowSize})
	}
	return files
}

// TestRealServers moves random files both ways between the client and
// every real TFTP server on this machine, checking sha256.
func TestRealServers(t *testing.T) {
	for _, k := range peers.ServerKinds {
		t.Run(k.String(), func(t *testing.T) {
			t.Parallel()
			root := peers.ServedDir(t)
			srv := peers.Serve(t, k, peers.ServerConfig{Root: root, Writable: k.Writable(), WindowSize: 16})
			for _, f := range peerFiles(peerSetups[k]) {
				c := &client.TFTP{Addr: srv.Addr.String(), BlockSize: f.blockSize, WindowSize: f.windowSize, TSize: true}
				name := fmt.Sprintf("b%d-w%d-%d.bin", f.blockSize, f.windowSize, f.size)
				_, sum := peers.RandomFile(t, root, name, f.size)
				local := filepath.Join(t.TempDir(), name)
				if _, err := c.ReadFile(context.Background(), name, local); err != nil {
					t.Fatalf("download %s: %v", name, err)
				}
				if got := peers.SHA256File(local); got != sum {
					t.Fatalf("download %s: sha256 %s, want %s", name, got, sum)
				}
				if !k.Writable() {
					continue
				}
				if _, err := c.WriteFile(context.Background(), "up-"+name, local); err != nil {
					t.Fatalf("upload %s: %v", name, err)
				}
				if got := waitSHA256(filepath.Join(root, "up-"+name), sum); got != sum {
					t.Fatalf("upload %s: sha256 %s, want %s", name, got, sum)
				}
			}
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

// TestRealServersMissingFile: every server's "not found" comes back as a
// *ServerError, nothing is left locally, and the server keeps serving.
func TestRealServersMissingFile(t *testing.T) {
	for _, k := range peers.ServerKinds {
		t.Run(k.String(), func(t *testing.T) {
			t.Parallel()
			root := peers.ServedDir(t)
			srv := peers.Serve(t, k, peers.ServerConfig{Root: root})
			c := &client.TFTP{Addr: srv.Addr.String(), BlockSize: 1024, TSize: true, Timeout: 500 * time.Millisecond, Retries: 2}
			local := filepath.Join(t.TempDir(), "x")
			_, err := c.ReadFile(context.Background(), "not-there.bin", local)
			var se *client.ServerError
			if !errors.As(err, &se) || se.Code != behaviour.CodeNotFound {
				t.Fatalf("err = %v, want the server's file not found", err)
			}
			assertAbsent(t, local)
			_, sum := peers.RandomFile(t, root, "there.bin", 3000)
			if _, err := c.ReadFile(context.Background(), "there.bin", local); err != nil || peers.SHA256File(local) != sum {
				t.Fatalf("after the error: %v", err)
			}
		})
	}
}

// TestRealServersRefuseWrite: a server that does not accept the upload
// answers with an ERROR whose code and message the caller gets.
func TestRealServersRefuseWrite(t *testing.T) {
	for _, k := range []peers.ServerKind{peers.TFTPDHPA, peers.Dnsmasq, peers.ErlangServer, peers.NodeServer} {
		t.Run(k.String(), func(t *testing.T) {
			t.Parallel()
			srv := peers.Serve(t, k, peers.ServerConfig{Root: peers.ServedDir(t)})
			c := &client.TFTP{Addr: srv.Addr.String(), Timeout: 500 * time.Millisecond, Retries: 2}
			_, err := c.WriteBytes(context.Background(), "new.bin", []byte("refused"))
			var se *client.ServerError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want the server's ERROR", err)
			}
			t.Logf("%v answered: %v", k, se)
		})
	}
}

// TestServerGone: a server killed in the middle of a download makes a
// timeout error, and nothing is left at the local path.
func TestServerGone(t *testing.T) {
	root := peers.ServedDir(t)
	srv := peers.Serve(t, peers.TFTPDHPA, peers.ServerConfig{Root: root})
	peers.RandomFile(t, root, "big.bin", 2<<20)
	killed := false
	c := &client.TFTP{Addr: srv.Addr.String(), Timeout: 200 * time.Millisecond, Retries: 2,
		Progress: func(p client.Progress) {
			if p.Bytes > 100000 && !killed {
				killed = true
				if err := srv.Close(); err != nil {
					t.Errorf("stopping the server: %v", err)
				}
			}
		}}
	local := filepath.Join(t.TempDir(), "big.bin")
	_, err := c.ReadFile(context.Background(), "big.bin", local)
	if !errors.Is(err, client.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	assertAbsent(t, local)
	if _, err := os.Stat(local); err == nil {
		t.Fatal("the local file exists")
	}
}
