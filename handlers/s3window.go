package handlers

import (
	"context"
	"errors"
	"io"
	"sync"
)

// errWindowMoved tells a ReadAt that the window it waited on no longer
// holds its bytes, so that it reads them with a GET of its own.
var errWindowMoved = errors.New("handlers: s3: read-ahead window moved")

// s3Piece is how much the read-ahead reads from its GET at a time.
const s3Piece = 64 << 10

// readWindow is the read-ahead of a random-access read: one GET, from the
// offset of the first read to the end of the object, read into memory
// ahead of the reads while they come in sequence. SFTP clients keep
// several reads outstanding, a little out of order, so the window keeps
// ahead bytes behind the furthest read too.
type readWindow struct {
	r      *s3Reader
	ahead  int64
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	cond   *sync.Cond
	start  int64  // offset of buf[0]
	buf    []byte // the bytes fetched from start on
	served int64  // the end of the furthest read served
	want   int64  // the end of the furthest read waiting
	err    error  // why fetching stopped: io.EOF at the end
	closed bool
}

// pendingRead is a read that outside a window: when the next one starts
// where it ended, the reads are in sequence and the window moves there.
type pendingRead struct{ end int64 }

func newReadWindow(r *s3Reader, off int64) *readWindow {
	ctx, cancel := context.WithCancel(r.ctx)
	w := &readWindow{r: r, ahead: r.h.readAhead, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		start: off, served: off, want: off}
	w.cond = sync.NewCond(&w.mu)
	go w.fetch(off)
	return w
}

// serves reports whether a read at off belongs to the window: in what it
// holds, or no further than ahead past what it fetched.
func (w *readWindow) serves(off int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	end := w.start + int64(len(w.buf))
	return !w.closed && (w.err == nil || w.err == io.EOF) && off >= w.start && off <= end+w.ahead
}

func (w *readWindow) fetch(off int64) {
	defer close(w.done)
	body, err := w.r.getContext(w.ctx, off, w.r.size)
	if err != nil {
		w.stop(err)
		return
	}
	defer body.Close()
	piece := make([]byte, s3Piece)
	for w.wait() {
		n, err := body.Read(piece)
		w.mu.Lock()
		w.buf = append(w.buf, piece[:n]...)
		w.trim()
		w.mu.Unlock()
		w.cond.Broadcast()
		if err != nil {
			w.stop(err)
			return
		}
	}
}

// wait blocks while the window is far enough ahead of the reads; it
// returns false once the window is closed.
func (w *readWindow) wait() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for !w.closed && w.start+int64(len(w.buf)) >= max(w.served+w.ahead, w.want) {
		w.cond.Wait()
	}
	return !w.closed
}

// trim drops what lies more than ahead behind the furthest read.
func (w *readWindow) trim() {
	drop := w.served - w.ahead - w.start
	if drop < 1<<20 || drop > int64(len(w.buf)) {
		return
	}
	w.buf = append([]byte(nil), w.buf[drop:]...)
	w.start += drop
}

func (w *readWindow) stop(err error) {
	w.mu.Lock()
	if w.start+int64(len(w.buf)) < w.r.size && err == io.EOF {
		err = errStoreShort
	}
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.cond.Broadcast()
}

// readAt copies len(p) bytes at off once fetched; errWindowMoved when the
// window cannot give them.
func (w *readWindow) readAt(p []byte, off int64) (int, error) {
	need := off + int64(len(p))
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want = max(w.want, need)
	w.cond.Broadcast()
	for {
		end := w.start + int64(len(w.buf))
		switch {
		case w.closed || off < w.start:
			return 0, errWindowMoved
		case end >= need:
			n := copy(p, w.buf[off-w.start:])
			w.served = max(w.served, need)
			w.cond.Broadcast()
			return n, nil
		case w.err != nil && w.err != io.EOF:
			return 0, storeError(w.ctx, w.err)
		case w.err != nil:
			return 0, errWindowMoved
		}
		w.cond.Wait()
	}
}

// close stops the window's GET and waits for it to end.
func (w *readWindow) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cond.Broadcast()
	w.cancel()
	<-w.done
}
