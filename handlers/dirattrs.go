package handlers

import (
	"context"
	"io/fs"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// errDirSpecialMode refuses setuid, setgid and sticky bits: a peer that
// uploads a file must not make it run as someone else.
var errDirSpecialMode = &behaviour.Error{Code: behaviour.ErrUnsupported.Code, Message: "only permission bits can be set"}

// Chmod sets the permission bits of t.Name (os.Root.Chmod: not reduced by
// the umask), a regular file or a directory, never through a symbolic
// link. For an upload still open it sets those of the file the commit
// makes, which then keeps them even when it replaces a file. Changing an
// existing file needs a write policy that replaces files; an upload may
// always set its own. Setuid, setgid and sticky bits are refused.
func (d *Dir) Chmod(_ context.Context, t *behaviour.Transfer, mode fs.FileMode) error {
	if mode&^fs.ModePerm != 0 {
		return errDirSpecialMode
	}
	if u, ok := t.State.(*dirUpload); ok && t.Access == behaviour.Write {
		return u.attrs.setMode(mode)
	}
	if err := d.changeAttrs(t.Name); err != nil {
		return err
	}
	return fsError(d.root.Chmod(t.Name, mode))
}

// Chtimes sets the access and modification times of t.Name, as Chmod sets
// its mode.
func (d *Dir) Chtimes(_ context.Context, t *behaviour.Transfer, atime, mtime time.Time) error {
	if u, ok := t.State.(*dirUpload); ok && t.Access == behaviour.Write {
		return u.attrs.setTimes(atime, mtime)
	}
	if err := d.changeAttrs(t.Name); err != nil {
		return err
	}
	return fsError(d.root.Chtimes(t.Name, atime, mtime))
}

// changeAttrs checks that the attributes of name may change: the policy
// allows changing files, and name is a regular file or a directory (not
// a link, whose target would change instead).
func (d *Dir) changeAttrs(name string) error {
	if err := d.change(name, d.policy.replaces()); err != nil {
		return err
	}
	fi, err := d.root.Lstat(name)
	if err != nil {
		return fsError(err)
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return errDirNotRegular
	}
	return nil
}

// uploadAttrs are the attributes set on an upload before its commit,
// applied to the temporary file as it is sealed. They may be set while
// random-access writes run.
type uploadAttrs struct {
	mu           sync.Mutex
	ended        bool
	hasMode      bool
	mode         fs.FileMode
	hasTimes     bool
	atime, mtime time.Time
}

func (a *uploadAttrs) setMode(mode fs.FileMode) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ended {
		return errEnded
	}
	a.hasMode, a.mode = true, mode
	return nil
}

func (a *uploadAttrs) setTimes(atime, mtime time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ended {
		return errEnded
	}
	a.hasTimes, a.atime, a.mtime = true, atime, mtime
	return nil
}

// take ends the setting and returns what was set.
func (a *uploadAttrs) take() (mode fs.FileMode, hasMode bool, atime, mtime time.Time, hasTimes bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ended = true
	return a.mode, a.hasMode, a.atime, a.mtime, a.hasTimes
}

// Dir applies the attributes it is asked to.
var (
	_ behaviour.ModeChanger  = (*Dir)(nil)
	_ behaviour.TimesChanger = (*Dir)(nil)
)
