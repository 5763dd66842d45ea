// Package behaviour is the filemux contract: the Go form of Erlang/OTP's tftp
// callback behaviour, shared by every engine (TFTP daemon and client, SFTP and
// SCP servers).
//
// A [Handler] serves virtual files. Engines build a [Transfer] for each request,
// normalise its file name with [CleanName], and hand it to the Handler, usually a
// *registry.Registry that dispatches to the first route whose pattern matches.
// Errors carry protocol codes ([Error], [Code]) that map to a TFTP error code,
// an SFTP status and an SCP message, with a peer-safe text kept apart from the
// cause. Optional capabilities (random access, stat, list, remove, rename,
// mkdir, rmdir, chmod, chtimes) are small interfaces found through helpers:
// those that only look see through decorators, those that change something
// fail closed, reaching only what a decorator declares (see [Wrapper] and
// [PassMutations]). Adapters ([ReadFunc], [WriteFunc], [Bytes], [FS], [Base])
// make the easy cases one line.
//
// The package imports only the standard library and performs no I/O itself.
//
// # Client side
//
// The local end of a TFTP, SFTP or SCP client is a Handler too, matched on
// the LOCAL name:
//
//  1. Prepare(ctx, t) runs before the request is sent. t.Options holds the
//     options the caller suggested; Prepare may drop them or lower their
//     values, never add one.
//  2. The engine sends the request with the options Prepare left.
//  3. Open(ctx, t) runs with t.Options holding exactly what the server
//     accepted. Open accepts them all or returns an error (the transfer is
//     then refused and nothing else is called).
//  4. Read or Write calls move the data.
//  5. Exactly one ending.
//
// # Server side
//
// The TFTP daemon and the SFTP and SCP servers never call Prepare:
//
//  1. Open(ctx, t) runs with t.Options holding what the peer suggested. Open
//     may drop options or lower their values, never add one: an engine that
//     finds an option the peer did not suggest refuses the transfer with
//     [ErrOptionRefused]. Open may set the size (t.SetSize) and keep its
//     per-transfer state in t.State. On an upload, t.Size() already holds
//     the size the peer announced, if any (TFTP's tsize, SCP's file record).
//  2. Read or Write calls move the data.
//  3. Exactly one ending.
//
// # Data and the ending
//
// For a read transfer (t.Access == Read) the engine calls Read repeatedly;
// Read fills any part of p and returns io.EOF, with or without bytes, after
// the last byte. For a write transfer the engine calls Write with whatever
// arrived (one TFTP block, one SCP chunk, contiguous SFTP data); last marks
// the final call, which may carry no bytes, and returning nil from it commits
// the file. Data must not become visible to others before the commit.
//
// After Open returns nil there is exactly one ending. Either the final Read
// (the one returning io.EOF) or the final Write (last == true) returns nil,
// and the transfer succeeded; or Abort is called exactly once, whatever went
// wrong: the handler's own error (including an error from the final Read or
// Write), an ERROR from the peer, a timeout, a panic in a callback, a limit
// exceeded, the server shutting down or the peer going away. Nothing is
// called after the ending. When Open returns an error, nothing follows: Open
// cleans up after itself.
//
// # Random access
//
// When a handler offers io.ReaderAt or io.WriterAt (see [ReaderAt] and
// [WriterAt]), an engine such as the SFTP server may move the data with
// ReadAt or WriteAt instead of Read or Write, possibly concurrently. It then
// ends a successful write with Write(t, nil, true) and a successful read with
// Read(t, nil), to which the handler answers (0, io.EOF). A handler that
// offers its whole content (see [ContentOf]: an open file or bytes) lets an
// engine send it without reading it, as the HTTP server hands a file to
// sendfile(2); such a read ends with Read(t, nil) too.
//
// # Concurrency, contexts and deadlines
//
// Methods are called concurrently for different transfers, so a Handler must
// be safe for concurrent use. The calls for one transfer never overlap (apart
// from ReadAt and WriteAt as said above), and every call that follows another
// sees its effects.
//
// ctx of Prepare and Open, and t.Context() during Read and Write, are
// cancelled when the transfer is abandoned or when a call runs longer than
// the engine allows (twice the TFTP timeout). The engine then answers the
// peer at once and calls Abort once the late call has returned, so that the
// calls of one transfer never overlap.
//
// # Errors and panics
//
// Return an [*Error] (or wrap one) to choose the protocol code and the text
// the peer sees. Other errors are mapped by [Classify]: fs.ErrNotExist is not
// found, fs.ErrPermission an access violation, fs.ErrExist file exists,
// ENOSPC, EDQUOT and EFBIG disk full, each with its code's standard text; a
// context's deadline or cancellation is an undefined error that says so, and
// anything else reaches the peer as an undefined error with a generic text.
// Causes and paths are for logs only. A panic in any method is recovered by
// the engine, which answers the peer with an undefined error (TFTP code 0,
// SFTP FAILURE), calls Abort (when Open had succeeded) and keeps serving.
package behaviour
