package config

import (
	"context"
	"io"
	"io/fs"
	"slices"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

// restrictAccess applies a route's access: read-only routes refuse every
// change (handlers.ReadOnly), write-only routes refuse downloads.
func restrictAccess(h behaviour.Handler, a Access) behaviour.Handler {
	switch a {
	case AccessRead:
		return handlers.ReadOnly(h)
	case AccessWrite:
		return writeOnly{h, behaviour.PassMutations{Next: h}}
	}
	return h
}

var errWriteOnly = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "write-only"}

// writeOnly refuses read transfers and random reads; uploads and the
// SFTP capabilities pass through, so that clients can still look where
// they upload.
type writeOnly struct {
	h behaviour.Handler
	behaviour.PassMutations
}

func (w writeOnly) Unwrap() behaviour.Handler { return w.h }

func (w writeOnly) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	if t.Access != behaviour.Write {
		return errWriteOnly
	}
	return w.h.Prepare(ctx, t)
}

func (w writeOnly) Open(ctx context.Context, t *behaviour.Transfer) error {
	if t.Access != behaviour.Write {
		return errWriteOnly
	}
	return w.h.Open(ctx, t)
}

// Read refuses: Open never lets a read through.
func (w writeOnly) Read(*behaviour.Transfer, []byte) (int, error) { return 0, errWriteOnly }

func (w writeOnly) Write(t *behaviour.Transfer, p []byte, last bool) error {
	return w.h.Write(t, p, last)
}

func (w writeOnly) Abort(t *behaviour.Transfer, err error) { w.h.Abort(t, err) }

// ReaderAt offers no random reader, whatever h offers.
func (w writeOnly) ReaderAt(*behaviour.Transfer) (io.ReaderAt, bool) { return nil, false }

// restrictProtocols limits a route to some protocols; empty means all.
func restrictProtocols(h behaviour.Handler, ps []Protocol) behaviour.Handler {
	if len(ps) == 0 {
		return h
	}
	allowed := make([]behaviour.Protocol, len(ps))
	for i, p := range ps {
		allowed[i] = behaviour.Protocol(p)
	}
	return protocols{h: h, allowed: allowed}
}

// protocols hides a route from the protocols it does not serve: to them
// its names do not exist, as if no route matched (not found for reads,
// access violation for changes). It offers every capability itself, so
// that a lookup of one that only looks cannot slip past it through Unwrap.
type protocols struct {
	h       behaviour.Handler
	allowed []behaviour.Protocol
}

func (p protocols) Unwrap() behaviour.Handler { return p.h }

// refusal returns the error for t when its protocol is not served.
func (p protocols) refusal(t *behaviour.Transfer) error {
	switch {
	case slices.Contains(p.allowed, t.Protocol):
		return nil
	case t.Access == behaviour.Write:
		return behaviour.ErrAccessViolation
	}
	return behaviour.ErrNotFound
}

func (p protocols) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	if err := p.refusal(t); err != nil {
		return err
	}
	return p.h.Prepare(ctx, t)
}

func (p protocols) Open(ctx context.Context, t *behaviour.Transfer) error {
	if err := p.refusal(t); err != nil {
		return err
	}
	return p.h.Open(ctx, t)
}

func (p protocols) Read(t *behaviour.Transfer, b []byte) (int, error) { return p.h.Read(t, b) }

func (p protocols) Write(t *behaviour.Transfer, b []byte, last bool) error {
	return p.h.Write(t, b, last)
}

func (p protocols) Abort(t *behaviour.Transfer, err error) { p.h.Abort(t, err) }

func (p protocols) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	if p.refusal(t) != nil {
		return nil, false
	}
	return behaviour.ReaderAt(p.h, t)
}

func (p protocols) WriterAt(t *behaviour.Transfer) (io.WriterAt, bool) {
	if p.refusal(t) != nil {
		return nil, false
	}
	return behaviour.WriterAt(p.h, t)
}

func (p protocols) Stat(ctx context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	if !slices.Contains(p.allowed, t.Protocol) {
		return nil, behaviour.ErrNotFound
	}
	return behaviour.Stat(ctx, p.h, t)
}

func (p protocols) List(ctx context.Context, t *behaviour.Transfer) ([]fs.FileInfo, error) {
	if !slices.Contains(p.allowed, t.Protocol) {
		return nil, behaviour.ErrNotFound
	}
	return behaviour.List(ctx, p.h, t)
}

// change guards the capabilities that change something.
func (p protocols) change(t *behaviour.Transfer, op func() error) error {
	if !slices.Contains(p.allowed, t.Protocol) {
		return behaviour.ErrAccessViolation
	}
	return op()
}

func (p protocols) Remove(ctx context.Context, t *behaviour.Transfer) error {
	return p.change(t, func() error { return behaviour.Remove(ctx, p.h, t) })
}

func (p protocols) Rename(ctx context.Context, t *behaviour.Transfer, newName string) error {
	return p.change(t, func() error { return behaviour.Rename(ctx, p.h, t, newName) })
}

func (p protocols) Mkdir(ctx context.Context, t *behaviour.Transfer) error {
	return p.change(t, func() error { return behaviour.Mkdir(ctx, p.h, t) })
}

func (p protocols) Rmdir(ctx context.Context, t *behaviour.Transfer) error {
	return p.change(t, func() error { return behaviour.Rmdir(ctx, p.h, t) })
}

func (p protocols) Chmod(ctx context.Context, t *behaviour.Transfer, mode fs.FileMode) error {
	return p.change(t, func() error { return behaviour.Chmod(ctx, p.h, t, mode) })
}

func (p protocols) Chtimes(ctx context.Context, t *behaviour.Transfer, atime, mtime time.Time) error {
	return p.change(t, func() error { return behaviour.Chtimes(ctx, p.h, t, atime, mtime) })
}

var (
	_ behaviour.Stater       = protocols{}
	_ behaviour.Lister       = protocols{}
	_ behaviour.Remover      = protocols{}
	_ behaviour.Renamer      = protocols{}
	_ behaviour.DirMaker     = protocols{}
	_ behaviour.DirRemover   = protocols{}
	_ behaviour.ModeChanger  = protocols{}
	_ behaviour.TimesChanger = protocols{}
	_ behaviour.RandomReader = protocols{}
	_ behaviour.RandomWriter = protocols{}
	_ behaviour.RandomReader = writeOnly{}
)
