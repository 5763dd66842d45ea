package daemon

import (
	"errors"
	"io"
	"sync"
)

// sftpReader serves the READ requests of one open file. pkg/sftp calls
// ReadAt from several goroutines at once and out of order. A handler with
// random access is read with ReadAt; any other through a window indexed by
// offset, filled by the handler's sequential Read under the lock, so that
// every READ gets a full buffer except at the end of the file, backward
// offsets within the window are served again, and no answer is (0, nil).
type sftpReader struct {
	*sftpFile
	ra io.ReaderAt // nil: sequential, through win

	mu    sync.Mutex
	win   sftpWindow
	eof   bool  // the handler's Read returned io.EOF at win.end
	err   error // the handler's first error
	eofAt int64 // random access: where a ReadAt met the end, or -1
}

// newSFTPReader reads f through the window; Fileread sets ra for a
// handler with random access.
func newSFTPReader(f *sftpFile) *sftpReader {
	r := &sftpReader{sftpFile: f, eofAt: -1}
	r.win.limit = int64(f.ss.c.srv.cfg.readAhead)
	r.win.budget = f.ss.c.srv.budget
	return r
}

// ReadAt serves one READ.
func (r *sftpReader) ReadAt(p []byte, off int64) (n int, err error) {
	defer r.ss.contain("sftp read", &err)
	if off < 0 {
		return 0, sftpErr(errSFTPBadOffset)
	}
	if r.ra != nil {
		n, err = r.randomReadAt(p, off)
	} else {
		n, err = r.windowReadAt(p, off)
	}
	r.reach(off + int64(n))
	return n, sftpErr(err)
}

func (r *sftpReader) randomReadAt(p []byte, off int64) (int, error) {
	n, err := r.x.readAt(r.ra, p, off)
	switch {
	case errors.Is(err, io.EOF):
		r.mu.Lock()
		if r.eofAt < 0 || off+int64(n) < r.eofAt {
			r.eofAt = off + int64(n)
		}
		r.mu.Unlock()
		return n, io.EOF
	case err != nil:
		r.fail(err)
		return 0, err
	}
	return n, nil
}

func (r *sftpReader) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

func (r *sftpReader) windowReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.err != nil:
		return 0, r.err
	case off < r.win.base:
		return 0, errSFTPTooFarBack
	}
	if err := r.fill(off, off+int64(len(p))); err != nil {
		r.err = err
		return 0, err
	}
	if off >= r.win.end {
		return 0, io.EOF
	}
	n := r.win.copyOut(p, off)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// fill reads from the handler until the window reaches need or the file
// ends, dropping old bytes before off as the window's limit asks.
func (r *sftpReader) fill(off, need int64) error {
	for !r.eof && r.win.end < need {
		r.win.trim(off)
		buf, err := r.win.tail(off)
		if err != nil {
			return err
		}
		n, err := r.x.read(buf)
		r.win.grew(n)
		if errors.Is(err, io.EOF) {
			r.eof = true
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// delivered reports whether the client has read every byte of the file.
func (r *sftpReader) delivered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	high := r.high.Load()
	if r.ra == nil {
		return r.eof && high >= r.win.end
	}
	if size, ok := r.x.t.Size(); ok && high >= size {
		return true
	}
	return r.eofAt >= 0 && high >= r.eofAt
}

// Close is SFTP CLOSE, or pkg/sftp ending the file after the connection
// was lost (TransferError came first). A read whose every byte reached the
// client succeeded; any other is aborted, unless the handler already had
// its ending (a sequential source at its end), which is then only reported
// as failed.
func (r *sftpReader) Close() (err error) {
	defer r.ss.contain("sftp close", &err)
	if !r.closing() {
		return nil
	}
	defer r.release()
	delivered := r.delivered()
	r.mu.Lock()
	cause := sshFirstErr(sftpCause(r.err, r.lostCause()), errSSHClosedEarly)
	eof := r.eof
	r.mu.Unlock()
	switch {
	case delivered && r.ra != nil:
		err = r.x.endRead()
		r.x.finish(err)
		return sftpErr(err)
	case delivered:
		r.x.finish(nil)
	case eof:
		r.x.finish(sshFirstErr(r.lostCause(), errSSHNotDelivered))
	default:
		r.x.finish(cause)
	}
	return nil
}

func (r *sftpReader) release() {
	r.mu.Lock()
	r.win.release()
	r.mu.Unlock()
}
