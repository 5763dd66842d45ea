package daemon

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/filemux/filemux/behaviour"
	"github.com/pkg/sftp"
)

// sftpSession is one sftp subsystem: it is every one of pkg/sftp's
// handler interfaces, so that no field of sftp.Handlers is nil.
type sftpSession struct {
	c       *sshConn
	handles atomic.Int32 // open files and directory listings

	mu   sync.Mutex
	open map[string][]*sftpFile // open files by cleaned name, for FSTAT and FSETSTAT
}

var (
	_ sftp.FileReader = (*sftpSession)(nil)
	_ sftp.FileWriter = (*sftpSession)(nil)
	_ sftp.FileCmder  = (*sftpSession)(nil)
	_ sftp.FileLister = (*sftpSession)(nil)
)

// serveSFTP runs the sftp subsystem on rw until the client closes it.
func (c *sshConn) serveSFTP(rw io.ReadWriteCloser) sshExit {
	ss := &sftpSession{c: c, open: make(map[string][]*sftpFile)}
	// The allocator reuses the 32 KiB data buffers of READ and WRITE once
	// their reply is sent, which spares a quarter of the CPU of a transfer
	// (GC). Nothing here keeps them: out-of-order writes are copied, and
	// handlers must not retain p (io.Writer's rule).
	srv := sftp.NewRequestServer(rw, sftp.Handlers{FileGet: ss, FilePut: ss, FileCmd: ss, FileList: ss},
		sftp.WithRSAllocator())
	if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
		c.srv.cfg.log.Debug("sftp session ended", "peer", c.peer, "user", c.user, "err", err)
		return sshExit{status: 1}
	}
	return sshExit{}
}

// contain turns a panic in the server's code for one request into a
// FAILURE for that request.
func (ss *sftpSession) contain(what string, err *error) {
	if r := recover(); r != nil {
		ss.c.recoverPanicValue(what, r)
		*err = sftpErr(behaviour.ErrUndefined)
	}
}

// Fileread opens a file for reading.
func (ss *sftpSession) Fileread(r *sftp.Request) (_ io.ReaderAt, err error) {
	defer ss.contain("sftp open", &err)
	f, err := ss.openFile(r, behaviour.Read)
	if err != nil {
		return nil, sftpErr(err)
	}
	rd := newSFTPReader(f)
	if err := f.x.call("ReaderAt", func() error { rd.ra, _ = behaviour.ReaderAt(f.x.h, &f.x.t); return nil }); err != nil {
		f.abandon(err)
		return nil, sftpErr(err)
	}
	return rd, nil
}

// Filewrite opens a file for writing (any open with a write flag).
func (ss *sftpSession) Filewrite(r *sftp.Request) (_ io.WriterAt, err error) {
	defer ss.contain("sftp open", &err)
	f, err := ss.openFile(r, behaviour.Write)
	if err != nil {
		return nil, sftpErr(err)
	}
	w := newSFTPWriter(f)
	if err := f.x.call("WriterAt", func() error { w.wa, _ = behaviour.WriterAt(f.x.h, &f.x.t); return nil }); err != nil {
		f.abandon(err)
		return nil, sftpErr(err)
	}
	return w, nil
}

// openFile takes a handle within the limit, opens the transfer and
// records it by name.
func (ss *sftpSession) openFile(r *sftp.Request, access behaviour.Access) (*sftpFile, error) {
	if !ss.takeHandle() {
		return nil, errSFTPHandles
	}
	x, err := ss.c.newTransfer(behaviour.SFTP, access, r.Filepath)
	if err == nil {
		x.t.Flags = sftpFlags(r.Pflags())
		err = x.open()
	}
	if err != nil {
		ss.handles.Add(-1)
		return nil, err
	}
	f := &sftpFile{ss: ss, x: x}
	ss.mu.Lock()
	ss.open[x.t.Name] = append(ss.open[x.t.Name], f)
	ss.mu.Unlock()
	return f, nil
}

func (ss *sftpSession) takeHandle() bool {
	if int(ss.handles.Add(1)) > ss.c.srv.cfg.maxHandles {
		ss.handles.Add(-1)
		return false
	}
	return true
}

// forget releases the handle of a closed file.
func (ss *sftpSession) forget(f *sftpFile) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	name := f.x.t.Name
	list := ss.open[name]
	for i, g := range list {
		if g == f {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(ss.open, name)
	} else {
		ss.open[name] = list
	}
	ss.handles.Add(-1)
}

// opened returns a file of this session open under name for access, or nil.
func (ss *sftpSession) opened(name string, access behaviour.Access) *sftpFile {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, f := range ss.open[name] {
		if f.x.t.Access == access {
			return f
		}
	}
	return nil
}

func sftpFlags(f sftp.FileOpenFlags) behaviour.OpenFlags {
	var flags behaviour.OpenFlags
	for _, b := range []struct {
		set  bool
		flag behaviour.OpenFlags
	}{{f.Append, behaviour.FlagAppend}, {f.Creat, behaviour.FlagCreate}, {f.Trunc, behaviour.FlagTruncate}, {f.Excl, behaviour.FlagExclusive}} {
		if b.set {
			flags |= b.flag
		}
	}
	return flags
}

// sftpFile is what the reader and the writer of an open file share.
type sftpFile struct {
	ss     *sftpSession
	x      *sshTransfer
	lost   atomic.Pointer[error] // why the connection ended with the file open
	closed atomic.Bool
	high   atomic.Int64 // end of the furthest byte read or written
}

// TransferError is pkg/sftp's notice that the connection ended with the
// file open; Close follows.
func (f *sftpFile) TransferError(error) {
	cause := f.ss.c.closeReason()
	f.lost.Store(&cause)
}

// lostCause returns why the connection ended with the file open: what
// TransferError recorded, or the reason the server closed the connection
// for (stored before the handler's context is cancelled, so a handler
// that returns context.Canceled is never reported ahead of it).
func (f *sftpFile) lostCause() error {
	if p := f.lost.Load(); p != nil {
		return *p
	}
	if r := f.ss.c.reason.Load(); r != nil {
		return *r
	}
	return nil
}

// closing reports whether this is the first Close, and releases the handle.
func (f *sftpFile) closing() bool {
	if !f.closed.CompareAndSwap(false, true) {
		return false
	}
	f.ss.forget(f)
	return true
}

// abandon ends a file pkg/sftp never gets a handle for.
func (f *sftpFile) abandon(err error) {
	if f.closing() {
		f.x.finish(err)
	}
}

func (f *sftpFile) reach(end int64) {
	for {
		h := f.high.Load()
		if end <= h || f.high.CompareAndSwap(h, end) {
			return
		}
	}
}

// sshFirstErr returns the first non-nil error.
func sshFirstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// sftpCause chooses the reason of a failed file: the handler's error,
// unless it only reflects the connection's end (its context cancelled),
// which is then the reason.
func sftpCause(handlerErr, lost error) error {
	if lost != nil && (handlerErr == nil || errors.Is(handlerErr, context.Canceled)) {
		return lost
	}
	return handlerErr
}
