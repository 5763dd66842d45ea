// Package client holds filemux's TFTP, SFTP, SCP and HTTP clients. The TFTP client is in the shape of Erlang's
// tftp:read_file and tftp:write_file: the local end of a transfer is a
// behaviour.Handler too. A download goes into a local path (atomically), an
// io.Writer, memory, or the Handler a registry picks by the LOCAL name; an
// upload comes from the mirror images of each.
//
// A [TFTP] names the server and the options to ask for (blksize,
// windowsize, timeout, tsize, extra options), the retry budget, a maximum
// size, a digest to verify and a progress callback. Cancelling the context
// ends a transfer at once and tells the server with an ERROR.
//
// The wire work (packets, negotiation, windows, retransmission, rollover)
// is done by the same engine as the daemon's, internal/tftp.
//
// [SFTP] downloads and uploads over SSH with github.com/pkg/sftp's client
// (parallel requests, a chunk size, progress, a digest to verify, a maximum
// size) to the same local kinds but the Handler. [SSH] holds the connection
// settings: user, password, key file, and host key verification against a
// known_hosts file, where an unknown key is refused unless AcceptNewHostKey
// says otherwise and a changed key always is.
//
// [SCP] moves single files with the legacy SCP protocol (the remote
// command scp -f or scp -t), which network devices without an SFTP server
// speak, with the same SSH settings, error classes and local kinds as
// SFTP. A download accepts only the file it asked for: any other name, a
// path, a directory or a size past MaxSize is refused (CVE-2019-6111).
//
// [HTTP] downloads with GET and uploads with PUT over net/http, to and
// from the same local kinds, the Handler included: basic or bearer
// authentication, HTTPS with a CA file, ranges ([HTTP.ReadRange]) and
// resumed downloads ([HTTP.ResumeReadFile]); a status that is not a
// success is a [*StatusError], classed as the other protocols' answers
// (404 is behaviour.ErrNotFound, 401 and 403 behaviour.ErrAccessViolation,
// 413 and 507 behaviour.ErrDiskFull).
//
// The four clients have the same methods (ReadFile, ReadTo, ReadBytes,
// ReadHandler, WriteFile, WriteFrom, WriteBytes, WriteHandler), each
// returning a [Result], and one
// error type: every failure is an [*Error] naming the protocol, the
// operation, the file and the server. When the server refused the file,
// its class is behaviour's sentinel of the reason on every protocol, so
// errors.Is(err, behaviour.ErrNotFound) holds for a missing file on
// tftp://, sftp://, scp:// and http:// alike; [ErrTimeout], [ErrAuthentication],
// [ErrHostKeyMismatch], [ErrHostKeyUnknown], [ErrConnectionRefused] and
// [ErrOther] class the rest, and the cause tells [*ServerError],
// [ErrProtocol], [ErrIntegrity] and [ErrTooLarge] apart.
package client
