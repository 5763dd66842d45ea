package handlers

import (
	"fmt"
	"io/fs"
	"math"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// memUpload is the state of one upload to a Memory: a buffer that becomes
// the file at the commit. Its bytes are reserved against MaxTotal as the
// buffer grows (len(buf) is always the reservation), so that uploads in
// progress cannot exhaust memory together.
type memUpload struct {
	m         *Memory
	name      string
	noReplace bool       // the commit must not replace a file created meanwhile
	mu        sync.Mutex // WriteAt calls may overlap
	buf       []byte
	pos       int64 // offset of the next sequential Write
	ended     bool
}

// openUpload checks the upload, then starts an empty buffer (or a copy of
// the file, for an append).
func (m *Memory) openUpload(t *behaviour.Transfer) error {
	if err := m.checkUpload(t); err != nil {
		return err
	}
	flags := writeFlags(t)
	old, exists, err := m.uploadTarget(t.Name, flags)
	if err != nil {
		return err
	}
	u := &memUpload{m: m, name: t.Name, noReplace: flags&behaviour.FlagExclusive != 0 || !m.cfg.Write.replaces()}
	if exists && flags&behaviour.FlagAppend != 0 {
		if err := u.write(old.data, false); err != nil {
			return err
		}
	}
	t.State = u
	return nil
}

// checkUpload applies the write policy, the name rules and the limits to
// an upload's announced size, before looking at the store.
func (m *Memory) checkUpload(t *behaviour.Transfer) error {
	if m.cfg.Write == WriteNone {
		return errWritesOff
	}
	if err := m.checkUploadName(t.Name); err != nil {
		return err
	}
	if size, ok := t.Size(); ok {
		return m.checkAnnounced(size)
	}
	return nil
}

// uploadTarget returns the file an upload would replace, if any, after
// checking the flags and the policy against it.
func (m *Memory) uploadTarget(name string, flags behaviour.OpenFlags) (memFile, bool, error) {
	m.mu.RLock()
	old, exists := m.files[name]
	err := m.conflict(name)
	m.mu.RUnlock()
	if err == nil {
		err = m.allowUpload(exists, flags)
	}
	return old, exists, err
}

// checkUploadName refuses names CleanName would not produce, and the top
// directory.
func (m *Memory) checkUploadName(name string) error {
	if !fs.ValidPath(name) {
		return behaviour.ErrBadName
	}
	if name == "." {
		return errIsDir
	}
	return nil
}

// checkAnnounced refuses an upload whose announced size is over a limit
// before any byte is buffered.
func (m *Memory) checkAnnounced(size int64) error {
	if limit := m.maxFile(); limit >= 0 && size > limit {
		return errMemTooBig(size, limit)
	}
	if limit := m.maxTotal(); limit >= 0 && size > limit {
		return errMemFull(size, limit)
	}
	return nil
}

// allowUpload applies the write policy and the open flags, as a Dir does.
func (m *Memory) allowUpload(exists bool, flags behaviour.OpenFlags) error {
	switch {
	case exists && flags&behaviour.FlagExclusive != 0:
		return errExists
	case exists && !m.cfg.Write.replaces():
		return errExists
	case !exists && (flags&behaviour.FlagCreate == 0 || !m.cfg.Write.creates()):
		return errNoCreate
	}
	return nil
}

// conflict refuses name as a new file when it is a directory (files live
// under it) or lies under a file. m.mu must be held.
func (m *Memory) conflict(name string) error {
	if m.isDir(name) {
		return errIsDir
	}
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if _, ok := m.files[dir]; ok {
			return errNotDir
		}
	}
	return nil
}

// isDir reports whether files live under name. m.mu must be held.
func (m *Memory) isDir(name string) bool {
	if name == "." {
		return true
	}
	prefix := name + "/"
	for n := range m.files {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// write places p at the sequential position; the last call commits. A
// failed write discards the upload at once rather than waiting for Abort.
func (u *memUpload) write(p []byte, last bool) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ended {
		return errEnded
	}
	if len(p) > 0 {
		if err := u.place(p, u.pos); err != nil {
			u.discardLocked()
			return err
		}
		u.pos += int64(len(p))
	}
	if !last {
		return nil
	}
	return u.commitLocked()
}

// WriteAt writes p at off, growing the buffer with zeros as needed, for
// random-access uploads; it may be called concurrently.
func (u *memUpload) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errNegativeOffset
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ended {
		return 0, errEnded
	}
	if err := u.place(p, off); err != nil {
		return 0, err
	}
	return len(p), nil
}

// place copies p into the buffer at off. u.mu must be held.
func (u *memUpload) place(p []byte, off int64) error {
	if off > math.MaxInt64-int64(len(p)) {
		return errMemTooBig(math.MaxInt64, u.m.maxFile())
	}
	if err := u.grow(off + int64(len(p))); err != nil {
		return err
	}
	copy(u.buf[off:], p)
	return nil
}

// grow extends the buffer to end bytes, reserving them first.
func (u *memUpload) grow(end int64) error {
	have := int64(len(u.buf))
	if end <= have {
		return nil
	}
	if limit := u.m.maxFile(); (limit >= 0 && end > limit) || end > math.MaxInt {
		return errMemTooBig(end, limit)
	}
	if err := u.m.reserve(end - have); err != nil {
		return err
	}
	u.buf = slices.Grow(u.buf, int(end-have))[:end]
	clear(u.buf[have:])
	return nil
}

// commitLocked hands the buffer to the store. u.mu must be held.
func (u *memUpload) commitLocked() error {
	u.ended = true
	err := u.m.commit(u.name, u.buf, u.noReplace)
	u.buf = nil
	return err
}

// discard drops the upload and its reservation; it does nothing after an
// ending.
func (u *memUpload) discard() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.discardLocked()
}

func (u *memUpload) discardLocked() {
	if u.ended {
		return
	}
	u.ended = true
	u.m.release(int64(len(u.buf)))
	u.buf = nil
}

// reserve counts n more bytes against MaxTotal, or refuses them.
func (m *Memory) reserve(n int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if limit := m.maxTotal(); limit >= 0 && m.used+n > limit {
		return errMemFull(m.used+n, limit)
	}
	m.used += n
	return nil
}

func (m *Memory) release(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.used -= n
}

// commit stores data, whose bytes are reserved, as the file name: the
// reservation is given back and store counts the file instead. The checks
// of Open are repeated, since other uploads may have committed meanwhile.
func (m *Memory) commit(name string, data []byte, noReplace bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.used -= int64(len(data))
	if _, exists := m.files[name]; exists && noReplace {
		return errExists
	}
	if err := m.conflict(name); err != nil {
		return err
	}
	m.store(name, data, time.Now())
	return nil
}

func errMemTooBig(size, limit int64) error {
	return behaviour.ErrDiskFull.With(fmt.Errorf("upload of %d bytes exceeds the file size limit of %d", size, limit))
}

func errMemFull(total, limit int64) error {
	return behaviour.ErrDiskFull.With(fmt.Errorf("store would hold %d bytes, over its limit of %d", total, limit))
}
