package handlers

import (
	"context"
	"io"
	"io/fs"
	"slices"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// Protocols returns a Handler that serves h on the protocols listed and
// hides it from the others: to them its names do not exist, as if no
// route matched, so reads and stat, list, random reads and whole contents
// are not found,
// and writes and every capability that changes something (remove, rename,
// mkdir, rmdir, chmod, chtimes, random writes) are access violations.
// With no protocol listed, h is served on none. Protocols offers each
// capability itself, so that a capability lookup through Unwrap cannot
// slip past it.
func Protocols(h behaviour.Handler, ps ...behaviour.Protocol) behaviour.Handler {
	return protocolsHandler{h: h, allowed: slices.Clone(ps)}
}

type protocolsHandler struct {
	h       behaviour.Handler
	allowed []behaviour.Protocol
}

// Unwrap returns the wrapped handler.
func (p protocolsHandler) Unwrap() behaviour.Handler { return p.h }

func (p protocolsHandler) serves(t *behaviour.Transfer) bool {
	return slices.Contains(p.allowed, t.Protocol)
}

// refusal returns the error for a transfer of t when its protocol is not
// served.
func (p protocolsHandler) refusal(t *behaviour.Transfer) error {
	switch {
	case p.serves(t):
		return nil
	case t.Access == behaviour.Write:
		return behaviour.ErrAccessViolation
	}
	return behaviour.ErrNotFound
}

func (p protocolsHandler) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	if err := p.refusal(t); err != nil {
		return err
	}
	return p.h.Prepare(ctx, t)
}

func (p protocolsHandler) Open(ctx context.Context, t *behaviour.Transfer) error {
	if err := p.refusal(t); err != nil {
		return err
	}
	return p.h.Open(ctx, t)
}

func (p protocolsHandler) Read(t *behaviour.Transfer, b []byte) (int, error) { return p.h.Read(t, b) }

func (p protocolsHandler) Write(t *behaviour.Transfer, b []byte, last bool) error {
	return p.h.Write(t, b, last)
}

func (p protocolsHandler) Abort(t *behaviour.Transfer, err error) { p.h.Abort(t, err) }

func (p protocolsHandler) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	if !p.serves(t) {
		return nil, false
	}
	return behaviour.ReaderAt(p.h, t)
}

func (p protocolsHandler) Content(t *behaviour.Transfer) (behaviour.Content, bool) {
	if !p.serves(t) {
		return behaviour.Content{}, false
	}
	return behaviour.ContentOf(p.h, t)
}

func (p protocolsHandler) WriterAt(t *behaviour.Transfer) (io.WriterAt, bool) {
	if !p.serves(t) {
		return nil, false
	}
	return behaviour.WriterAt(p.h, t)
}

func (p protocolsHandler) Stat(ctx context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	if !p.serves(t) {
		return nil, behaviour.ErrNotFound
	}
	return behaviour.Stat(ctx, p.h, t)
}

func (p protocolsHandler) List(ctx context.Context, t *behaviour.Transfer) ([]fs.FileInfo, error) {
	if !p.serves(t) {
		return nil, behaviour.ErrNotFound
	}
	return behaviour.List(ctx, p.h, t)
}

// change guards the capabilities that change something.
func (p protocolsHandler) change(t *behaviour.Transfer, op func() error) error {
	if !p.serves(t) {
		return behaviour.ErrAccessViolation
	}
	return op()
}

func (p protocolsHandler) Remove(ctx context.Context, t *behaviour.Transfer) error {
	return p.change(t, func() error { return behaviour.Remove(ctx, p.h, t) })
}

func (p protocolsHandler) Rename(ctx context.Context, t *behaviour.Transfer, newName string) error {
	return p.change(t, func() error { return behaviour.Rename(ctx, p.h, t, newName) })
}

func (p protocolsHandler) Mkdir(ctx context.Context, t *behaviour.Transfer) error {
	return p.change(t, func() error { return behaviour.Mkdir(ctx, p.h, t) })
}

func (p protocolsHandler) Rmdir(ctx context.Context, t *behaviour.Transfer) error {
	return p.change(t, func() error { return behaviour.Rmdir(ctx, p.h, t) })
}

func (p protocolsHandler) Chmod(ctx context.Context, t *behaviour.Transfer, mode fs.FileMode) error {
	return p.change(t, func() error { return behaviour.Chmod(ctx, p.h, t, mode) })
}

func (p protocolsHandler) Chtimes(ctx context.Context, t *behaviour.Transfer, atime, mtime time.Time) error {
	return p.change(t, func() error { return behaviour.Chtimes(ctx, p.h, t, atime, mtime) })
}

// Protocols declares every capability.
var (
	_ behaviour.Stater        = protocolsHandler{}
	_ behaviour.Lister        = protocolsHandler{}
	_ behaviour.Remover       = protocolsHandler{}
	_ behaviour.Renamer       = protocolsHandler{}
	_ behaviour.DirMaker      = protocolsHandler{}
	_ behaviour.DirRemover    = protocolsHandler{}
	_ behaviour.ModeChanger   = protocolsHandler{}
	_ behaviour.TimesChanger  = protocolsHandler{}
	_ behaviour.RandomReader  = protocolsHandler{}
	_ behaviour.ContentSource = protocolsHandler{}
	_ behaviour.RandomWriter  = protocolsHandler{}
	_ behaviour.Wrapper       = protocolsHandler{}
)
