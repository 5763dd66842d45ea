// Package interop holds tests, and nothing else: they run filemux's TFTP
// daemon on loopback and transfer random files with real clients that no
// one here wrote (curl, tftp-hpa, atftp, busybox, Erlang's tftp, the node
// tftp package, pin/tftp), both ways, checking every byte by SHA-256, and
// check the error codes those clients see. The programs come from Debian's
// packages and npm, installed by .ci/run; see package internal/peers.
package interop
