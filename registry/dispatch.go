package registry

import (
	"context"
	"io"

	"github.com/filemux/filemux/behaviour"
)

// choiceKey is the behaviour.Transfer value key under which a registry keeps
// the route it chose for a transfer. It holds the registry, so that nested
// registries keep their choices apart.
type choiceKey struct{ r *Registry }

// choose matches t.Name like route and records the winner in t, so that
// the calls that follow reach the same handler whatever happens to the
// routes meanwhile.
func (r *Registry) choose(t *behaviour.Transfer) (behaviour.Handler, error) {
	rt, err := r.route(t, t.Access)
	if err != nil {
		return nil, err
	}
	t.SetValue(choiceKey{r}, rt)
	return rt.Handler, nil
}

// route returns the first route matching t.Name and sets t.Pattern and
// t.Params from it. When none matches, the error is the one for access.
func (r *Registry) route(t *behaviour.Transfer, access behaviour.Access) (*route, error) {
	return routeIn(r.snapshot(), t, access)
}

func routeIn(routes []*route, t *behaviour.Transfer, access behaviour.Access) (*route, error) {
	i, ps, err := find(routes, t.Name)
	switch {
	case err != nil:
		return nil, err
	case i < 0:
		return nil, noRoute(access)
	}
	t.Pattern, t.Params = routes[i].Pattern, ps
	return routes[i], nil
}

// chosen returns the handler chosen for t by Prepare or Open, or nil.
func (r *Registry) chosen(t *behaviour.Transfer) behaviour.Handler {
	if rt, ok := t.Value(choiceKey{r}).(*route); ok {
		return rt.Handler
	}
	return nil
}

// Prepare matches the local file name t.Name (the client side matches the
// local name, as Erlang does) and calls the route's Prepare. The route
// chosen here also serves the Open that follows, whatever changes in between.
// No route: behaviour.ErrNotFound for reads, behaviour.ErrAccessViolation
// for writes.
func (r *Registry) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	h, err := r.choose(t)
	if err != nil {
		return err
	}
	return h.Prepare(ctx, t)
}

// Open matches t.Name, unless Prepare already chose a route for t, sets
// t.Pattern and t.Params, and calls the route's Open. No route:
// behaviour.ErrNotFound for reads, behaviour.ErrAccessViolation for
// writes; a match that runs out of time is an undefined error with a
// generic message, and no later route is tried.
func (r *Registry) Open(ctx context.Context, t *behaviour.Transfer) error {
	h := r.chosen(t)
	if h == nil {
		var err error
		if h, err = r.choose(t); err != nil {
			return err
		}
	}
	return h.Open(ctx, t)
}

// Read calls Read of the handler that opened t.
func (r *Registry) Read(t *behaviour.Transfer, p []byte) (int, error) {
	if h := r.chosen(t); h != nil {
		return h.Read(t, p)
	}
	return 0, errNotOpen
}

// Write calls Write of the handler that opened t.
func (r *Registry) Write(t *behaviour.Transfer, p []byte, last bool) error {
	if h := r.chosen(t); h != nil {
		return h.Write(t, p, last)
	}
	return errNotOpen
}

// Abort calls Abort of the handler that opened t; it does nothing for a
// transfer this registry never opened.
func (r *Registry) Abort(t *behaviour.Transfer, err error) {
	if h := r.chosen(t); h != nil {
		h.Abort(t, err)
	}
}

// ReaderAt offers the random-access reader of the handler that opened t
// (see behaviour.ReaderAt).
func (r *Registry) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	if h := r.chosen(t); h != nil {
		return behaviour.ReaderAt(h, t)
	}
	return nil, false
}

// Content offers the whole content of the handler that opened t (see
// behaviour.ContentOf).
func (r *Registry) Content(t *behaviour.Transfer) (behaviour.Content, bool) {
	if h := r.chosen(t); h != nil {
		return behaviour.ContentOf(h, t)
	}
	return behaviour.Content{}, false
}

// WriterAt offers the random-access writer of the handler that opened t
// (see behaviour.WriterAt).
func (r *Registry) WriterAt(t *behaviour.Transfer) (io.WriterAt, bool) {
	if h := r.chosen(t); h != nil {
		return behaviour.WriterAt(h, t)
	}
	return nil, false
}

// The registry is a handler with every capability, each answered by the
// matched route's handler.
var (
	_ behaviour.Handler       = (*Registry)(nil)
	_ behaviour.RandomReader  = (*Registry)(nil)
	_ behaviour.ContentSource = (*Registry)(nil)
	_ behaviour.RandomWriter  = (*Registry)(nil)
	_ behaviour.Stater        = (*Registry)(nil)
	_ behaviour.Lister        = (*Registry)(nil)
	_ behaviour.Remover       = (*Registry)(nil)
	_ behaviour.Renamer       = (*Registry)(nil)
	_ behaviour.DirMaker      = (*Registry)(nil)
	_ behaviour.DirRemover    = (*Registry)(nil)
)
