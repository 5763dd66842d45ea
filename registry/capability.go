package registry

import (
	"context"
	"io/fs"

	"github.com/filemux/filemux/behaviour"
)

// The capabilities dispatch on t.Name like Open, set t.Pattern and
// t.Params, and ask the matched handler through the behaviour helpers, so
// a handler without the capability answers behaviour.ErrUnsupported. A
// name no route matches is not found, except for Mkdir, which creates and
// is refused like a write. Nothing is recorded in t: each call matches
// afresh.

// Stat describes t.Name through the matched handler (behaviour.Stat).
func (r *Registry) Stat(ctx context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	rt, err := r.route(t, behaviour.Read)
	if err != nil {
		return nil, err
	}
	return behaviour.Stat(ctx, rt.Handler, t)
}

// List lists the directory t.Name through the matched handler (behaviour.List).
func (r *Registry) List(ctx context.Context, t *behaviour.Transfer) ([]fs.FileInfo, error) {
	rt, err := r.route(t, behaviour.Read)
	if err != nil {
		return nil, err
	}
	return behaviour.List(ctx, rt.Handler, t)
}

// Remove deletes t.Name through the matched handler (behaviour.Remove).
func (r *Registry) Remove(ctx context.Context, t *behaviour.Transfer) error {
	rt, err := r.route(t, behaviour.Read)
	if err != nil {
		return err
	}
	return behaviour.Remove(ctx, rt.Handler, t)
}

// Rename renames t.Name to newName (already cleaned) through the handler
// matching t.Name (behaviour.Rename). A newName that another route, or no
// route, would serve is refused with an access violation: the file would
// move out of reach of the handler that owns it, or under one that does
// not know it. Within one route the handler judges newName itself: its
// captures (another user's directory, say) are not checked here.
func (r *Registry) Rename(ctx context.Context, t *behaviour.Transfer, newName string) error {
	// One snapshot for both names, so that a concurrent change cannot
	// make one route look like two.
	snap := r.snapshot()
	rt, err := routeIn(snap, t, behaviour.Read)
	if err != nil {
		return err
	}
	i, _, err := find(snap, newName)
	switch {
	case err != nil:
		return err
	case i < 0 || snap[i] != rt:
		return behaviour.ErrAccessViolation.With(ErrCrossRoute)
	}
	return behaviour.Rename(ctx, rt.Handler, t, newName)
}

// Mkdir creates the directory t.Name through the matched handler (behaviour.Mkdir).
func (r *Registry) Mkdir(ctx context.Context, t *behaviour.Transfer) error {
	rt, err := r.route(t, behaviour.Write)
	if err != nil {
		return err
	}
	return behaviour.Mkdir(ctx, rt.Handler, t)
}

// Rmdir removes the directory t.Name through the matched handler (behaviour.Rmdir).
func (r *Registry) Rmdir(ctx context.Context, t *behaviour.Transfer) error {
	rt, err := r.route(t, behaviour.Read)
	if err != nil {
		return err
	}
	return behaviour.Rmdir(ctx, rt.Handler, t)
}
