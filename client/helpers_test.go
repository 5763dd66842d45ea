package client_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// randomBytes returns n pseudo-random bytes, the same for the same n.
func randomBytes(n int) []byte {
	r := rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)})
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha(b)
}

// dirServer starts our daemon serving a fresh directory with every upload
// allowed, and returns the directory and a client for it.
func dirServer(t *testing.T, opts ...daemontest.Option) (string, *daemontest.TFTPServer, *client.TFTP) {
	t.Helper()
	return dirServerWith(t, handlers.WriteAny, opts...)
}

func dirServerWith(t *testing.T, policy handlers.WritePolicy, opts ...daemontest.Option) (string, *daemontest.TFTPServer, *client.TFTP) {
	t.Helper()
	root := t.TempDir()
	d, err := handlers.NewDir(root, handlers.DirConfig{Write: policy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	srv := daemontest.NewTFTP(t, d, opts...)
	return root, srv, &client.TFTP{Addr: srv.Addr().String()}
}

func writeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hooks records the daemon's view of requests and finished transfers. (A
// successful upload is reported after the daemon's dally, so tests that only
// need the request read requests.)
type hooks struct {
	requests, done chan daemon.Stats
}

func newHooks() *hooks {
	return &hooks{requests: make(chan daemon.Stats, 16), done: make(chan daemon.Stats, 16)}
}

func (h *hooks) option() daemontest.Option {
	return func(d *daemon.TFTP) {
		d.OnRequest = func(s daemon.Stats) error { h.requests <- s; return nil }
		d.OnSuccess = func(s daemon.Stats) { h.done <- s }
		d.OnFailure = func(s daemon.Stats) { h.done <- s }
	}
}

// request returns the daemon's view of the next request.
func (h *hooks) request(t *testing.T) daemon.Stats {
	t.Helper()
	return receive(t, h.requests)
}

// next returns the daemon's report of the next transfer to end.
func (h *hooks) next(t *testing.T) daemon.Stats {
	t.Helper()
	return receive(t, h.done)
}

func receive(t *testing.T, ch chan daemon.Stats) daemon.Stats {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-t.Context().Done():
	}
	t.Fatal("the daemon reported no transfer")
	return daemon.Stats{}
}

// recorder is a local Handler that records its calls, around Memory.
type recorder struct {
	*handlers.Memory
	prepared, opened behaviour.Options
	size             int64
	sizeKnown        bool
	aborts           int
	abortErr         error
	dropOnPrepare    string
}

func (r *recorder) Prepare(_ context.Context, t *behaviour.Transfer) error {
	if r.dropOnPrepare != "" {
		t.Options.Del(r.dropOnPrepare)
	}
	r.prepared = t.Options.Clone()
	return nil
}

func (r *recorder) Open(ctx context.Context, t *behaviour.Transfer) error {
	r.opened = t.Options.Clone()
	r.size, r.sizeKnown = t.Size()
	return r.Memory.Open(ctx, t)
}

func (r *recorder) Abort(t *behaviour.Transfer, err error) {
	r.aborts++
	r.abortErr = err
	r.Memory.Abort(t, err)
}
