package handlers

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/filemux/filemux/behaviour"
)

// DirConfig configures a [Dir]. The zero value serves the directory
// read-only; each field documents its default.
type DirConfig struct {
	// Write says which uploads and changes (remove, rename, mkdir, rmdir)
	// are accepted. The default, WriteNone, refuses them all with an access
	// violation; stat and list are always allowed.
	Write WritePolicy
	// FileMode is the permission of the files uploads create, reduced by
	// the process umask as open(2) does; 0 means 0644. A replaced file keeps
	// its own permission.
	FileMode fs.FileMode
	// DirMode is the permission of the directories Mkdir and MakeParents
	// create, reduced by the umask; 0 means 0755.
	DirMode fs.FileMode
	// MaxSize is the largest upload in bytes, refused with disk full at
	// Open when its size is announced (TFTP tsize) and as soon as it grows
	// past; 0 means no limit.
	MaxSize int64
	// MakeParents creates the missing parent directories of an upload, as
	// mkdir -p does. Off by default: an upload into a missing directory is
	// refused with file not found.
	MakeParents bool
}

// Defaults of DirConfig.
const (
	DefaultFileMode fs.FileMode = 0o644
	DefaultDirMode  fs.FileMode = 0o755
)

// Dir is a Handler that serves the files under one directory, confined with
// os.Root: no name reaches outside it, whether through "..", an absolute
// name or a symbolic link (absolute or relative) pointing elsewhere.
//
// Reads serve regular files only, with their size, random access (the
// *os.File in t.State is an io.ReaderAt) and the open file as their whole
// content (behaviour.ContentSource), which the HTTP server hands to
// sendfile(2). Uploads, when the write policy
// allows them, are atomic: the data goes to a hidden temporary file next to
// the target (".filemux-*.tmp", a name peers cannot guess, see or open),
// which is synced and renamed into place only when the final Write returns
// nil. Until then the target keeps its old content or does not exist; a
// failed or aborted upload leaves nothing behind. Uploads also offer random
// access (io.WriterAt) for SFTP.
//
// A Dir also offers the SFTP capabilities: behaviour.Stater, Lister,
// Remover, Renamer, DirMaker, DirRemover, ModeChanger and TimesChanger,
// all confined to the root; the changes obey the write policy. The mode
// and times an upload sets before its commit (OpenSSH's sftp put -p and
// scp -p) are those of the file it commits.
//
// A crash can leave temporary files behind: peers never see them, and they
// are safe to delete while no upload runs.
//
// A Dir is safe for concurrent use. Close releases the directory.
type Dir struct {
	root        *os.Root
	policy      WritePolicy
	fileMode    fs.FileMode
	dirMode     fs.FileMode
	maxSize     int64
	makeParents bool
}

// NewDir opens root and returns a Dir that serves it with cfg. It fails when
// root is not a directory or cfg is invalid.
func NewDir(root string, cfg DirConfig) (*Dir, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("handlers: serving directory: %w", err)
	}
	return &Dir{
		root:        r,
		policy:      cfg.Write,
		fileMode:    modeOrDefault(cfg.FileMode, DefaultFileMode),
		dirMode:     modeOrDefault(cfg.DirMode, DefaultDirMode),
		maxSize:     cfg.MaxSize,
		makeParents: cfg.MakeParents,
	}, nil
}

// MustDir returns a Dir that serves root read-only, and panics when root
// cannot be opened. It is for programs that cannot run without it.
func MustDir(root string) *Dir {
	d, err := NewDir(root, DirConfig{})
	if err != nil {
		panic(err)
	}
	return d
}

func (c DirConfig) validate() error {
	switch {
	case c.Write > WriteAny:
		return fmt.Errorf("handlers: invalid write policy %d", uint8(c.Write))
	case c.FileMode&^fs.ModePerm != 0:
		return fmt.Errorf("handlers: FileMode %v holds more than permission bits", c.FileMode)
	case c.DirMode&^fs.ModePerm != 0:
		return fmt.Errorf("handlers: DirMode %v holds more than permission bits", c.DirMode)
	case c.MaxSize < 0:
		return fmt.Errorf("handlers: negative MaxSize %d", c.MaxSize)
	}
	return nil
}

func modeOrDefault(m, def fs.FileMode) fs.FileMode {
	if m == 0 {
		return def
	}
	return m
}

// Close releases the directory; call it once the transfers have ended.
// Later Opens fail; reads still open keep their files, but uploads still
// open can no longer commit or remove their temporary files.
func (d *Dir) Close() error { return d.root.Close() }

// Prepare accepts the suggested options unchanged.
func (d *Dir) Prepare(context.Context, *behaviour.Transfer) error { return nil }

// Open opens t.Name for reading, or starts an atomic upload to it.
func (d *Dir) Open(_ context.Context, t *behaviour.Transfer) error {
	if err := checkDirName(t.Name); err != nil {
		return err
	}
	if t.Access == behaviour.Write {
		return d.openUpload(t)
	}
	if t.Access != behaviour.Read {
		return behaviour.ErrIllegalOperation
	}
	f, err := d.openRegular(t.Name)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fsError(err)
	}
	t.SetSize(fi.Size())
	t.State = f
	return nil
}

// openRegular opens a regular file for reading. The non-blocking open keeps
// a FIFO swapped in after the first check from blocking the transfer; the
// check on the open file refuses whatever was swapped in.
func (d *Dir) openRegular(name string) (*os.File, error) {
	fi, err := d.root.Stat(name)
	if err != nil {
		return nil, fsError(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errDirNotRegular
	}
	f, err := d.root.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, fsError(err)
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, errDirNotRegular
	}
	return f, nil
}

// Read reads the next bytes of the file. An empty p is the ending of a
// random-access read: it answers (0, io.EOF). The file is closed at io.EOF.
func (d *Dir) Read(t *behaviour.Transfer, p []byte) (int, error) {
	f, ok := t.State.(*os.File)
	if !ok {
		return 0, errWrongAccess
	}
	if len(p) == 0 {
		f.Close()
		return 0, io.EOF
	}
	n, err := f.Read(p)
	if err == io.EOF {
		f.Close()
		return n, io.EOF
	}
	return n, fsError(err)
}

// Content offers the open file of a read as its whole content, for an
// engine that lets the kernel send it; the ending (Read(t, nil)) or Abort
// closes it as ever.
func (d *Dir) Content(t *behaviour.Transfer) (behaviour.Content, bool) {
	f, ok := t.State.(*os.File)
	if !ok || t.Access != behaviour.Read {
		return behaviour.Content{}, false
	}
	return behaviour.Content{File: f}, true
}

// Write adds p to the upload; the last call commits it.
func (d *Dir) Write(t *behaviour.Transfer, p []byte, last bool) error {
	u, ok := t.State.(*dirUpload)
	if !ok {
		return errWrongAccess
	}
	return u.write(p, last)
}

// Abort closes the file of a read, or discards an upload.
func (d *Dir) Abort(t *behaviour.Transfer, _ error) {
	switch s := t.State.(type) {
	case *os.File:
		s.Close()
	case *dirUpload:
		s.discard()
	}
}

// checkDirName refuses names that CleanName would not produce, and the names
// of temporary files, so that no peer can reach an upload in progress.
func checkDirName(name string) error {
	if !fs.ValidPath(name) {
		return behaviour.ErrBadName
	}
	if isTempName(name) {
		return errTempName
	}
	return nil
}

// Dir offers what its doc says.
var (
	_ behaviour.Handler       = (*Dir)(nil)
	_ behaviour.Stater        = (*Dir)(nil)
	_ behaviour.ContentSource = (*Dir)(nil)
	_ behaviour.Lister        = (*Dir)(nil)
	_ behaviour.Remover       = (*Dir)(nil)
	_ behaviour.Renamer       = (*Dir)(nil)
	_ behaviour.DirMaker      = (*Dir)(nil)
	_ behaviour.DirRemover    = (*Dir)(nil)
	_ io.WriterAt             = (*dirUpload)(nil)
)
