package registry

import "github.com/filemux/filemux/behaviour"

// maxUnwrap bounds the walk down a decorator chain, against a Wrapper that
// unwraps to itself.
const maxUnwrap = 1000

// leadsTo reports whether dispatching to h can reach target: h is target,
// a decorator chain around it, or a registry with a route that leads to
// it. A registry registered inside itself would recurse until the stack
// overflows, which no recover can catch, so Register refuses it. Two
// registries registered into each other at the same instant from two
// goroutines can still slip past the check.
func leadsTo(h behaviour.Handler, target *Registry) bool {
	return reaches(h, target, make(map[*Registry]bool))
}

func reaches(h behaviour.Handler, target *Registry, seen map[*Registry]bool) bool {
	for range maxUnwrap {
		switch v := h.(type) {
		case nil:
			return false
		case *Registry:
			return v == target || registryReaches(v, target, seen)
		case behaviour.Wrapper:
			h = v.Unwrap()
		default:
			return false
		}
	}
	return true
}

func registryReaches(r, target *Registry, seen map[*Registry]bool) bool {
	if seen[r] {
		return false
	}
	seen[r] = true
	for _, rt := range r.snapshot() {
		if reaches(rt.Handler, target, seen) {
			return true
		}
	}
	return false
}
