// Package handlers holds the built-in handlers and decorators of filemux:
// ready-made implementations of behaviour.Handler for the common cases.
//
// Handlers:
//   - [Dir] serves a directory, confined with os.Root, with atomic uploads
//     under a [WritePolicy].
//   - [Memory] keeps files in memory (Erlang's tftp_binary): Go code puts
//     and gets them while peers download and upload, with atomic commits,
//     snapshots for downloads and size limits. It is the store of choice in
//     tests.
//   - [NewTemplate] and [Template] render a text/template per transfer, from
//     the route's captures, the peer's address and an [Inventory] loaded
//     from YAML, JSON or CSV: zero-touch provisioning configs, iPXE scripts.
//   - [HTTP] fronts an HTTP origin: GET for reads, PUT for writes, with a
//     byte-bounded cache whose concurrent misses share one request.
//   - [S3] serves the objects of an S3 bucket (AWS, MinIO, Ceph RGW,
//     versitygw): ranged reads with read-ahead, a cache by key and ETag
//     whose concurrent misses share one GET, and uploads as multipart
//     uploads visible only once complete and aborted on every failure.
//
// Decorators wrap any handler and keep its capabilities reachable: stat,
// list and random reads through Unwrap, and the changes (remove, rename,
// mkdir, rmdir, chmod, chtimes, random writes) because each declares them
// (behaviour.PassMutations), as a decorator must now that those fail closed.
// [ReadOnly] refuses every change, [WriteOnly] takes uploads and refuses
// downloads, [Protocols] hides a handler from the protocols it does not
// list, [SizeCap] bounds the size of transfers, [Observe] calls [Hooks]
// around them, and [Actions] runs a program or posts an event once a
// transfer ended. The whole content of a read (behaviour.ContentOf: a
// Dir's open file for sendfile(2), a Memory's bytes) passes ReadOnly,
// Protocols (on the protocols it lists), Observe and Actions, which count
// it; SizeCap and WriteOnly hide it, and so does any decorator that
// wraps random reads without saying how contents pass.
//
// Every handler here is safe for concurrent use, never shows a peer an
// internal path or cause, and passes the conformance checks of
// behaviour/behaviourtest.
package handlers
