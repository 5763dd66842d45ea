package registry

import (
	"errors"
	"fmt"

	"github.com/filemux/filemux/behaviour"
)

// Causes for errors.Is. Dispatch wraps them in a *behaviour.Error whose peer
// message never names the file; registration wraps them in a *PatternError.
var (
	// ErrNoRoute is the cause of a name that no route matches.
	ErrNoRoute = errors.New("registry: no route matches")
	// ErrMatchTimeout is the cause of a match that ran out of time.
	ErrMatchTimeout = errors.New("registry: pattern match timed out")
	// ErrNotOpen is the cause of a Read, Write or random-access request
	// for a transfer that this registry did not prepare or open.
	ErrNotOpen = errors.New("registry: transfer not opened by this registry")
	// ErrCrossRoute is the cause of a rename whose target name belongs to
	// another route (or to none).
	ErrCrossRoute = errors.New("registry: rename target belongs to another route")

	// ErrEmptyPattern refuses the empty pattern.
	ErrEmptyPattern = errors.New("empty pattern")
	// ErrNilHandler refuses a route without a handler.
	ErrNilHandler = errors.New("nil handler")
	// ErrDuplicate refuses a pattern that is already registered.
	ErrDuplicate = errors.New("pattern already registered")
	// ErrUnknownPattern refuses to replace or remove a pattern that is not registered.
	ErrUnknownPattern = errors.New("pattern not registered")
	// ErrIndex refuses an Insert position outside the route list.
	ErrIndex = errors.New("insert position out of range")
	// ErrCycle refuses a handler through which the registry would dispatch
	// to itself, which would recurse without end.
	ErrCycle = errors.New("handler leads back to this registry")
	// ErrAnchor refuses a pattern that compiles alone but not once
	// anchored, such as one ending in a (?x) comment.
	ErrAnchor = errors.New("pattern cannot be anchored")
)

// PatternError is the error of a refused registration, replacement or
// removal: the pattern, where the call came from and why.
type PatternError struct {
	Pattern string
	// Where is the file:line of the call that was refused.
	Where string
	// Err is the reason: one of the registration errors above or a
	// regexp2 syntax error.
	Err error
}

// Error names the place, the pattern and the reason.
func (e *PatternError) Error() string {
	return fmt.Sprintf("registry: %s: pattern %q: %v", e.Where, e.Pattern, e.Err)
}

// Unwrap returns the reason.
func (e *PatternError) Unwrap() error { return e.Err }

// noRoute is the dispatch error for a name no route matches: file not found
// for reads, access violation for writes (Erlang's enoent and eacces).
func noRoute(access behaviour.Access) error {
	if access == behaviour.Write {
		return behaviour.ErrAccessViolation.With(ErrNoRoute)
	}
	return behaviour.ErrNotFound.With(ErrNoRoute)
}

// timeoutError is the dispatch error of a match that ran out of time. The
// cause names the pattern and the limit but never the input, because
// regexp2's own error text repeats the whole file name.
func timeoutError(r *route) error {
	return &behaviour.Error{
		Code:    behaviour.CodeUndefined,
		Message: "internal error",
		Err:     fmt.Errorf("%w: pattern %q after %v", ErrMatchTimeout, r.Pattern, r.re.MatchTimeout),
	}
}

var errNotOpen = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "internal error", Err: ErrNotOpen}
