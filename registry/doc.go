// Package registry dispatches transfers to handlers by file name: the
// callback table of Erlang's tftp ({callback, {RegExp, Module, State}}),
// done so that it can change while serving.
//
// A [Registry] holds routes, each a pattern and a behaviour.Handler. A name
// goes to the first route, in order, whose pattern matches the whole name.
// A *Registry is itself a behaviour.Handler, so the daemons and the client
// take it like any handler, and a registry can be a route of another.
//
// # Names
//
// The registry matches t.Name, the name the engine has already cleaned with
// behaviour.CleanName: relative, slash-separated, without "." or ".."
// components or control characters. It does not clean it again, so
// patterns are written against cleaned names ("pxelinux.cfg/default", not
// "/pxelinux.cfg/default"), and anyone who calls a Registry directly must
// clean the name first. On the client side, Prepare and Open match the
// LOCAL name, as Erlang does.
//
// # Patterns
//
// Patterns are github.com/dlclark/regexp2 expressions compiled in its RE2
// compatibility mode: backreferences and lookarounds are there, Go's
// (?P<name>...) works beside (?<name>...), and \d, \s, \w and $ behave as in
// Go's regexp package. A pattern is anchored at both ends: `confg` matches
// "confg" and not "x-confg-y"; a leading ^ or trailing $ does no harm. Named
// groups become t.Params, in the order they appear, and the route's pattern
// becomes t.Pattern; unnamed groups are not reported. When registries are
// nested, the innermost route that matches sets both.
//
// # Match timeout
//
// regexp2 backtracks, so a careless pattern such as `(a+)+$` can take
// exponential time on a hostile name. Every match runs under
// Registry.MatchTimeout (DefaultMatchTimeout when zero). The budget is per
// pattern tried, so a name that crawls through n slow patterns can take n
// budgets. A match that runs out of time refuses the request with an undefined error whose peer
// message is generic and whose cause names the pattern, never the file
// name; the routes after it are not tried, since the name could otherwise
// reach a handler not meant for it.
//
// # Changes while serving
//
// Register, Insert, Replace, Unregister and SetRoutes may be called at any
// time from any goroutine. Dispatch reads an immutable snapshot without
// locking; a transfer keeps the handler chosen by its Prepare or Open until
// its ending, even when its route is replaced or removed meanwhile. Read,
// Write and Abort cost one lookup in the transfer and no allocation.
package registry
