package behaviour

import "context"

// A Handler serves the virtual files of transfers: the Go form of Erlang's
// tftp callback module.
//
// For each transfer the engine calls Open, then Read (a download) or Write
// (an upload) until the transfer ends, and nothing after the end. The final
// Read returning io.EOF, or the final Write (last == true) returning nil,
// ends it with success and commits an upload, which must not be visible to
// others before. Any failure after a successful Open (the handler's error,
// the peer's, a timeout, a panic, a limit, shutdown) ends it with exactly one
// call to Abort. When Open fails nothing follows. Prepare runs only on the
// client side, before the request is sent.
//
// Prepare on the client side, and Open on the server side, may drop options
// from t.Options or lower their values, never add one; a client's Open
// accepts all the server accepted or fails. Open may set the size
// (t.SetSize) and keep per-transfer state in t.State. The engine cuts protocol blocks: Read may return any
// length, and Write receives whatever arrived.
//
// Methods are called concurrently for different transfers but never at
// once for one transfer (random access aside), and the context of a call
// is cancelled when the transfer is abandoned or the call runs too long.
//
// An error reaches the peer as [Classify] maps it: an [*Error] with its code
// and message; fs.ErrNotExist, fs.ErrPermission, fs.ErrExist and ENOSPC (or
// EDQUOT, EFBIG) as not found, access violation, file exists and disk full,
// with their standard text; anything else as an undefined error with a
// generic text.
// Causes and paths stay in logs. A panic is recovered: the peer gets an
// undefined error, Abort runs (when Open had succeeded) and the engine keeps
// serving.
//
// Every engine fails the transfer with an undefined error when Read (or
// ReadAt, WriteAt) returns a count outside 0..len(p), and when Read answers
// (0, nil) 100 times in a row: nothing is clamped or retried forever.
//
// The package documentation details the client and server lifecycles,
// random access, concurrency and deadlines.
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
