// Package client is filemux's TFTP client, in the shape of Erlang's
// tftp:read_file and tftp:write_file: the local end of a transfer is a
// behaviour.Handler too. A download goes into a local path (atomically), an
// io.Writer, memory, or the Handler a registry picks by the LOCAL name; an
// upload comes from the mirror images of each.
//
// A [Client] names the server and the options to ask for (blksize,
// windowsize, timeout, tsize, extra options), the retry budget, a maximum
// size, a digest to verify and a progress callback. Errors are [*Error]
// values naming the file and the server; their cause tells the classes
// apart: [*ServerError] carries the server's code and message,
// [ErrTimeout], [ErrProtocol], [ErrIntegrity] and [ErrTooLarge] are
// sentinels for errors.Is. Cancelling the context ends a transfer at once
// and tells the server with an ERROR.
//
// The wire work (packets, negotiation, windows, retransmission, rollover)
// is done by the same engine as the daemon's, internal/tftp.
package client
