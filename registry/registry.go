package registry

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// DefaultMatchTimeout bounds one pattern match when Registry.MatchTimeout is
// zero. regexp2 checks its clock about every 100ms, so budgets well below
// that are not kept, and a busy machine can make a match time out a little
// early: keep budgets in the hundreds of milliseconds.
const DefaultMatchTimeout = 300 * time.Millisecond

// Registry dispatches transfers to the first route whose pattern matches
// the whole file name. It is a behaviour.Handler itself, so engines and
// other registries take it like any handler.
//
// The zero value is an empty registry ready to use. Routes may be added,
// replaced and removed at any time, also while transfers run: dispatch reads
// an immutable snapshot of the routes, and a transfer keeps the handler it
// was opened with until its ending. A Registry must not be copied after
// first use.
type Registry struct {
	// MatchTimeout bounds each pattern match; zero or negative means
	// DefaultMatchTimeout (a match can never run unbounded). A route takes
	// the value in force when it is registered, so set it first.
	MatchTimeout time.Duration

	// mu serialises writers; readers only load routes.
	mu     sync.Mutex
	routes atomic.Pointer[[]*route]
}

func (r *Registry) timeout() time.Duration {
	if r.MatchTimeout <= 0 {
		return DefaultMatchTimeout
	}
	return r.MatchTimeout
}

// snapshot returns the current routes, which nobody may modify.
func (r *Registry) snapshot() []*route {
	if p := r.routes.Load(); p != nil {
		return *p
	}
	return nil
}

// Register appends a route for pattern after every existing one, so that
// it matches only names the earlier routes leave (Erlang's first-match
// order). The pattern must match the whole cleaned file name (see the
// package documentation). An empty or invalid pattern, a pattern already
// registered, a nil handler, or a handler that leads back to r is refused
// with a *PatternError naming the pattern and the caller's file:line.
func (r *Registry) Register(pattern string, h behaviour.Handler) error {
	return r.insert(-1, Route{pattern, h, caller()})
}

// MustRegister is Register for patterns known when the program is written:
// it panics when Register would fail.
func (r *Registry) MustRegister(pattern string, h behaviour.Handler) {
	if err := r.insert(-1, Route{pattern, h, caller()}); err != nil {
		panic(err)
	}
}

// Insert places a route at position i of the route list (0 is first, so it
// wins over every existing route, such as a catch-all), shifting the rest
// down. i == len(Routes()) appends. It refuses what Register refuses, and a
// position outside 0..len(Routes()).
func (r *Registry) Insert(i int, pattern string, h behaviour.Handler) error {
	if i < 0 {
		return &PatternError{pattern, caller(), ErrIndex}
	}
	return r.insert(i, Route{pattern, h, caller()})
}

// Replace gives the route registered for pattern a new handler, keeping its
// place in the order. Transfers already opened keep the old handler. It
// fails with ErrUnknownPattern when no route has that pattern.
func (r *Registry) Replace(pattern string, h behaviour.Handler) error {
	rt, err := r.build(Route{pattern, h, caller()})
	if err != nil {
		return err
	}
	return r.update(rt.Route, func(routes []*route) ([]*route, error) {
		i := index(routes, pattern)
		if i < 0 {
			return nil, ErrUnknownPattern
		}
		routes[i] = rt
		return routes, nil
	})
}

// Unregister deletes the route registered for pattern. Transfers already
// opened through it run to their ending. It fails with ErrUnknownPattern
// when no route has that pattern. (Remove is the behaviour.Remover
// capability, which deletes a file.)
func (r *Registry) Unregister(pattern string) error {
	return r.update(Route{Pattern: pattern, Where: caller()}, func(routes []*route) ([]*route, error) {
		i := index(routes, pattern)
		if i < 0 {
			return nil, ErrUnknownPattern
		}
		return slices.Delete(routes, i, i+1), nil
	})
}

// SetRoutes replaces every route at once with routes, in order: either all
// of them are taken or, on the first refused one, none, and the registry is
// unchanged. A route with an empty Where gets the caller's file:line; a
// configuration loader can set Where to the file and line of the route.
// It is the way to reload a whole configuration while transfers run.
func (r *Registry) SetRoutes(routes []Route) error {
	where := caller()
	built := make([]*route, 0, len(routes))
	for _, rt := range routes {
		if rt.Where == "" {
			rt.Where = where
		}
		c, err := r.build(rt)
		if err != nil {
			return err
		}
		if i := index(built, rt.Pattern); i >= 0 {
			return &PatternError{rt.Pattern, rt.Where, duplicateOf(built[i])}
		}
		built = append(built, c)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes.Store(&built)
	return nil
}

// Routes returns a copy of the routes, in match order.
func (r *Registry) Routes() []Route {
	snap := r.snapshot()
	out := make([]Route, len(snap))
	for i, rt := range snap {
		out[i] = rt.Route
	}
	return out
}

// insert compiles rt and places it at i, or appends it when i < 0.
func (r *Registry) insert(i int, rt Route) error {
	c, err := r.build(rt)
	if err != nil {
		return err
	}
	return r.update(rt, func(routes []*route) ([]*route, error) {
		if j := index(routes, rt.Pattern); j >= 0 {
			return nil, duplicateOf(routes[j])
		}
		if i < 0 {
			i = len(routes)
		}
		if i > len(routes) {
			return nil, ErrIndex
		}
		return slices.Insert(routes, i, c), nil
	})
}

// build compiles rt outside the writers' lock, since compiling is slow.
func (r *Registry) build(rt Route) (*route, error) {
	c, err := compile(rt, r.timeout())
	if err == nil && leadsTo(rt.Handler, r) {
		err = ErrCycle
	}
	if err != nil {
		return nil, &PatternError{rt.Pattern, rt.Where, err}
	}
	return c, nil
}

// update applies change to a private copy of the routes and publishes it,
// so that readers never see a half-made list.
func (r *Registry) update(rt Route, change func([]*route) ([]*route, error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	routes, err := change(slices.Clone(r.snapshot()))
	if err != nil {
		return &PatternError{rt.Pattern, rt.Where, err}
	}
	r.routes.Store(&routes)
	return nil
}

func index(routes []*route, pattern string) int {
	return slices.IndexFunc(routes, func(rt *route) bool { return rt.Pattern == pattern })
}

// duplicateOf names the earlier registration, as net/http's ServeMux does.
func duplicateOf(rt *route) error {
	return &duplicateError{where: rt.Where}
}

type duplicateError struct{ where string }

func (e *duplicateError) Error() string { return ErrDuplicate.Error() + " at " + e.where }

func (e *duplicateError) Is(target error) bool { return target == ErrDuplicate }
