// Package scp is the legacy SCP wire codec that filemux's daemon (the sink
// of `scp -t` and the source of `scp -f`) and its client share: the line
// reader with its length bound, acknowledgements, the C, D, E and T records,
// file-name checks, printable text for messages and the spool that learns
// the size of a source that does not tell it. The protocol flow of each side
// stays with that side.
//
// # Decisions
//
// The rules are the strictest either side had. A record line holds at most
// [MaxLine] bytes; a mode is three or four octal digits within 07777, of
// which only the permission bits are kept; a size or time is plain decimal
// digits, a size at most [MaxSize]; a name is at most [MaxName] bytes of
// valid UTF-8 without '/', '\\' or control characters (C0, DEL and C1) and
// is neither "." nor ".." (CVE-2018-20685, CVE-2019-6111). Text from the
// peer passes through [Printable] before it is shown (CVE-2019-6109).
//
// The end of input at a record boundary is io.EOF and nothing else; cut
// in the middle of a line (an error line included) it is
// io.ErrUnexpectedEOF. Whether io.EOF is a clean end is for the caller to
// decide: the daemon's sink ends cleanly when its source stops between
// records, while a client that waits for a record or an answer has been
// cut off.
//
// The errors of a refused record are [*behaviour.Error] values whose
// message names what was wrong and never holds the peer's bytes, so a side
// may send it back. [Parse] and [ReadLine] return them unwrapped: compare
// with ==, since errors.Is matches a behaviour.Error by its code alone.
package scp
