package handlers

import (
	"context"
	"io/fs"
	"os"

	"github.com/filemux/filemux/behaviour"
)

// Stat describes t.Name, following symbolic links that stay inside the root.
func (d *Dir) Stat(_ context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	if err := checkDirName(t.Name); err != nil {
		return nil, err
	}
	fi, err := d.root.Stat(t.Name)
	if err != nil {
		return nil, fsError(err)
	}
	return fi, nil
}

// List lists the directory t.Name. Symbolic links are listed as links;
// temporary upload files are left out.
func (d *Dir) List(_ context.Context, t *behaviour.Transfer) ([]fs.FileInfo, error) {
	if err := checkDirName(t.Name); err != nil {
		return nil, err
	}
	f, err := d.openDir(t.Name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, fsError(err)
	}
	infos := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		if isTempName(e.Name()) {
			continue
		}
		if fi, err := e.Info(); err == nil { // else removed while listing
			infos = append(infos, fi)
		}
	}
	return infos, nil
}

func (d *Dir) openDir(name string) (*os.File, error) {
	fi, err := d.root.Stat(name)
	if err != nil {
		return nil, fsError(err)
	}
	if !fi.IsDir() {
		return nil, errNotDir
	}
	f, err := d.root.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, fsError(err)
	}
	if fi, err = f.Stat(); err != nil || !fi.IsDir() {
		f.Close()
		return nil, errNotDir
	}
	return f, nil
}

// Remove deletes the file t.Name (a symbolic link itself, not its target).
// It needs a write policy that replaces files.
func (d *Dir) Remove(_ context.Context, t *behaviour.Transfer) error {
	if err := d.change(t.Name, d.policy.replaces()); err != nil {
		return err
	}
	fi, err := d.root.Lstat(t.Name)
	if err != nil {
		return fsError(err)
	}
	if fi.IsDir() {
		return errIsDir
	}
	return fsError(d.root.Remove(t.Name))
}

// Rename renames t.Name to newName, refusing to replace an existing name
// as SFTP version 3 asks, unless t.Flags holds FlagReplace (POSIX rename):
// then an existing regular file at newName is replaced in one step. It
// needs WriteAny: it both creates a name and removes one.
func (d *Dir) Rename(_ context.Context, t *behaviour.Transfer, newName string) error {
	if err := d.change(t.Name, d.policy == WriteAny); err != nil {
		return err
	}
	if err := d.change(newName, true); err != nil {
		return err
	}
	if newName == t.Name {
		_, err := d.root.Lstat(t.Name)
		return fsError(err)
	}
	if t.Flags&behaviour.FlagReplace == 0 {
		return fsError(moveNew(d.root, t.Name, newName))
	}
	// Only a regular file is replaced: never a directory or a link.
	if _, err := d.existing(newName); err != nil {
		return err
	}
	return fsError(d.root.Rename(t.Name, newName))
}

// Mkdir creates the directory t.Name with the configured DirMode. It needs
// a write policy that creates files.
func (d *Dir) Mkdir(_ context.Context, t *behaviour.Transfer) error {
	if err := d.change(t.Name, d.policy.creates()); err != nil {
		return err
	}
	return fsError(d.root.Mkdir(t.Name, d.dirMode))
}

// Rmdir removes the empty directory t.Name. It needs a write policy that
// replaces files.
func (d *Dir) Rmdir(_ context.Context, t *behaviour.Transfer) error {
	if err := d.change(t.Name, d.policy.replaces()); err != nil {
		return err
	}
	fi, err := d.root.Lstat(t.Name)
	if err != nil {
		return fsError(err)
	}
	if !fi.IsDir() {
		return errNotDir
	}
	return fsError(d.root.Remove(t.Name))
}

// change checks a name that an operation is about to change.
func (d *Dir) change(name string, allowed bool) error {
	if !allowed {
		return errWritesOff
	}
	if err := checkDirName(name); err != nil {
		return err
	}
	if name == "." {
		return errServedDir
	}
	return nil
}
