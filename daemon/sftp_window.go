package daemon

import "sync"

// sftpChunk is the unit of the read-ahead window: the most one handler Read
// is asked for.
const sftpChunk = 256 << 10

// sftpMinWindow is the smallest ReadAhead: a few chunks beyond the largest
// READ a client may send.
const sftpMinWindow = 4 * sftpChunk

var sftpChunks = sync.Pool{New: func() any { return new([sftpChunk]byte) }}

// sftpWindow holds the bytes [base, end) of a file read sequentially, in
// chunks of sftpChunk bytes, all full but the last, so that the handler
// reads into the window and READ requests copy out of it, each byte copied
// once each way. It keeps at most limit bytes (plus one chunk): the oldest
// chunks go first, never one holding bytes still wanted. Its chunks are
// taken from the server's budget; when that is spent, the window keeps
// only what the READ being served needs.
type sftpWindow struct {
	chunks [][]byte
	base   int64
	end    int64
	limit  int64
	budget *sshBudget
}

// tail returns the free space after end, allocating a chunk when the last
// one is full. keep is the first byte still wanted, should the budget
// force the window to shrink.
func (w *sftpWindow) tail(keep int64) ([]byte, error) {
	if n := len(w.chunks); n > 0 {
		if last := w.chunks[n-1]; len(last) < cap(last) {
			return last[len(last):cap(last)], nil
		}
	}
	if !w.budget.take(sftpChunk) {
		w.shrink(keep)
		if !w.budget.take(sftpChunk) {
			return nil, errSFTPBusy
		}
	}
	w.chunks = append(w.chunks, sftpChunks.Get().(*[sftpChunk]byte)[:0])
	return w.chunks[len(w.chunks)-1][:sftpChunk], nil
}

// grew records n bytes read into the slice tail returned.
func (w *sftpWindow) grew(n int) {
	last := &w.chunks[len(w.chunks)-1]
	*last = (*last)[:len(*last)+n]
	w.end += int64(n)
}

// trim drops the oldest chunks while the window is over its limit and they
// end at or before keep.
func (w *sftpWindow) trim(keep int64) {
	for len(w.chunks) > 1 && w.end-w.base > w.limit && w.base+int64(len(w.chunks[0])) <= keep {
		w.drop()
	}
}

// shrink drops every chunk that ends at or before keep.
func (w *sftpWindow) shrink(keep int64) {
	for len(w.chunks) > 1 && w.base+int64(len(w.chunks[0])) <= keep {
		w.drop()
	}
}

func (w *sftpWindow) drop() {
	w.base += int64(len(w.chunks[0]))
	w.put(w.chunks[0])
	w.chunks[0] = nil
	w.chunks = w.chunks[1:]
}

// copyOut copies the bytes from off (base <= off) into p and returns
// their number.
func (w *sftpWindow) copyOut(p []byte, off int64) int {
	rel := off - w.base
	i, inner := int(rel/sftpChunk), int(rel%sftpChunk)
	n := 0
	for n < len(p) && i < len(w.chunks) {
		if inner < len(w.chunks[i]) {
			n += copy(p[n:], w.chunks[i][inner:])
		}
		i, inner = i+1, 0
	}
	return n
}

// release returns every chunk to the pool.
func (w *sftpWindow) release() {
	for _, c := range w.chunks {
		w.put(c)
	}
	w.chunks = nil
}

func (w *sftpWindow) put(c []byte) {
	w.budget.give(sftpChunk)
	sftpChunks.Put((*[sftpChunk]byte)(c[:sftpChunk]))
}
