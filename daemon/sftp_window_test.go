package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/pkg/sftp"
)

// sftpTestFile opens a transfer of h on a connection of a server that
// runs nothing, as the SFTP session would.
func sftpTestFile(t *testing.T, h behaviour.Handler, access behaviour.Access, cfg sshSettings) *sftpFile {
	t.Helper()
	cfg.log = slog.New(slog.DiscardHandler)
	cfg.readAhead = max(cfg.readAhead, DefaultSSHReadAhead)
	cfg.reorder = max(cfg.reorder, DefaultSSHReorderLimit)
	if cfg.maxBuffered == 0 {
		cfg.maxBuffered = DefaultSSHMaxBuffered
	}
	cfg.maxHandles = 8
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	srv := newSSHServer(&cfg, sftpNoListener{})
	c := newSSHConn(srv, a)
	c.handler = h
	ss := &sftpSession{c: c, open: make(map[string][]*sftpFile)}
	req := sftp.NewRequest("Get", "/file")
	if access == behaviour.Write {
		req = sftp.NewRequest("Put", "/file")
	}
	f, err := ss.openFile(req, access)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sftpNoListener is the listener of a server that accepts nothing.
type sftpNoListener struct{ net.Listener }

func (sftpNoListener) Addr() net.Addr { return &net.TCPAddr{} }

// sftpPattern is the content of test files: byte i is byte(i*7+i/251).
func sftpPattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// sftpDribble is a sequential source that returns at most chunk bytes per
// Read, with no size and no random access.
type sftpDribble struct {
	behaviour.Base
	data  []byte
	chunk int
}

func (d *sftpDribble) Open(_ context.Context, t *behaviour.Transfer) error {
	t.State = struct{ io.Reader }{bytes.NewReader(d.data)} // no io.ReaderAt
	return nil
}

func (d *sftpDribble) Read(t *behaviour.Transfer, p []byte) (int, error) {
	return t.State.(io.Reader).Read(p[:min(len(p), d.chunk)])
}

// READ requests arriving out of order from 8 goroutines, with backward
// re-requests, get full buffers of the right bytes, then EOF.
func TestSFTPWindowOutOfOrder(t *testing.T) {
	const size = 3<<20 + 12345
	data := sftpPattern(size)
	f := sftpTestFile(t, &sftpDribble{data: data, chunk: 1000}, behaviour.Read, sshSettings{})
	r := newSFTPReader(f) // without ra: through the window
	const req = 32 << 10
	var offsets []int64
	for off := int64(0); off < size+3*req; off += req {
		offsets = append(offsets, off)
	}
	// Shuffle within groups of 64, as a client with 64 requests in flight
	// and 8 workers would, and repeat some requests backwards.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(offsets); i += 64 {
		g := offsets[i:min(i+64, len(offsets))]
		rng.Shuffle(len(g), func(a, b int) { g[a], g[b] = g[b], g[a] })
	}
	jobs := make(chan int64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, req)
			for off := range jobs {
				if msg := sftpCheckRead(r, buf, off, data); msg != "" {
					mu.Lock()
					failures = append(failures, msg)
					mu.Unlock()
				}
			}
		}()
	}
	for i, off := range offsets {
		jobs <- off
		if i%10 == 9 {
			jobs <- off - 5*req // a backward re-request
		}
	}
	close(jobs)
	wg.Wait()
	for _, msg := range failures[:min(len(failures), 5)] {
		t.Error(msg)
	}
	if !r.delivered() {
		t.Errorf("every byte was read, but the reader does not know")
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// sftpCheckRead reads at off and describes what is wrong with the answer.
func sftpCheckRead(r *sftpReader, buf []byte, off int64, data []byte) string {
	off = max(off, 0)
	n, err := r.ReadAt(buf, off)
	switch want := min(len(buf), max(len(data)-int(off), 0)); {
	case n != want:
		return fmt.Sprintf("read at %d: %d bytes, want %d (%v)", off, n, want, err)
	case n < len(buf) && !errors.Is(err, io.EOF):
		return fmt.Sprintf("a read short of the end at %d returned %v", off, err)
	case n == len(buf) && err != nil:
		return fmt.Sprintf("a full read at %d returned %v", off, err)
	case n > 0 && !bytes.Equal(buf[:n], data[off:off+int64(n)]):
		return fmt.Sprintf("wrong bytes at %d", off)
	}
	return ""
}

// A request further back than the window is refused, not answered with
// wrong bytes, and the file stays readable forwards.
func TestSFTPWindowTooFarBack(t *testing.T) {
	data := sftpPattern(12 << 20)
	f := sftpTestFile(t, &sftpDribble{data: data, chunk: 64 << 10}, behaviour.Read, sshSettings{readAhead: 2 << 20})
	r := newSFTPReader(f)
	r.win.limit = 2 << 20
	buf := make([]byte, 32<<10)
	if msg := sftpCheckRead(r, buf, 10<<20, data); msg != "" {
		t.Fatal(msg)
	}
	if _, err := r.ReadAt(buf, 0); sftpCode(err) != sftp.ErrSSHFxOpUnsupported {
		t.Errorf("read far behind the window: %v, want OP_UNSUPPORTED", err)
	}
	if msg := sftpCheckRead(r, buf, 10<<20-1<<20, data); msg != "" {
		t.Errorf("within the window: %s", msg)
	}
	if len(r.win.chunks)*sftpChunk > 2<<20+2*sftpChunk {
		t.Errorf("the window holds %d chunks for a limit of 2 MiB", len(r.win.chunks))
	}
	_ = r.Close()
}

func sftpCode(err error) error {
	var st *sftpStatus
	if errors.As(err, &st) {
		return st.code
	}
	return err
}

// sftpRecorder takes uploads sequentially and records the order.
type sftpRecorder struct {
	behaviour.Base
	mu     sync.Mutex
	got    bytes.Buffer
	commit bool
	abort  error
}

func (s *sftpRecorder) Write(_ *behaviour.Transfer, p []byte, last bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got.Write(p)
	s.commit = last
	return nil
}

func (s *sftpRecorder) Abort(_ *behaviour.Transfer, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abort = err
}

// WRITE requests arriving out of order reach the handler in order.
func TestSFTPReorderOutOfOrder(t *testing.T) {
	data := sftpPattern(2<<20 + 77)
	rec := &sftpRecorder{}
	f := sftpTestFile(t, rec, behaviour.Write, sshSettings{})
	w := newSFTPWriter(f)
	const req = 32 << 10
	var offsets []int
	for off := 0; off < len(data); off += req {
		offsets = append(offsets, off)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < len(offsets); i += 64 {
		g := offsets[i:min(i+64, len(offsets))]
		rng.Shuffle(len(g), func(a, b int) { g[a], g[b] = g[b], g[a] })
	}
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for off := range jobs {
				if _, err := w.WriteAt(data[off:min(off+req, len(data))], int64(off)); err != nil {
					t.Errorf("write at %d: %v", off, err)
				}
			}
		}()
	}
	for _, off := range offsets {
		jobs <- off
	}
	close(jobs)
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if !rec.commit || !bytes.Equal(rec.got.Bytes(), data) {
		t.Errorf("committed %v, %d bytes in order %v", rec.commit, rec.got.Len(), bytes.Equal(rec.got.Bytes(), data))
	}
}

// A gap at CLOSE, a client running too far ahead and a write behind the
// sequential position each fail the upload, which is aborted.
func TestSFTPReorderFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		writes []int64 // offsets of 1 KiB writes
		limit  int
		fail   bool // some WRITE fails
	}{
		"gap at close":  {writes: []int64{0, 2048}},
		"too far ahead": {writes: []int64{4096, 8192, 16384}, limit: 2048, fail: true},
		"behind":        {writes: []int64{0, 1024, 512}, fail: true},
		"twice":         {writes: []int64{2048, 2048}, fail: true},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &sftpRecorder{}
			f := sftpTestFile(t, rec, behaviour.Write, sshSettings{reorder: tc.limit})
			w := newSFTPWriter(f)
			if tc.limit > 0 {
				f.ss.c.srv.cfg.reorder = tc.limit
			}
			failed := false
			for _, off := range tc.writes {
				if _, err := w.WriteAt(make([]byte, 1024), off); err != nil {
					failed = true
				}
			}
			if failed != tc.fail {
				t.Errorf("a WRITE failed: %v, want %v", failed, tc.fail)
			}
			if err := w.Close(); err == nil {
				t.Errorf("close succeeded")
			}
			if rec.commit || rec.abort == nil {
				t.Errorf("committed %v, aborted with %v", rec.commit, rec.abort)
			}
		})
	}
}

func TestSFTPErrMapping(t *testing.T) {
	for err, want := range map[error]error{
		behaviour.ErrNotFound:                          sftp.ErrSSHFxNoSuchFile,
		behaviour.ErrNotFound.With(errors.New("/x/y")): sftp.ErrSSHFxNoSuchFile,
		behaviour.ErrAccessViolation:                   sftp.ErrSSHFxPermissionDenied,
		behaviour.ErrUnsupported:                       sftp.ErrSSHFxOpUnsupported,
		behaviour.ErrDiskFull:                          sftp.ErrSSHFxFailure,
		errors.New("secret /internal/path"):            sftp.ErrSSHFxFailure,
	} {
		got := sftpErr(err)
		if sftpCode(got) != want {
			t.Errorf("sftpErr(%v) has code %v, want %v", err, sftpCode(got), want)
		}
		if bytes.Contains([]byte(got.Error()), []byte("/")) {
			t.Errorf("sftpErr(%v) shows the client %q", err, got.Error())
		}
	}
	if sftpErr(nil) != nil || sftpErr(io.EOF) != io.EOF {
		t.Errorf("nil and io.EOF must pass unchanged")
	}
}

// With the server's buffer budget spent, a window still serves a
// sequential read with what the READ at hand needs, and a reorder buffer
// refuses to hold more.
func TestSFTPBudget(t *testing.T) {
	data := sftpPattern(4 << 20)
	f := sftpTestFile(t, &sftpDribble{data: data, chunk: 50000}, behaviour.Read, sshSettings{maxBuffered: 2 * sftpChunk})
	r := newSFTPReader(f)
	buf := make([]byte, 32<<10)
	for off := int64(0); off < int64(len(data)); off += int64(len(buf)) {
		if msg := sftpCheckRead(r, buf, off, data); msg != "" {
			t.Fatalf("with a budget of two chunks: %s", msg)
		}
	}
	if left := f.ss.c.srv.budget.left.Load(); left < 0 {
		t.Errorf("the budget went negative: %d", left)
	}
	_ = r.Close()
	if left := f.ss.c.srv.budget.left.Load(); left != 2*sftpChunk {
		t.Errorf("after close the budget holds %d, want %d", left, 2*sftpChunk)
	}

	rec := &sftpRecorder{}
	g := sftpTestFile(t, rec, behaviour.Write, sshSettings{maxBuffered: 1500})
	w := newSFTPWriter(g)
	if _, err := w.WriteAt(make([]byte, 1000), 1000); err != nil {
		t.Fatalf("within the budget: %v", err)
	}
	if _, err := w.WriteAt(make([]byte, 1000), 3000); sftpCode(err) != sftp.ErrSSHFxFailure {
		t.Errorf("over the budget: %v, want FAILURE", err)
	}
	_ = w.Close()
	if left := g.ss.c.srv.budget.left.Load(); left != 1500 {
		t.Errorf("after close the budget holds %d, want 1500", left)
	}
}
