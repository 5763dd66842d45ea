package daemon

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
	"github.com/pkg/sftp"
)

// Filelist answers STAT, LSTAT and FSTAT (pkg/sftp turns all three into
// "Stat") and opens directory listings ("List"). READLINK is unsupported.
func (ss *sftpSession) Filelist(r *sftp.Request) (_ sftp.ListerAt, err error) {
	defer ss.contain("sftp "+r.Method, &err)
	var l sftp.ListerAt
	switch r.Method {
	case "Stat", "Lstat":
		var fi fs.FileInfo
		fi, err = ss.stat(r.Filepath)
		l = sftpList{fi}
	case "List":
		l, err = ss.list(r.Filepath)
	default:
		err = behaviour.ErrUnsupported
	}
	ss.logCmd(r.Method, r.Filepath, err)
	if err != nil {
		return nil, sftpErr(err)
	}
	return l, nil
}

// stat describes a file: a file of this session open for writing is
// described by what it holds so far; otherwise the handler's Stater
// answers; otherwise the root is a directory (see sftpRootError), a file
// open for reading is described by its transfer, and any other file by a
// probe (see statByOpening).
func (ss *sftpSession) stat(requested string) (fs.FileInfo, error) {
	t, err := ss.c.newRequest(behaviour.SFTP, behaviour.Read, requested)
	if err != nil {
		return nil, err
	}
	if f := ss.opened(t.Name, behaviour.Write); f != nil {
		return sftpFileInfo(t.Name, f.high.Load()), nil
	}
	var fi fs.FileInfo
	err = ss.c.contained("Stat", func() (err error) { fi, err = behaviour.Stat(t.Context(), ss.c.handler, t); return err })
	switch {
	case err == nil:
		return sftpFixInfo(fi, t.Name), nil
	case t.Name == "." && sftpRootError(err):
		return behaviour.FileInfo{FileName: "/", FileMode: fs.ModeDir | 0o755, FileModTime: time.Now()}, nil
	case !errors.Is(err, behaviour.ErrUnsupported):
		return nil, err
	}
	if f := ss.opened(t.Name, behaviour.Read); f != nil {
		size, _ := f.x.t.Size()
		return sftpFileInfo(t.Name, size), nil
	}
	return ss.statByOpening(t)
}

// statByOpening describes a file the handler cannot stat by opening it for
// reading, taking its size (0 when unknown: clients then read to the end of
// file) and aborting the transfer. OnRequest and the other hooks do not see
// it: it is no transfer.
func (ss *sftpSession) statByOpening(t *behaviour.Transfer) (fs.FileInfo, error) {
	ctx, cancel := context.WithCancel(ss.c.ctx)
	defer cancel()
	t.SetContext(ctx)
	d := drive.New(ss.c.handler, t, drive.Config{Panic: ss.c.handlerPanicked, InCall: &ss.c.inCall})
	if err := d.Open(ctx); err != nil {
		return nil, err
	}
	size, _ := t.Size()
	d.Abort(errSFTPStatProbe)
	return sftpFileInfo(t.Name, size), nil
}

// list lists a directory through the handler's Lister. A root the handler
// cannot list is empty (see sftpRootError).
func (ss *sftpSession) list(requested string) (sftp.ListerAt, error) {
	t, err := ss.c.newRequest(behaviour.SFTP, behaviour.Read, requested)
	if err != nil {
		return nil, err
	}
	var infos []fs.FileInfo
	err = ss.c.contained("List", func() (err error) { infos, err = behaviour.List(t.Context(), ss.c.handler, t); return err })
	if err != nil && !(t.Name == "." && sftpRootError(err)) {
		return nil, err
	}
	if !ss.takeHandle() {
		return nil, errSFTPHandles
	}
	for i, fi := range infos {
		infos[i] = sftpFixInfo(fi, path.Join(t.Name, fi.Name()))
	}
	return &sftpDir{ss: ss, infos: infos}, nil
}

// sftpRootError reports the errors of a root that a handler (or a
// registry without a route for it) does not know: the root exists all the
// same, as an empty directory, so that clients can log in and upload.
func sftpRootError(err error) bool {
	return errors.Is(err, behaviour.ErrUnsupported) || errors.Is(err, behaviour.ErrNotFound)
}

// sftpFileInfo describes a regular file of the given size.
func sftpFileInfo(name string, size int64) fs.FileInfo {
	return behaviour.FileInfo{FileName: path.Base(name), FileSize: max(size, 0), FileMode: 0o644, FileModTime: time.Now()}
}

// sftpFixInfo gives a handler's description the permissions clients need:
// a file without any permission bit would be created unreadable on the
// client, so it gets 0644 (a directory 0755).
func sftpFixInfo(fi fs.FileInfo, name string) fs.FileInfo {
	if fi.Mode().Perm() != 0 {
		return fi
	}
	mode := fi.Mode() | 0o644
	if fi.IsDir() {
		mode |= 0o111
	}
	return sftpInfo{FileInfo: fi, mode: mode, name: path.Base(name)}
}

// sftpInfo overrides the mode of a handler's fs.FileInfo.
type sftpInfo struct {
	fs.FileInfo
	mode fs.FileMode
	name string
}

func (i sftpInfo) Mode() fs.FileMode { return i.mode }
func (i sftpInfo) Name() string {
	if n := i.FileInfo.Name(); n != "" {
		return n
	}
	return i.name
}

// sftpList is the answer to a STAT: one entry.
type sftpList []fs.FileInfo

func (l sftpList) ListAt(dst []fs.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(dst, l[off:])
	if off+int64(n) >= int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}

// sftpDir is an open directory listing; it holds a handle until CLOSE.
type sftpDir struct {
	ss     *sftpSession
	infos  sftpList
	closed atomic.Bool
}

func (d *sftpDir) ListAt(dst []fs.FileInfo, off int64) (int, error) {
	return d.infos.ListAt(dst, off)
}

// Close releases the handle.
func (d *sftpDir) Close() error {
	if d.closed.CompareAndSwap(false, true) {
		d.ss.handles.Add(-1)
	}
	return nil
}
