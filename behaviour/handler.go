package behaviour

import "context"

// Handler serves the virtual files of one or more transfers: the Go form of
// Erlang's tftp callback module.
//
// The lifecycle of one transfer, on the client side (the local end of a TFTP,
// SFTP or SCP client, matched on the LOCAL name):
//
//  1. Prepare(ctx, t) runs before the request is sent. t.Options holds the
//     options the caller suggested; Prepare may drop them or lower their
//     values, never add one.
//  2. The engine sends the request with the options Prepare left.
//  3. Open(ctx, t) runs with t.Options holding exactly what the server
//     accepted. Open accepts them all or returns an error (the transfer is
//     then refused and nothing else is called).
//  4. Read or Write calls move the data (see below).
//  5. Exactly one ending (see below).
//
// On the server side (TFTP daemon, SFTP and SCP servers) Prepare is never
// called:
//
//  1. Open(ctx, t) runs with t.Options holding what the peer suggested. Open
//     may drop options or lower their values, never add one: an engine that
//     finds an option the peer did not suggest refuses the transfer with
//     [ErrOptionRefused]. Open may set the size (t.SetSize) and keep its
//     per-transfer state in t.State.
//  2. Read or Write calls move the data.
//  3. Exactly one ending.
//
// Data: for a read transfer (t.Access == Read) the engine calls Read
// repeatedly; Read fills any part of p and returns io.EOF, with or without
// bytes, after the last byte. The engine, not the handler, cuts protocol
// blocks, so Read may return any length from 0 to len(p). Every engine fails
// the transfer with an undefined error when Read (or ReadAt, WriteAt) returns
// a count outside 0..len(p), and when Read answers (0, nil) 100 times in a row
// (the limit bufio puts on readers that make no progress): nothing is clamped
// or retried forever. For a write transfer the engine calls Write with
// whatever arrived (one TFTP block, one SCP chunk, contiguous SFTP data); last
// marks the final call, which may carry no bytes, and returning nil from it
// commits the file. Data must not become visible to others before the commit.
//
// The ending rule: after Open returns nil there is exactly one ending. Either
// the final Read (the one returning io.EOF) or the final Write (last == true)
// returns nil, and the transfer succeeded; or Abort is called exactly once,
// whatever went wrong: the handler's own error (including an error from the
// final Read or Write), an ERROR from the peer, a timeout, a panic in a
// callback, a limit exceeded, the server shutting down or the peer going away.
// Nothing is called after the ending. When Open returns an error, nothing
// follows: Open cleans up after itself.
//
// Random access: when t.State (or a decorator, see [ReaderAt] and [WriterAt])
// offers io.ReaderAt or io.WriterAt, an engine such as the SFTP server may
// move the data with ReadAt or WriteAt instead of Read or Write, possibly
// concurrently. It then ends a successful write with Write(t, nil, true) and a
// successful read with Read(t, nil), to which the handler answers (0, io.EOF).
//
// Concurrency: methods are called concurrently for different transfers, so a
// Handler must be safe for concurrent use. The calls for one transfer never
// overlap (apart from ReadAt and WriteAt as said above), and every call that
// follows another sees its effects. Engines do not call the methods of a
// transfer after its ending.
//
// Contexts and deadlines: ctx of Prepare and Open, and t.Context() during
// Read and Write, are cancelled when the transfer is abandoned or when a call
// runs longer than the engine allows (twice the TFTP timeout). The engine then
// answers the peer at once and calls Abort once the late call has returned, so
// that the calls of one transfer never overlap.
//
// Panics: a panic in any method is recovered by the engine, which answers the
// peer with an undefined error (TFTP code 0, SFTP FAILURE), calls Abort (when
// Open had succeeded) and keeps serving.
//
// Errors: return an [*Error] (or wrap one) to choose the protocol code and the
// text the peer sees; see [Classify]. Any other error reaches the peer as an
// undefined error with a generic text: causes and paths are for logs only.
type Handler interface {
	// Prepare runs on the client side only, before the request is sent. It may
	// drop or lower the suggested options in t.Options, never add one.
	Prepare(ctx context.Context, t *Transfer) error
	// Open opens the virtual file named t.Name for t.Access. On the server side
	// t.Options holds the peer's suggestions, which Open may drop or lower; on
	// the client side it holds what the server accepted, all of which Open
	// must accept or fail.
	Open(ctx context.Context, t *Transfer) error
	// Read returns the next bytes of the file, and io.EOF after the last one.
	Read(t *Transfer, p []byte) (int, error)
	// Write consumes the next bytes. last marks the final call, which may
	// carry no bytes; returning nil from it commits the file.
	Write(t *Transfer, p []byte, last bool) error
	// Abort ends a transfer that failed after Open succeeded. err says why.
	Abort(t *Transfer, err error)
}
