package registry

import (
	"context"
	"io/fs"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// Chmod changes the mode of t.Name through the matched handler
// (behaviour.Chmod). A transfer this registry opened (an upload still
// open) goes to the handler chosen at its Open, which knows the transfer.
func (r *Registry) Chmod(ctx context.Context, t *behaviour.Transfer, mode fs.FileMode) error {
	h, err := r.attributesHandler(t)
	if err != nil {
		return err
	}
	return behaviour.Chmod(ctx, h, t, mode)
}

// Chtimes changes the times of t.Name as Chmod changes its mode
// (behaviour.Chtimes).
func (r *Registry) Chtimes(ctx context.Context, t *behaviour.Transfer, atime, mtime time.Time) error {
	h, err := r.attributesHandler(t)
	if err != nil {
		return err
	}
	return behaviour.Chtimes(ctx, h, t, atime, mtime)
}

func (r *Registry) attributesHandler(t *behaviour.Transfer) (behaviour.Handler, error) {
	if h := r.chosen(t); h != nil {
		return h, nil
	}
	rt, err := r.route(t, behaviour.Read)
	if err != nil {
		return nil, err
	}
	return rt.Handler, nil
}

var (
	_ behaviour.ModeChanger  = (*Registry)(nil)
	_ behaviour.TimesChanger = (*Registry)(nil)
)
