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
// [PassMutations]). Adapters ([ReadFunc], [WriteFunc], [Bytes], [FS], [Base]) make
// the easy cases one line.
//
// The package imports only the standard library and performs no I/O itself.
package behaviour
