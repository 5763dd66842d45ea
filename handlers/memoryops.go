package handlers

import (
	"context"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// The modes a Memory reports for its files and directories.
const (
	memFileMode = fs.FileMode(0o644)
	memDirMode  = fs.ModeDir | 0o755
)

// Stat describes the file or directory t.Name. A directory's time is the
// latest of the files under it.
func (m *Memory) Stat(_ context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if f, ok := m.files[t.Name]; ok {
		return memFileInfo(path.Base(t.Name), f), nil
	}
	if !m.isDir(t.Name) {
		return nil, behaviour.ErrNotFound
	}
	dir := behaviour.FileInfo{FileName: path.Base(t.Name), FileMode: memDirMode}
	prefix := dirPrefix(t.Name)
	for name, f := range m.files {
		if strings.HasPrefix(name, prefix) {
			dir.FileModTime = later(dir.FileModTime, f.mtime)
		}
	}
	return dir, nil
}

// List lists the direct children of the directory t.Name, sorted by name:
// files, and directories for the names that go deeper. The top directory
// "." always exists, even when the store is empty.
func (m *Memory) List(_ context.Context, t *behaviour.Transfer) ([]fs.FileInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.files[t.Name]; ok {
		return nil, errNotDir
	}
	children := m.children(t.Name)
	if len(children) == 0 && t.Name != "." {
		return nil, behaviour.ErrNotFound
	}
	return children, nil
}

// children gathers the entries directly under dir. Should Put have made a
// name both a file and a directory, the file is listed. m.mu must be held.
func (m *Memory) children(dir string) []fs.FileInfo {
	prefix := dirPrefix(dir)
	byName := make(map[string]behaviour.FileInfo)
	for name, f := range m.files {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		child, _, deeper := strings.Cut(rest, "/")
		seen, dup := byName[child]
		switch {
		case !deeper:
			byName[child] = memFileInfo(child, f)
		case !dup || seen.IsDir():
			byName[child] = behaviour.FileInfo{FileName: child, FileMode: memDirMode, FileModTime: later(seen.FileModTime, f.mtime)}
		}
	}
	infos := make([]fs.FileInfo, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		infos = append(infos, byName[name])
	}
	return infos
}

// Remove deletes the file t.Name. It needs a write policy that replaces
// files; directories disappear with their last file.
func (m *Memory) Remove(_ context.Context, t *behaviour.Transfer) error {
	if !m.cfg.Write.replaces() {
		return errWritesOff
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[t.Name]
	switch {
	case ok:
		m.used -= int64(len(f.data))
		delete(m.files, t.Name)
		return nil
	case m.isDir(t.Name):
		return errIsDir
	}
	return behaviour.ErrNotFound
}

// Rename renames the file t.Name to newName, refusing to replace an
// existing name as SFTP version 3 asks, unless t.Flags holds FlagReplace
// (POSIX rename). It needs WriteAny, as for a Dir: it both creates a name
// and removes one. Directories cannot be renamed.
func (m *Memory) Rename(_ context.Context, t *behaviour.Transfer, newName string) error {
	if m.cfg.Write != WriteAny {
		return errWritesOff
	}
	if err := m.checkUploadName(newName); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, err := m.renameSource(t.Name)
	if err != nil || newName == t.Name {
		return err
	}
	if _, exists := m.files[newName]; exists && t.Flags&behaviour.FlagReplace == 0 {
		return errExists
	}
	if err := m.conflict(newName); err != nil {
		return err
	}
	delete(m.files, t.Name)
	m.files[newName] = f
	return nil
}

// renameSource returns the file a rename moves. m.mu must be held.
func (m *Memory) renameSource(name string) (memFile, error) {
	f, ok := m.files[name]
	switch {
	case name == ".":
		return f, errMemRoot
	case !ok && m.isDir(name):
		return f, behaviour.ErrUnsupported
	case !ok:
		return f, behaviour.ErrNotFound
	}
	return f, nil
}

func memFileInfo(base string, f memFile) behaviour.FileInfo {
	return behaviour.FileInfo{FileName: base, FileSize: int64(len(f.data)), FileMode: memFileMode, FileModTime: f.mtime}
}

// dirPrefix is what the names under dir start with.
func dirPrefix(dir string) string {
	if dir == "." {
		return ""
	}
	return dir + "/"
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
