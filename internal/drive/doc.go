// Package drive is the one place that calls a behaviour.Handler's methods
// for an engine: the TFTP daemon and client, the SFTP and SCP server and
// clients, the HTTP server, and behaviourtest all drive handlers through a Driver, so that
// the contract's rules are enforced once and the same way everywhere:
//
//   - A panic in any call is recovered and becomes a transfer failure with
//     an undefined error code; the stack goes to the engine's panic hook
//     (its log), never to the peer.
//   - After a successful Open there is exactly one ending: the Read that
//     returns io.EOF, the last Write that returns nil, or one Abort. Abort
//     is idempotent, runs only after Open and never after the ending, and
//     once a call failed no other call than Abort reaches the handler.
//   - Every call except Abort runs under the engine's deadline, if it set
//     one: a call that outlives it is reported to the engine, which
//     cancels the transfer's context.
//   - A count outside 0..len(p) from Read, ReadAt or WriteAt fails the
//     transfer (ErrBadCount); nothing is clamped.
//   - MaxZeroReads (0, nil) answers of Read in a row fail the transfer
//     (ErrNoProgress).
//   - A read whose whole content the engine sends itself (Content: a file
//     for sendfile(2), or bytes) ends like a random-access read, with
//     EndRead, and the handler is told the bytes sent before its ending,
//     EndRead's or Abort's.
package drive
