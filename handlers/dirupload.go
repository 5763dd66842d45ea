package handlers

import (
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/filemux/filemux/behaviour"
)

// Temporary upload files are named tempPrefix + 26 random base32 characters
// (128 bits) + tempSuffix, in the directory of their target so that the
// final rename stays on one file system.
const (
	tempPrefix = ".filemux-"
	tempSuffix = ".tmp"
)

// isTempName reports whether the last element of name looks like a
// temporary upload file.
func isTempName(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(base, tempPrefix) && strings.HasSuffix(base, tempSuffix)
}

// dirUpload is the state of one write transfer of a Dir: a temporary file that
// becomes the target at the commit.
type dirUpload struct {
	root      *os.Root
	file      *os.File
	tmp       string // name of the temporary file in the root
	target    string
	limit     int64 // largest size accepted; 0 means none
	pos       int64 // offset of the next sequential Write
	keepMode  bool  // a replaced file keeps its permission
	mode      fs.FileMode
	noReplace bool // the commit must not replace a file created meanwhile
	ended     bool
	attrs     uploadAttrs // set by Chmod and Chtimes before the commit

	// keep guards the decision of an SFTP upload opened on an existing
	// file without TRUNC or APPEND: see decideKeep.
	keep struct {
		sync.Mutex
		pending atomic.Bool // the decision is still to be taken
		dir     *Dir
		size    int64 // the existing file's size
		err     error
	}
}

// openUpload checks the policy and the flags against what exists at
// t.Name, then creates the temporary file.
func (d *Dir) openUpload(t *behaviour.Transfer) error {
	if d.policy == WriteNone {
		return errWritesOff
	}
	if size, ok := t.Size(); ok && d.maxSize > 0 && size > d.maxSize {
		return behaviour.ErrDiskFull
	}
	if t.Name == "." {
		return errIsDir
	}
	flags := writeFlags(t)
	existing, err := d.existing(t.Name)
	if err != nil {
		return err
	}
	if err := d.allowUpload(existing, flags); err != nil {
		return err
	}
	u, err := d.newUpload(t.Name)
	if err != nil {
		return err
	}
	u.noReplace = existing == nil && (flags&behaviour.FlagExclusive != 0 || !d.policy.replaces())
	if existing != nil {
		u.keepMode, u.mode = true, existing.Mode().Perm()
	}
	if existing != nil && flags&behaviour.FlagAppend != 0 {
		if err := u.copyExisting(d); err != nil {
			u.discard()
			return err
		}
	}
	if existing != nil && flags&(behaviour.FlagAppend|behaviour.FlagTruncate) == 0 {
		u.keep.dir, u.keep.size = d, existing.Size()
		u.keep.pending.Store(true)
	}
	t.State = u
	return nil
}

// writeFlags returns the open flags of an upload. TFTP and SCP writes
// always create or truncate; an engine that leaves their flags unset means
// just that. SFTP flags are taken as they are.
func writeFlags(t *behaviour.Transfer) behaviour.OpenFlags {
	if t.Flags == 0 && t.Protocol != behaviour.SFTP {
		return behaviour.FlagCreate | behaviour.FlagTruncate
	}
	return t.Flags
}

// existing returns the file an upload would replace, or nil when there is
// none. Anything but a regular file is refused, symbolic links included:
// an upload never writes through a link.
func (d *Dir) existing(name string) (fs.FileInfo, error) {
	fi, err := d.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fsError(err)
	case !fi.Mode().IsRegular():
		return nil, errDirNotRegular
	}
	return fi, nil
}

// allowUpload applies the write policy and the open flags. Uploads without
// FlagTruncate start empty, since OpenSSH scp in SFTP mode opens without it
// and then sets the size, unless their first write says they continue the
// file (decideKeep).
func (d *Dir) allowUpload(existing fs.FileInfo, flags behaviour.OpenFlags) error {
	switch {
	case existing != nil && flags&behaviour.FlagExclusive != 0:
		return errExists
	case existing != nil && !d.policy.replaces():
		return errExists
	case existing == nil && (flags&behaviour.FlagCreate == 0 || !d.policy.creates()):
		return errNoCreate
	}
	return nil
}

// newUpload creates the temporary file next to target. O_EXCL makes the
// creation fail rather than follow anything already at that name.
func (d *Dir) newUpload(target string) (*dirUpload, error) {
	dir := path.Dir(target)
	if d.makeParents && dir != "." {
		if err := d.root.MkdirAll(dir, d.dirMode); err != nil {
			return nil, fsError(err)
		}
	}
	for range 3 {
		tmp := path.Join(dir, tempPrefix+rand.Text()+tempSuffix)
		f, err := d.root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, d.fileMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fsError(err)
		}
		return &dirUpload{root: d.root, file: f, tmp: tmp, target: target, limit: d.maxSize}, nil
	}
	return nil, behaviour.ErrUndefined
}

// copyExisting fills the temporary file with the current content of the
// target, for an append (SFTP resume): the result still replaces the target
// atomically.
func (u *dirUpload) copyExisting(d *Dir) error {
	src, err := d.openRegular(u.target)
	if err != nil {
		return err
	}
	defer src.Close()
	var r io.Reader = src
	if u.limit > 0 {
		r = io.LimitReader(src, u.limit+1)
	}
	n, err := io.Copy(u.file, r)
	if err != nil {
		return fsError(err)
	}
	if u.limit > 0 && n > u.limit {
		return behaviour.ErrDiskFull
	}
	u.pos = n
	return nil
}

// write appends p; the last call commits. A failed write discards the
// upload at once rather than waiting for Abort.
func (u *dirUpload) write(p []byte, last bool) error {
	if u.ended {
		return errEnded
	}
	if len(p) > 0 {
		if err := u.fits(u.pos, len(p)); err != nil {
			u.discard()
			return err
		}
		n, err := u.file.Write(p)
		u.pos += int64(n)
		if err != nil {
			u.discard()
			return fsError(err)
		}
	}
	if !last {
		return nil
	}
	return u.commit()
}

// WriteAt writes p at off in the temporary file, for random-access
// uploads; it may be called concurrently.
func (u *dirUpload) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errNegativeOffset
	}
	if err := u.fits(off, len(p)); err != nil {
		return 0, err
	}
	if err := u.decideKeep(off); err != nil {
		return 0, err
	}
	n, err := u.file.WriteAt(p, off)
	return n, fsError(err)
}

// decideKeep settles, at the first write, what an SFTP upload opened on an
// existing file without TRUNC or APPEND starts from. A first write at or
// past the end of the existing file continues it (a resume at an offset):
// the temporary file gets the existing content first, or the start would
// read as zeros. Any other first write starts an empty file,
// as OpenSSH's scp in SFTP mode expects; its writes may arrive out of
// order, but one past the old end can only come from a file at least as
// long, whose own writes then cover every copied byte. Every write waits
// for the decision, so none lands before the copy.
func (u *dirUpload) decideKeep(off int64) error {
	k := &u.keep
	if !k.pending.Load() {
		return k.err // written before pending was cleared
	}
	k.Lock()
	defer k.Unlock()
	if k.pending.Load() {
		if off > 0 && off >= k.size {
			k.err = u.copyExisting(k.dir)
		}
		k.pending.Store(false)
	}
	return k.err
}

// fits refuses n bytes at off that would grow the file past the limit.
func (u *dirUpload) fits(off int64, n int) error {
	if u.limit > 0 && (off > u.limit || int64(n) > u.limit-off) {
		return behaviour.ErrDiskFull
	}
	return nil
}

// commit makes the upload durable and moves it into place in one step.
func (u *dirUpload) commit() error {
	u.ended = true
	err := u.seal()
	if err == nil {
		err = u.place()
	}
	if err != nil {
		u.file.Close()
		u.root.Remove(u.tmp)
		return fsError(err)
	}
	syncDir(u.root, path.Dir(u.target))
	return nil
}

// seal gives the temporary file its mode (the one Chmod set, else the
// replaced file's) and times (Chtimes), and makes it durable. The times
// are set after the last write and the close, which would change them.
func (u *dirUpload) seal() error {
	mode, hasMode, atime, mtime, hasTimes := u.attrs.take()
	if !hasMode {
		mode, hasMode = u.mode, u.keepMode
	}
	if hasMode {
		if err := u.file.Chmod(mode); err != nil {
			return err
		}
	}
	if err := u.file.Sync(); err != nil {
		return err
	}
	if err := u.file.Close(); err != nil || !hasTimes {
		return err
	}
	return u.root.Chtimes(u.tmp, atime, mtime)
}

func (u *dirUpload) place() error {
	if u.noReplace {
		return moveNew(u.root, u.tmp, u.target)
	}
	return u.root.Rename(u.tmp, u.target)
}

// discard removes the temporary file; it does nothing after an ending.
func (u *dirUpload) discard() {
	if u.ended {
		return
	}
	u.ended = true
	u.file.Close()
	u.root.Remove(u.tmp)
}

// moveNew renames oldName to newName unless newName exists. A hard link
// makes the check and the move one atomic step. Where links are impossible
// (directories, file systems without them) it checks, then renames: a name
// created in between is then replaced.
func moveNew(root *os.Root, oldName, newName string) error {
	err := root.Link(oldName, newName)
	switch {
	case err == nil:
		if err := root.Remove(oldName); err != nil {
			root.Remove(newName)
			return err
		}
		return nil
	case errors.Is(err, fs.ErrExist):
		return errExists.With(err)
	}
	if _, err := root.Lstat(newName); err == nil {
		return errExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return root.Rename(oldName, newName)
}

// syncDir makes a rename in dir durable. It is best effort: some file
// systems refuse to sync a directory, and the data itself is already synced.
func syncDir(root *os.Root, dir string) {
	f, err := root.OpenFile(dir, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return
	}
	f.Sync()
	f.Close()
}
