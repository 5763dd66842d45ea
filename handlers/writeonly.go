package handlers

import (
	"context"
	"io"
	"io/fs"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// WriteOnly returns a Handler that takes the uploads of h and refuses
// every download with an access violation: read transfers at Prepare and
// Open, random reads and whole contents (behaviour.ContentOf). It also
// refuses the changes that are not uploads and could undo what was
// collected: remove, rename and rmdir.
// What an upload does to its own file passes through to h: random writes,
// chmod and chtimes (as scp -p and sftp put -p send them), and mkdir for
// the directories an upload goes into. Stat and list pass through, so that
// clients can look where they upload. WriteOnly offers each capability
// itself, so that a capability lookup through Unwrap cannot reach one of
// h that it does not pass on.
func WriteOnly(h behaviour.Handler) behaviour.Handler {
	return writeOnlyHandler{accessGate{h: h, only: behaviour.Write, err: errWriteOnlyDecorator}}
}

type writeOnlyHandler struct{ accessGate }

var errWriteOnlyDecorator = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "write-only"}

// Read refuses: Open never lets a read transfer through.
func (w writeOnlyHandler) Read(*behaviour.Transfer, []byte) (int, error) {
	return 0, errWriteOnlyDecorator
}

func (w writeOnlyHandler) Write(t *behaviour.Transfer, p []byte, last bool) error {
	return w.h.Write(t, p, last)
}

// ReaderAt offers no random reader, whatever h offers.
func (w writeOnlyHandler) ReaderAt(*behaviour.Transfer) (io.ReaderAt, bool) { return nil, false }

// Content offers no content to send, whatever h offers.
func (w writeOnlyHandler) Content(*behaviour.Transfer) (behaviour.Content, bool) {
	return behaviour.Content{}, false
}

func (w writeOnlyHandler) WriterAt(t *behaviour.Transfer) (io.WriterAt, bool) {
	return behaviour.WriterAt(w.h, t)
}

func (w writeOnlyHandler) Stat(ctx context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	return behaviour.Stat(ctx, w.h, t)
}

func (w writeOnlyHandler) List(ctx context.Context, t *behaviour.Transfer) ([]fs.FileInfo, error) {
	return behaviour.List(ctx, w.h, t)
}

func (w writeOnlyHandler) Mkdir(ctx context.Context, t *behaviour.Transfer) error {
	return behaviour.Mkdir(ctx, w.h, t)
}

func (w writeOnlyHandler) Chmod(ctx context.Context, t *behaviour.Transfer, mode fs.FileMode) error {
	return behaviour.Chmod(ctx, w.h, t, mode)
}

func (w writeOnlyHandler) Chtimes(ctx context.Context, t *behaviour.Transfer, atime, mtime time.Time) error {
	return behaviour.Chtimes(ctx, w.h, t, atime, mtime)
}

// WriteOnly declares every capability.
var (
	_ behaviour.Stater        = writeOnlyHandler{}
	_ behaviour.Lister        = writeOnlyHandler{}
	_ behaviour.Remover       = writeOnlyHandler{}
	_ behaviour.Renamer       = writeOnlyHandler{}
	_ behaviour.DirMaker      = writeOnlyHandler{}
	_ behaviour.DirRemover    = writeOnlyHandler{}
	_ behaviour.ModeChanger   = writeOnlyHandler{}
	_ behaviour.TimesChanger  = writeOnlyHandler{}
	_ behaviour.RandomReader  = writeOnlyHandler{}
	_ behaviour.ContentSource = writeOnlyHandler{}
	_ behaviour.RandomWriter  = writeOnlyHandler{}
	_ behaviour.Wrapper       = writeOnlyHandler{}
)
