// Package config loads filemux's YAML configuration file and builds what
// it describes: the routes, as registry routes over the built-in handlers,
// and the daemons' settings.
//
// [Load] and [Parse] decode the file through yaml.v3's node tree, so that
// every problem is reported with its file, line, column and key
// ([Error], [Errors]): unknown keys, values of the wrong kind, ranges,
// patterns (compiled by the registry), and keys that do not fit together
// (a template key that is not a capture of the route, an HTTP timeout the
// TFTP daemon would not wait for). [File.Build] then opens what the routes
// name and returns a [RouteSet] for registry.SetRoutes; a reload builds a
// new set, swaps it in, and retires the old one, which closes its
// directories once its last transfer ended.
//
// A route's match must match the whole file name, as a pattern given to
// the registry in Go does: 'boot/.*' takes the names under boot/. Each
// route is, from the outside in: a
// protocol filter, an access filter, completion actions, a size cap and
// the handler (dir, memory, template or http).
//
// The reference of the file, docs/config.md, is generated from the types
// and doc comments of this package by a test, which fails when a key has
// no doc comment or the reference is stale.
package config
