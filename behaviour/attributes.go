package behaviour

import (
	"context"
	"io/fs"
	"time"
)

// ModeChanger is implemented by handlers that can change the permission
// bits of t.Name (SFTP chmod, and the permissions OpenSSH's sftp put -p and
// scp -p send). mode holds permission bits, and perhaps fs.ModeSetuid,
// fs.ModeSetgid and fs.ModeSticky, which a handler that cannot keep them
// refuses. When t is a write transfer that is still open (an SFTP
// FSETSTAT during an upload), the change applies to the file its commit
// makes. A handler that cannot apply a change returns an error, never nil:
// engines tell the peer that it happened.
type ModeChanger interface {
	Chmod(ctx context.Context, t *Transfer, mode fs.FileMode) error
}

// TimesChanger is implemented by handlers that can change the access and
// modification times of t.Name (SFTP utimes, sftp put -p, scp -p), as
// ModeChanger changes its mode.
type TimesChanger interface {
	Chtimes(ctx context.Context, t *Transfer, atime, mtime time.Time) error
}

// Chmod changes the mode of t.Name when h is a ModeChanger, or fails with
// ErrUnsupported (it is not looked for through Unwrap; see [Wrapper]).
func Chmod(ctx context.Context, h Handler, t *Transfer, mode fs.FileMode) error {
	if c, ok := h.(ModeChanger); ok {
		return c.Chmod(ctx, t, mode)
	}
	return ErrUnsupported
}

// Chtimes changes the times of t.Name when h is a TimesChanger, or fails
// with ErrUnsupported (see [Wrapper]).
func Chtimes(ctx context.Context, h Handler, t *Transfer, atime, mtime time.Time) error {
	if c, ok := h.(TimesChanger); ok {
		return c.Chtimes(ctx, t, atime, mtime)
	}
	return ErrUnsupported
}
