package registry

import (
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/filemux/filemux/behaviour"
)

// Route is one registered pattern and its handler, as Routes reports it.
type Route struct {
	// Pattern is the pattern as registered, before anchoring.
	Pattern string
	Handler behaviour.Handler
	// Where is the file:line that registered the route (or, for routes
	// given to SetRoutes with Where set, whatever the caller put there,
	// such as a line of a configuration file).
	Where string
}

// route is a compiled Route. It never changes once built: replacing a route
// builds a new one, so a transfer that holds the old one keeps its handler.
type route struct {
	Route
	re *regexp2.Regexp
}

// syntax is the regexp2 flavour of every pattern: RE2 compatibility keeps
// all of regexp2's features, adds Go's (?P<name>...) and makes \d, \s, \w
// and $ behave as in Go's regexp package.
const syntax = regexp2.RE2

// compile checks and compiles rt.Pattern anchored at both ends. The pattern
// is first compiled alone, so that one like `a)|(b` cannot escape the
// anchoring group, and the anchored form must have the same groups.
func compile(rt Route, timeout time.Duration) (*route, error) {
	switch {
	case rt.Pattern == "":
		return nil, ErrEmptyPattern
	case rt.Handler == nil:
		return nil, ErrNilHandler
	}
	alone, err := regexp2.Compile(rt.Pattern, syntax)
	if err != nil {
		return nil, err
	}
	// \z, not $: it is the end of the name whatever the flags say.
	re, err := regexp2.Compile(`^(?:`+rt.Pattern+`)\z`, syntax)
	if err != nil || !sameGroups(alone, re) {
		return nil, ErrAnchor
	}
	re.MatchTimeout = timeout
	return &route{Route: rt, re: re}, nil
}

func sameGroups(a, b *regexp2.Regexp) bool {
	an, bn := a.GetGroupNames(), b.GetGroupNames()
	if len(an) != len(bn) {
		return false
	}
	for i := range an {
		if an[i] != bn[i] {
			return false
		}
	}
	return true
}

// match matches the whole of name. A nil match with a nil error means no
// match; an error means the match timed out.
func (r *route) match(name []rune) (*regexp2.Match, error) {
	m, err := r.re.FindRunesMatch(name)
	if err != nil {
		// regexp2 fails only on timeout, and its text holds the name.
		return nil, timeoutError(r)
	}
	return m, nil
}

// params returns the named captures of m in group order. Numbered groups
// are left out: regexp2 names them with their decimal number.
func params(m *regexp2.Match) []behaviour.Param {
	var ps []behaviour.Param
	for _, g := range m.Groups()[1:] {
		if _, err := strconv.Atoi(g.Name); err == nil {
			continue
		}
		ps = append(ps, behaviour.Param{Name: g.Name, Value: g.String()})
	}
	return ps
}

// caller returns the file:line of the caller of the exported function that
// calls it.
func caller() string {
	_, file, line, ok := runtime.Caller(2)
	if !ok {
		return "unknown"
	}
	return fmt.Sprintf("%s:%d", file, line)
}
