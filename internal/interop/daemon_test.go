package interop

import (
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

func TestMain(m *testing.M) {
	syscall.Umask(0o022)
	os.Exit(m.Run())
}

// served is a daemon serving a directory, with the statistics of its
// successful transfers.
type served struct {
	srv   *daemontest.TFTPServer
	root  string
	stats *recorder
}

// serveDir starts a daemon serving a fresh directory through handlers.Dir
// with cfg, the daemon configured by opts.
func serveDir(t *testing.T, cfg handlers.DirConfig, opts ...daemontest.Option) served {
	t.Helper()
	root := peers.ServedDir(t)
	dir, err := handlers.NewDir(root, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	rec := &recorder{byName: map[string]daemon.Stats{}}
	opts = append([]daemontest.Option{rec.option}, opts...)
	return served{srv: daemontest.NewTFTP(t, dir, opts...), root: root, stats: rec}
}

// recorder keeps the statistics of the successful transfers by file name.
type recorder struct {
	mu     sync.Mutex
	byName map[string]daemon.Stats
}

func (r *recorder) option(d *daemon.TFTP) {
	d.OnSuccess = func(s daemon.Stats) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.byName[s.Name] = s
	}
}

// forget drops the statistics of name, for a test that transfers it again.
func (r *recorder) forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byName, name)
}

// hookWait bounds the wait for a success hook. An upload's hook runs after
// the daemon's dally of two timeouts, and curl negotiates a timeout of 6 s.
const hookWait = 15 * time.Second

// get returns the statistics of the successful transfer of name, waiting
// for the daemon's hook, which runs after the client has finished.
func (r *recorder) get(name string) (daemon.Stats, bool) {
	deadline := time.Now().Add(hookWait)
	for {
		r.mu.Lock()
		s, ok := r.byName[name]
		r.mu.Unlock()
		if ok || time.Now().After(deadline) {
			return s, ok
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// negotiation is what checkNegotiated expects of one transfer.
type negotiation struct {
	name          string
	block, window int
}

// expectations collects the negotiations a test's transfers must show, to
// check them all at the end: the hooks of uploads come late (see hookWait),
// and waiting for each in turn would make the suite crawl.
type expectations struct {
	mu   sync.Mutex
	list []negotiation
}

func (e *expectations) add(name string, block, window int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, negotiation{name, block, window})
}

// check runs checkNegotiated for every expectation.
func (e *expectations) check(t *testing.T, s served) {
	t.Helper()
	for _, n := range e.list {
		s.checkNegotiated(t, n.name, n.block, n.window)
	}
}

// checkNegotiated checks, from the daemon's side, that the transfer of name
// ran with the block size the case expects and the windowsize the client
// asked for: a client that silently fell back to its defaults would
// otherwise pass without testing what the case names.
func (s served) checkNegotiated(t *testing.T, name string, block, window int) {
	t.Helper()
	st, ok := s.stats.get(name)
	if !ok {
		t.Errorf("%s: the daemon reported no successful transfer", name)
		return
	}
	gotBlock := int64(512)
	if v, ok := st.Accepted.Int("blksize"); ok {
		gotBlock = v
	}
	if gotBlock != int64(block) {
		t.Errorf("%s: blksize %d, want %d (accepted %s)", name, gotBlock, block, st.Accepted.String())
	}
	if window == 0 {
		return
	}
	if v, _ := st.Accepted.Int("windowsize"); v != int64(window) {
		t.Errorf("%s: windowsize %d, want %d (accepted %s)", name, v, window, st.Accepted.String())
	}
}

// serveHandler starts a daemon serving h.
func serveHandler(t *testing.T, h behaviour.Handler, opts ...daemontest.Option) *daemontest.TFTPServer {
	t.Helper()
	return daemontest.NewTFTP(t, h, opts...)
}

// maxWindow lets the daemon accept the windowsize the clients ask for (64
// for node and atftp), rather than its default cap of 16.
func maxWindow(n int) daemontest.Option {
	return func(d *daemon.TFTP) { d.MaxWindowSize = n }
}

func (s served) addr() netip.AddrPort { return s.srv.Addr() }

// path returns the path of a served file.
func (s served) path(name string) string { return filepath.Join(s.root, name) }

// checkStillServes downloads a fresh file with curl and checks it, to prove
// the daemon keeps serving after whatever the test did.
func (s served) checkStillServes(t *testing.T) {
	t.Helper()
	name := "alive-" + time.Now().Format("150405.000000000") + ".bin"
	_, sum := peers.RandomFile(t, s.root, name, 3000)
	local := filepath.Join(t.TempDir(), name)
	res := peers.Get(t, peers.Curl, peers.Request{Server: s.addr(), Remote: name, Local: local, Timeout: 20 * time.Second})
	if res.Err != nil {
		t.Fatalf("the daemon no longer serves: %v", res.Err)
	}
	if got := peers.SHA256File(local); got != sum {
		t.Fatalf("the daemon no longer serves correctly: sha256 %s, want %s", got, sum)
	}
}
