package config

import (
	"context"
	"io"
	"io/fs"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// restrictAccess applies a route's access: read-only routes refuse every
// change (handlers.ReadOnly), write-only routes refuse downloads
// (handlers.WriteOnly).
func restrictAccess(h behaviour.Handler, a Access) behaviour.Handler {
	switch a {
	case AccessRead:
		return handlers.ReadOnly(h)
	case AccessWrite:
		return handlers.WriteOnly(h)
	}
	return h
}

// restrictProtocols limits a route to some protocols (handlers.Protocols);
// empty means all.
func restrictProtocols(h behaviour.Handler, ps []Protocol) behaviour.Handler {
	if len(ps) == 0 {
		return h
	}
	allowed := make([]behaviour.Protocol, len(ps))
	for i, p := range ps {
		allowed[i] = behaviour.Protocol(p)
	}
	return handlers.Protocols(h, allowed...)
}

// httpGate is the outermost handler of every route, the one the registry
// holds: it carries the route's HTTP keys, which AnonymousUploads and
// Listings read from the route the registry matches; it refuses an HTTP
// upload without a user unless the route opts in, and an HTTP listing
// unless the route allows it. The daemon asks AnonymousUploads and
// Listings first, to answer 401 with a challenge or 404; the gate checks
// again against the route the transfer was dispatched to, so that a
// reload between the two cannot let an upload or a listing through.
type httpGate struct {
	behaviour.Handler
	behaviour.PassMutations
	anonymous, listing bool
}

// gateHTTP wraps h in the gate of a route.
func gateHTTP(h behaviour.Handler, rt *Route) behaviour.Handler {
	return httpGate{Handler: h, PassMutations: behaviour.PassMutations{Next: h}, anonymous: rt.AnonymousUploads, listing: rt.Listing}
}

// List lists through the route's handler, except over HTTP on a route
// without listing: not found, as the daemon answers an unlisted
// directory.
func (g httpGate) List(ctx context.Context, t *behaviour.Transfer) ([]fs.FileInfo, error) {
	if t.Protocol == behaviour.HTTP && !g.listing {
		return nil, behaviour.ErrNotFound
	}
	return behaviour.List(ctx, g.Handler, t)
}

// errLoginNeeded refuses an HTTP upload without a user on a route that
// did not opt in.
var errLoginNeeded = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "uploads need a login"}

// refuses reports whether the gate refuses a change made by t.
func (g httpGate) refuses(t *behaviour.Transfer) bool {
	return t.Protocol == behaviour.HTTP && t.User == "" && !g.anonymous
}

func (g httpGate) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	if t.Access == behaviour.Write && g.refuses(t) {
		return errLoginNeeded
	}
	return g.Handler.Prepare(ctx, t)
}

func (g httpGate) Open(ctx context.Context, t *behaviour.Transfer) error {
	if t.Access == behaviour.Write && g.refuses(t) {
		return errLoginNeeded
	}
	return g.Handler.Open(ctx, t)
}

// Unwrap returns the route's handler.
func (g httpGate) Unwrap() behaviour.Handler { return g.Handler }

// The changes other than uploads pass through only where an upload would:
// the HTTP daemon makes none of them today, and one it makes later must
// not slip past the gate.

func (g httpGate) WriterAt(t *behaviour.Transfer) (io.WriterAt, bool) {
	if g.refuses(t) {
		return nil, false
	}
	return g.PassMutations.WriterAt(t)
}

func (g httpGate) Remove(ctx context.Context, t *behaviour.Transfer) error {
	if g.refuses(t) {
		return errLoginNeeded
	}
	return g.PassMutations.Remove(ctx, t)
}

func (g httpGate) Rename(ctx context.Context, t *behaviour.Transfer, newName string) error {
	if g.refuses(t) {
		return errLoginNeeded
	}
	return g.PassMutations.Rename(ctx, t, newName)
}

func (g httpGate) Mkdir(ctx context.Context, t *behaviour.Transfer) error {
	if g.refuses(t) {
		return errLoginNeeded
	}
	return g.PassMutations.Mkdir(ctx, t)
}

func (g httpGate) Rmdir(ctx context.Context, t *behaviour.Transfer) error {
	if g.refuses(t) {
		return errLoginNeeded
	}
	return g.PassMutations.Rmdir(ctx, t)
}

func (g httpGate) Chmod(ctx context.Context, t *behaviour.Transfer, mode fs.FileMode) error {
	if g.refuses(t) {
		return errLoginNeeded
	}
	return g.PassMutations.Chmod(ctx, t, mode)
}

func (g httpGate) Chtimes(ctx context.Context, t *behaviour.Transfer, atime, mtime time.Time) error {
	if g.refuses(t) {
		return errLoginNeeded
	}
	return g.PassMutations.Chtimes(ctx, t, atime, mtime)
}

// AnonymousUploads returns the function daemon.HTTP.AnonymousUploads
// wants: whether the route of reg that a name is dispatched to sets
// anonymous_uploads. reg holds the routes of a RouteSet, as serve sets
// them; a name no route matches, or whose match fails, may not be
// uploaded anonymously.
func AnonymousUploads(reg *registry.Registry) func(name string) bool {
	return func(name string) bool {
		g, ok := gateOf(reg, name)
		return ok && g.anonymous
	}
}

// Listings returns the function daemon.HTTP.Listings wants: whether the
// route of reg that a directory's name ("." for the root) is dispatched
// to sets listing. A name no route matches is not listed.
func Listings(reg *registry.Registry) func(name string) bool {
	return func(name string) bool {
		g, ok := gateOf(reg, name)
		return ok && g.listing
	}
}

// gateOf returns the gate of the route reg dispatches name to.
func gateOf(reg *registry.Registry, name string) (httpGate, bool) {
	m, err := reg.Match(name)
	if err != nil {
		return httpGate{}, false
	}
	g, ok := m.Handler.(httpGate)
	return g, ok
}
