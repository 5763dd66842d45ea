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
	start  int64    // offset of the first piece
	end    int64    // the end of the bytes fetched
	pieces [][]byte // the bytes from start to end, s3Piece each but the last
	served int64    // the end of the furthest read served
	want   int64    // the end of the furthest read waiting
	err    error    // why fetching stopped: io.EOF at the end
	closed bool
}

// pendingRead is a read that outside a window: when the next one starts
// where it ended, the reads are in sequence and the window moves there.
type pendingRead struct{ end int64 }

func newReadWindow(r *s3Reader, off int64) *readWindow {
	ctx, cancel := context.WithCancel(r.ctx)
	w := &readWindow{r: r, ahead: r.h.readAhead, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		start: off, end: off, served: off, want: off}
	w.cond = sync.NewCond(&w.mu)
	go w.fetch(off)
	return w
}

// serves reports whether a read at off belongs to the window: in what it
// holds, or no further than ahead past what it fetched.
func (w *readWindow) serves(off int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.closed && (w.err == nil || w.err == io.EOF) && off >= w.start && off <= w.end+w.ahead
}

func (w *readWindow) fetch(off int64) {
	defer close(w.done)
	body, err := w.r.getContext(w.ctx, off, w.r.size)
	if err != nil {
		w.stop(err)
		return
	}
	defer body.Close()
	for w.wait() {
		piece := make([]byte, s3Piece)
		n, err := io.ReadFull(body, piece)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		w.mu.Lock()
		if n > 0 {
			w.pieces = append(w.pieces, piece[:n])
			w.end += int64(n)
		}
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
	for !w.closed && w.end >= max(w.served+w.ahead, w.want) {
		w.cond.Wait()
	}
	return !w.closed
}

// trim drops the pieces that lie wholly more than ahead behind the
// furthest read.
func (w *readWindow) trim() {
	for len(w.pieces) > 1 && w.start+int64(len(w.pieces[0])) <= w.served-w.ahead {
		w.start += int64(len(w.pieces[0]))
		w.pieces[0] = nil
		w.pieces = w.pieces[1:]
	}
}

// copyAt copies the bytes at off, which the window holds, into p.
func (w *readWindow) copyAt(p []byte, off int64) int {
	i := int((off - w.start) / s3Piece) // every piece but the last is full
	at := int((off - w.start) % s3Piece)
	n := 0
	for n < len(p) && i < len(w.pieces) {
		n += copy(p[n:], w.pieces[i][at:])
		i, at = i+1, 0
	}
	return n
}

func (w *readWindow) stop(err error) {
	w.mu.Lock()
	if w.end < w.r.size && err == io.EOF {
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
		switch {
		case w.closed || off < w.start:
			return 0, errWindowMoved
		case w.end >= need:
			n := w.copyAt(p, off)
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
