package daemon

import (
	"bytes"
	"io"
	"sync"
)

// sftpWriter takes the WRITE requests of one open file. pkg/sftp calls
// WriteAt from several goroutines at once and out of order. A handler with
// random access gets them as WriteAt calls; any other gets the contiguous
// data from offset 0 as sequential Write calls, the rest waiting in a
// reorder buffer bounded by ReorderLimit. CLOSE commits with the final
// Write.
type sftpWriter struct {
	*sftpFile
	wa io.WriterAt // nil: sequential, through the reorder buffer

	mu      sync.Mutex
	next    int64 // offset of the next byte the handler's Write takes
	pending map[int64][]byte
	held    int   // bytes in pending
	err     error // the first error, which fails every later WRITE
}

// newSFTPWriter writes f through the reorder buffer; Filewrite sets wa for
// a handler with random access.
func newSFTPWriter(f *sftpFile) *sftpWriter {
	return &sftpWriter{sftpFile: f, pending: make(map[int64][]byte)}
}

// WriteAt takes one WRITE.
func (w *sftpWriter) WriteAt(p []byte, off int64) (n int, err error) {
	defer w.ss.contain("sftp write", &err)
	if off < 0 {
		return 0, sftpErr(errSFTPBadOffset)
	}
	if w.wa != nil {
		err = w.randomWriteAt(p, off)
	} else {
		err = w.orderedWriteAt(p, off)
	}
	if err != nil {
		return 0, sftpErr(err)
	}
	w.reach(off + int64(len(p)))
	return len(p), nil
}

func (w *sftpWriter) randomWriteAt(p []byte, off int64) error {
	err := w.x.writeAt(w.wa, p, off)
	if err != nil {
		w.mu.Lock()
		w.err = sshFirstErr(w.err, err)
		w.mu.Unlock()
	}
	return err
}

func (w *sftpWriter) orderedWriteAt(p []byte, off int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = w.place(p, off)
	}
	return w.err
}

// place hands p to the handler when it is next, or holds it.
func (w *sftpWriter) place(p []byte, off int64) error {
	end := off + int64(len(p))
	switch {
	case len(p) == 0:
		return nil
	case off < w.next:
		return errSFTPOverlap
	case off == w.next:
		if err := w.x.write(p, false); err != nil {
			return err
		}
		w.next = end
		return w.drain()
	case w.x.c.srv.cfg.maxSize > 0 && end > w.x.c.srv.cfg.maxSize:
		return errSSHTooLarge
	case w.held+len(p) > w.x.c.srv.cfg.reorder:
		return errSFTPReorderFull
	case w.pending[off] != nil:
		return errSFTPOverlap
	case !w.x.c.srv.budget.take(int64(len(p))):
		return errSFTPBusy
	}
	w.pending[off] = bytes.Clone(p)
	w.held += len(p)
	return nil
}

// drain passes on the held data that has become contiguous.
func (w *sftpWriter) drain() error {
	for {
		p, ok := w.pending[w.next]
		if !ok {
			return nil
		}
		delete(w.pending, w.next)
		w.held -= len(p)
		w.x.c.srv.budget.give(int64(len(p)))
		if err := w.x.write(p, false); err != nil {
			return err
		}
		w.next += int64(len(p))
	}
}

// Close is SFTP CLOSE, the commit; or pkg/sftp ending the file after the
// connection was lost (TransferError came first), an abort.
func (w *sftpWriter) Close() (err error) {
	defer w.ss.contain("sftp close", &err)
	if !w.closing() {
		return nil
	}
	w.mu.Lock()
	cause := sftpCause(w.err, w.lostCause())
	if cause == nil && len(w.pending) > 0 {
		cause = errSFTPGap
	}
	w.x.c.srv.budget.give(int64(w.held))
	w.pending, w.held = nil, 0
	w.mu.Unlock()
	if cause == nil {
		cause = w.x.write(nil, true)
	}
	w.x.finish(cause)
	return sftpErr(cause)
}
