package registry

import (
	"fmt"

	"github.com/filemux/filemux/behaviour"
)

// Match is what a name gets from a registry: the route that wins, its place
// in the order and the named captures that become t.Params.
type Match struct {
	Route
	// Index is the position of the route in Routes() when it matched.
	Index  int
	Params []behaviour.Param
}

// Match reports which route a cleaned file name would be dispatched to, and
// its captures, without calling any handler: the answer of `filemux match`.
// When no route matches, the error wraps ErrNoRoute and says how many
// routes were tried; when a match runs out of time, it wraps
// ErrMatchTimeout and names the pattern. The name is never part of the
// error.
func (r *Registry) Match(name string) (Match, error) {
	snap := r.snapshot()
	i, ps, err := find(snap, name)
	switch {
	case err != nil:
		return Match{Index: -1}, err
	case i < 0:
		return Match{Index: -1}, fmt.Errorf("%w (%d routes tried)", ErrNoRoute, len(snap))
	}
	return Match{Route: snap[i].Route, Index: i, Params: ps}, nil
}

// find returns the index of the first route of routes that matches name,
// with its captures, or -1. A timeout ends the search: trying the next
// route would hand the name to a route its author did not mean it for.
func find(routes []*route, name string) (int, []behaviour.Param, error) {
	runes := []rune(name)
	for i, rt := range routes {
		m, err := rt.match(runes)
		if err != nil {
			return -1, nil, err
		}
		if m != nil {
			return i, params(m), nil
		}
	}
	return -1, nil, nil
}
