package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// errorClients are the clients the error paths run with; each reports the
// server's code (curl by its exit status) except atftp and node, which
// print only the message, so only the failure itself is checked for them.
var errorClients = []peers.ClientKind{
	peers.Curl, peers.TFTPHPA, peers.ATFTP, peers.Busybox, peers.ErlangFile, peers.PinClient, peers.NodeClient,
}

// reportsCode says whether a client prints the code of the server's ERROR.
func reportsCode(c peers.ClientKind) bool { return c != peers.ATFTP && c != peers.NodeClient }

// curlExit is curl's exit status for a TFTP error code (68 + code - 1).
func curlExit(code int) int { return 67 + code }

// expectError runs one failing transfer and checks the code the client
// saw, that no internal path reached it, and that the daemon still serves.
func expectError(t *testing.T, s served, c peers.ClientKind, res peers.Result, code int) {
	t.Helper()
	if res.Err == nil {
		t.Errorf("%v: the transfer succeeded, want ERROR %d\n%s", c, code, res.Output)
	}
	if reportsCode(c) && res.Code != code {
		t.Errorf("%v: code %d (exit %d), want %d\n%s", c, res.Code, res.Exit, code, res.Output)
	}
	if c == peers.Curl && res.Exit != curlExit(code) {
		t.Errorf("curl: exit %d, want %d", res.Exit, curlExit(code))
	}
	if strings.Contains(res.Output, s.root) {
		t.Errorf("%v: the peer saw an internal path:\n%s", c, res.Output)
	}
	s.checkStillServes(t)
}

func localPath(t *testing.T) string { return filepath.Join(t.TempDir(), "local.bin") }

// TestMissingFile: a missing file is ERROR 1 (curl exit 68).
func TestMissingFile(t *testing.T) {
	s := serveDir(t, handlers.DirConfig{})
	for _, c := range errorClients {
		t.Run(c.String(), func(t *testing.T) {
			res := peers.Get(t, c, peers.Request{Server: s.addr(), Remote: "no-such-file.bin", Local: localPath(t)})
			expectError(t, s, c, res, 1)
		})
	}
}

// traversalNames try to leave the served root; a file waits outside it so
// that an escape would be served rather than fail for another reason.
var traversalNames = []string{
	"../outside.bin",
	"sub/../../outside.bin",
	"..\\outside.bin",
	"sub/..\\..\\outside.bin",
	"./../outside.bin",
}

// TestTraversalRefused: a name that climbs out of the root is ERROR 2
// (curl exit 69), whichever client sends it.
func TestTraversalRefused(t *testing.T) {
	s := serveDir(t, handlers.DirConfig{})
	if err := os.Mkdir(s.path("sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	peers.RandomFile(t, filepath.Dir(s.root), "outside.bin", 100)
	for _, c := range []peers.ClientKind{peers.Curl, peers.TFTPHPA, peers.Busybox, peers.ErlangFile, peers.PinClient} {
		for _, name := range traversalNames {
			t.Run(c.String()+"/"+name, func(t *testing.T) {
				local := localPath(t)
				res := peers.Get(t, c, peers.Request{Server: s.addr(), Remote: name, Local: local})
				expectError(t, s, c, res, 2)
			})
		}
	}
}

// TestTraversalUploadRefused: an upload to a name outside the root is
// ERROR 2 and writes nothing there.
func TestTraversalUploadRefused(t *testing.T) {
	s := serveDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	up, _ := peers.RandomFile(t, t.TempDir(), "up.bin", 2000)
	for _, c := range []peers.ClientKind{peers.Curl, peers.TFTPHPA, peers.Busybox, peers.PinClient} {
		t.Run(c.String(), func(t *testing.T) {
			res := peers.Put(t, c, peers.Request{Server: s.addr(), Remote: "../escaped-" + c.String() + ".bin", Local: up})
			expectError(t, s, c, res, 2)
			if _, err := os.Stat(filepath.Join(filepath.Dir(s.root), "escaped-"+c.String()+".bin")); err == nil {
				t.Fatal("the upload landed outside the root")
			}
		})
	}
}

// TestRefusedWrite: an upload to a read-only directory, or to a daemon that
// refuses writes, is ERROR 2 (curl exit 69) and leaves nothing behind.
func TestRefusedWrite(t *testing.T) {
	setups := map[string]served{
		"read-only-dir": serveDir(t, handlers.DirConfig{}),
		"refuse-writes": serveDir(t, handlers.DirConfig{Write: handlers.WriteAny},
			func(d *daemon.TFTP) { d.RefuseWrites = true }),
	}
	up, _ := peers.RandomFile(t, t.TempDir(), "up.bin", 5000)
	for setup, s := range setups {
		for _, c := range errorClients {
			t.Run(setup+"/"+c.String(), func(t *testing.T) {
				res := peers.Put(t, c, peers.Request{Server: s.addr(), Remote: "refused.bin", Local: up})
				expectError(t, s, c, res, 2)
				assertOnlyAliveFiles(t, s.root)
			})
		}
	}
}

// oversize is the cap the over-size tests set, and the upload exceeds it.
const (
	sizeCap    = 10_000
	oversizeUp = 50_000
)

// TestOversizeUpload: an upload past the size cap is ERROR 3 (curl exit
// 70), whether the client announces its size (tsize, refused before any
// data) or not (refused mid-transfer), with the cap set on the daemon or on
// the directory; nothing is left behind.
func TestOversizeUpload(t *testing.T) {
	setups := map[string]served{
		"daemon-max-size": serveDir(t, handlers.DirConfig{Write: handlers.WriteAny},
			func(d *daemon.TFTP) { d.MaxSize = sizeCap }),
		"dir-max-size": serveDir(t, handlers.DirConfig{Write: handlers.WriteAny, MaxSize: sizeCap}),
	}
	up, _ := peers.RandomFile(t, t.TempDir(), "big.bin", oversizeUp)
	cases := []struct {
		name   string
		client peers.ClientKind
		req    peers.Request
	}{
		{"curl-tsize", peers.Curl, peers.Request{}},
		{"curl-no-tsize", peers.Curl, peers.Request{NoOptions: true}},
		{"tftp-hpa", peers.TFTPHPA, peers.Request{}},
		{"atftp-tsize", peers.ATFTP, peers.Request{TSize: true}},
		{"busybox", peers.Busybox, peers.Request{}},
		{"erlang-tsize", peers.ErlangFile, peers.Request{TSize: true}},
		{"erlang", peers.ErlangFile, peers.Request{}},
		{"pin", peers.PinClient, peers.Request{}},
		{"node", peers.NodeClient, peers.Request{}},
	}
	for setup, s := range setups {
		for _, tc := range cases {
			t.Run(setup+"/"+tc.name, func(t *testing.T) {
				r := tc.req
				r.Server, r.Remote, r.Local = s.addr(), "big-"+tc.name+".bin", up
				r.Timeout = 30 * time.Second
				res := peers.Put(t, tc.client, r)
				expectError(t, s, tc.client, res, 3)
				assertOnlyAliveFiles(t, s.root)
			})
		}
	}
}

// assertOnlyAliveFiles checks that a failed upload left nothing in root:
// only the files checkStillServes puts there may exist. The daemon may
// still be aborting the upload when the client has given up, so it waits
// briefly for the root to be clean.
func assertOnlyAliveFiles(t *testing.T, root string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		left := leftovers(t, root)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a failed upload left %q in the root", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func leftovers(t *testing.T, root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "alive-") {
			left = append(left, e.Name())
		}
	}
	return left
}
