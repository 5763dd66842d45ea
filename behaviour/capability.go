package behaviour

import (
	"context"
	"io"
	"io/fs"
	"time"
)

// Wrapper is implemented by decorators and other handlers that wrap one
// handler, so that capability checks see through them (like
// http.ResponseController). A decorator that must restrict or observe a
// capability implements that capability itself, which stops the search.
type Wrapper interface {
	Unwrap() Handler
}

// RandomReader is implemented by handlers, usually decorators or
// dispatchers, that decide random read access themselves instead of leaving
// it to t.State. See [ReaderAt].
type RandomReader interface {
	ReaderAt(t *Transfer) (io.ReaderAt, bool)
}

// RandomWriter is the write twin of RandomReader. See [WriterAt].
type RandomWriter interface {
	WriterAt(t *Transfer) (io.WriterAt, bool)
}

// ReaderAt returns the random-access reader of an open read transfer, when
// its handler offers one: the first handler in the chain h, h.Unwrap(), ...
// that implements RandomReader decides; without one, t.State is used when it
// implements io.ReaderAt. Engines that use it end the transfer as the
// Handler contract says (Read(t, nil) answering io.EOF).
func ReaderAt(h Handler, t *Transfer) (io.ReaderAt, bool) {
	if r, ok := find[RandomReader](h); ok {
		return r.ReaderAt(t)
	}
	r, ok := t.State.(io.ReaderAt)
	return r, ok
}

// WriterAt returns the random-access writer of an open write transfer, as
// ReaderAt does for reads. Engines that use it commit with Write(t, nil, true).
func WriterAt(h Handler, t *Transfer) (io.WriterAt, bool) {
	if w, ok := find[RandomWriter](h); ok {
		return w.WriterAt(t)
	}
	w, ok := t.State.(io.WriterAt)
	return w, ok
}

// Stater is implemented by handlers that can describe a file without
// opening it (SFTP STAT). t.Name names the file.
type Stater interface {
	Stat(ctx context.Context, t *Transfer) (fs.FileInfo, error)
}

// Lister is implemented by handlers that can list a directory (SFTP ls).
// t.Name names the directory.
type Lister interface {
	List(ctx context.Context, t *Transfer) ([]fs.FileInfo, error)
}

// Remover is implemented by handlers that can delete a file.
type Remover interface {
	Remove(ctx context.Context, t *Transfer) error
}

// Renamer is implemented by handlers that can rename t.Name to newName, a
// name already cleaned by CleanName. An existing newName is refused unless
// t.Flags holds FlagReplace.
type Renamer interface {
	Rename(ctx context.Context, t *Transfer, newName string) error
}

// DirMaker is implemented by handlers that can create the directory t.Name.
type DirMaker interface {
	Mkdir(ctx context.Context, t *Transfer) error
}

// DirRemover is implemented by handlers that can remove the empty directory t.Name.
type DirRemover interface {
	Rmdir(ctx context.Context, t *Transfer) error
}

// Stat describes t.Name through the first handler in h's chain that is a
// Stater, or fails with ErrUnsupported.
func Stat(ctx context.Context, h Handler, t *Transfer) (fs.FileInfo, error) {
	if s, ok := find[Stater](h); ok {
		return s.Stat(ctx, t)
	}
	return nil, ErrUnsupported
}

// List lists the directory t.Name through the first Lister in h's chain, or
// fails with ErrUnsupported.
func List(ctx context.Context, h Handler, t *Transfer) ([]fs.FileInfo, error) {
	if l, ok := find[Lister](h); ok {
		return l.List(ctx, t)
	}
	return nil, ErrUnsupported
}

// Remove deletes t.Name through the first Remover in h's chain, or fails
// with ErrUnsupported.
func Remove(ctx context.Context, h Handler, t *Transfer) error {
	if r, ok := find[Remover](h); ok {
		return r.Remove(ctx, t)
	}
	return ErrUnsupported
}

// Rename renames t.Name to newName through the first Renamer in h's chain,
// or fails with ErrUnsupported.
func Rename(ctx context.Context, h Handler, t *Transfer, newName string) error {
	if r, ok := find[Renamer](h); ok {
		return r.Rename(ctx, t, newName)
	}
	return ErrUnsupported
}

// Mkdir creates the directory t.Name through the first DirMaker in h's
// chain, or fails with ErrUnsupported.
func Mkdir(ctx context.Context, h Handler, t *Transfer) error {
	if m, ok := find[DirMaker](h); ok {
		return m.Mkdir(ctx, t)
	}
	return ErrUnsupported
}

// Rmdir removes the directory t.Name through the first DirRemover in h's
// chain, or fails with ErrUnsupported.
func Rmdir(ctx context.Context, h Handler, t *Transfer) error {
	if r, ok := find[DirRemover](h); ok {
		return r.Rmdir(ctx, t)
	}
	return ErrUnsupported
}

// find walks h, h.Unwrap(), ... and returns the first that implements T.
func find[T any](h Handler) (T, bool) {
	for h != nil {
		if c, ok := h.(T); ok {
			return c, true
		}
		w, ok := h.(Wrapper)
		if !ok {
			break
		}
		h = w.Unwrap()
	}
	var zero T
	return zero, false
}

// FileInfo is a ready-made fs.FileInfo for Stater and Lister implementations.
type FileInfo struct {
	FileName    string
	FileSize    int64
	FileMode    fs.FileMode
	FileModTime time.Time
}

// Name returns the base name.
func (fi FileInfo) Name() string { return fi.FileName }

// Size returns the size in bytes.
func (fi FileInfo) Size() int64 { return fi.FileSize }

// Mode returns the mode bits.
func (fi FileInfo) Mode() fs.FileMode { return fi.FileMode }

// ModTime returns the modification time.
func (fi FileInfo) ModTime() time.Time { return fi.FileModTime }

// IsDir reports whether the entry is a directory.
func (fi FileInfo) IsDir() bool { return fi.FileMode.IsDir() }

// Sys returns nil.
func (fi FileInfo) Sys() any { return nil }
