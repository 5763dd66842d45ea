package behaviour

import (
	"context"
	"io"
	"io/fs"
	"time"
)

// Wrapper is implemented by decorators and other handlers that wrap one
// handler, so that checks for the capabilities that only look see through
// them (like http.ResponseController): [RandomReader], [Stater] and
// [Lister] are found on the first handler in the chain h, h.Unwrap(), ...
// that implements them. A decorator that must restrict or observe one of
// them implements it itself, which stops the search. [ContentSource] is
// found the same way, except that a RandomReader on the way hides it
// (see [ContentOf]).
//
// The capabilities that change something fail closed: [RandomWriter],
// [Remover], [Renamer], [DirMaker], [DirRemover], [ModeChanger] and
// [TimesChanger] are found only on the handler asked, never through
// Unwrap. A decorator hides them unless it declares them, by implementing
// them or by embedding [PassMutations], so that a restricting decorator
// cannot let through a change it never heard of.
type Wrapper interface {
	Unwrap() Handler
}

// PassMutations declares every mutating capability (see [Wrapper]) by
// handing it to Next through the helpers ([WriterAt], [Remove], [Rename],
// [Mkdir], [Rmdir], [Chmod], [Chtimes]). A decorator that means to let
// changes through embeds it; a method the decorator defines itself takes
// precedence over the embedded one.
type PassMutations struct {
	Next Handler
}

// WriterAt returns the random-access writer of p.Next.
func (p PassMutations) WriterAt(t *Transfer) (io.WriterAt, bool) { return WriterAt(p.Next, t) }

// Remove deletes t.Name through p.Next.
func (p PassMutations) Remove(ctx context.Context, t *Transfer) error {
	return Remove(ctx, p.Next, t)
}

// Rename renames t.Name to newName through p.Next.
func (p PassMutations) Rename(ctx context.Context, t *Transfer, newName string) error {
	return Rename(ctx, p.Next, t, newName)
}

// Mkdir creates the directory t.Name through p.Next.
func (p PassMutations) Mkdir(ctx context.Context, t *Transfer) error {
	return Mkdir(ctx, p.Next, t)
}

// Rmdir removes the directory t.Name through p.Next.
func (p PassMutations) Rmdir(ctx context.Context, t *Transfer) error {
	return Rmdir(ctx, p.Next, t)
}

// Chmod changes the mode of t.Name through p.Next.
func (p PassMutations) Chmod(ctx context.Context, t *Transfer, mode fs.FileMode) error {
	return Chmod(ctx, p.Next, t, mode)
}

// Chtimes changes the times of t.Name through p.Next.
func (p PassMutations) Chtimes(ctx context.Context, t *Transfer, atime, mtime time.Time) error {
	return Chtimes(ctx, p.Next, t, atime, mtime)
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

// WriterAt returns the random-access writer of an open write transfer. It
// fails closed (see [Wrapper]): when h is a RandomWriter it decides; when h
// is any other Wrapper there is none, whatever it wraps; otherwise h is
// taken for the handler whose Open set t.State, which is used when it
// implements io.WriterAt (so a decorator must implement Wrapper, or
// RandomWriter, to keep an inner handler's state from being written at).
// Engines that use it commit with Write(t, nil, true).
func WriterAt(h Handler, t *Transfer) (io.WriterAt, bool) {
	if w, ok := h.(RandomWriter); ok {
		return w.WriterAt(t)
	}
	if _, ok := h.(Wrapper); ok {
		return nil, false
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

// Remove deletes t.Name when h is a Remover, or fails with ErrUnsupported:
// like every mutating capability it is not looked for through Unwrap.
func Remove(ctx context.Context, h Handler, t *Transfer) error {
	if r, ok := h.(Remover); ok {
		return r.Remove(ctx, t)
	}
	return ErrUnsupported
}

// Rename renames t.Name to newName when h is a Renamer, or fails with
// ErrUnsupported.
func Rename(ctx context.Context, h Handler, t *Transfer, newName string) error {
	if r, ok := h.(Renamer); ok {
		return r.Rename(ctx, t, newName)
	}
	return ErrUnsupported
}

// Mkdir creates the directory t.Name when h is a DirMaker, or fails with
// ErrUnsupported.
func Mkdir(ctx context.Context, h Handler, t *Transfer) error {
	if m, ok := h.(DirMaker); ok {
		return m.Mkdir(ctx, t)
	}
	return ErrUnsupported
}

// Rmdir removes the directory t.Name when h is a DirRemover, or fails with
// ErrUnsupported.
func Rmdir(ctx context.Context, h Handler, t *Transfer) error {
	if r, ok := h.(DirRemover); ok {
		return r.Rmdir(ctx, t)
	}
	return ErrUnsupported
}

// find walks h, h.Unwrap(), ... and returns the first that implements T.
// Only the capabilities that only look use it.
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
