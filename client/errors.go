package client

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// Sentinels for the causes of failure that are neither the server's answer
// (see [ServerError] and [Error.Class]) nor the local handler's own error.
// Test them with errors.Is.
var (
	// ErrTimeout: the server stopped answering within the retry budget.
	ErrTimeout = errors.New("server stopped answering")
	// ErrProtocol: the server broke the protocol or answered with options
	// it must not send (unrequested, raised, out of range), so the client
	// refused to go on and told the server with an ERROR.
	ErrProtocol = errors.New("server broke the protocol")
	// ErrIntegrity: the file arrived whole but its digest is not the
	// expected one; nothing was committed locally.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrTooLarge: the file is larger than the client's MaxSize, as announced by
	// the server's tsize or found while receiving.
	ErrTooLarge = errors.New("file larger than the maximum size")
)

// Sentinels for the classes of failure before or beside the server's
// answer, which [Error.Class] holds and device-management scripts tell
// apart. Test them with errors.Is.
var (
	// ErrAuthentication: the server refused every credential offered.
	ErrAuthentication = errors.New("authentication failed")
	// ErrHostKeyMismatch: the known_hosts file names another key for the
	// server; over HTTPS, the server's certificate is for another name.
	// Nothing was sent to it.
	ErrHostKeyMismatch = errors.New("host key mismatch")
	// ErrHostKeyUnknown: the known_hosts file does not name the server and
	// new keys were not to be accepted; over HTTPS, the server's
	// certificate does not verify (no trusted CA signed it, or it expired).
	// Nothing was sent to it.
	ErrHostKeyUnknown = errors.New("host key unknown")
	// ErrConnectionRefused: nothing listens on the server's port.
	ErrConnectionRefused = errors.New("connection refused")
	// ErrOther: any other failure, local or remote.
	ErrOther = errors.New("transfer failed")
)

// Error is the error of every failed transfer or file operation, whatever
// the protocol: which protocol and operation, which file, which server, the
// class of the failure, what the server said, and the cause. Test the class
// with errors.Is: errors.Is(err, behaviour.ErrNotFound) holds when a TFTP,
// SFTP or SCP server answered that the file does not exist.
type Error struct {
	// Protocol is behaviour.TFTP, behaviour.SFTP, behaviour.SCP or
	// behaviour.HTTP.
	Protocol behaviour.Protocol
	// Op is what failed, named as fs.PathError names it: "read" or
	// "write" for a transfer; "stat", "list", "remove", "rename" or
	// "mkdir" for the SFTP file operations.
	Op string
	// Remote is the file name on the server, Server the address it was
	// asked from, as the client's Addr resolved.
	Remote string
	Server string
	// Class is the kind of failure. When the server refused the file it is
	// the behaviour sentinel of its reason: behaviour.ErrNotFound,
	// ErrAccessViolation, ErrDiskFull, ErrFileExists, or for TFTP the
	// sentinel of any code the server sent. Otherwise it is one of
	// [ErrTimeout], [ErrAuthentication], [ErrHostKeyMismatch],
	// [ErrHostKeyUnknown], [ErrConnectionRefused] or [ErrOther]; the
	// cause tells [ErrProtocol], [ErrIntegrity] and [ErrTooLarge] apart.
	Class error
	// Message is what the server said: the text of a TFTP ERROR, an SFTP
	// status message, an SCP warning or error line, or an HTTP status
	// line; "" when it said nothing.
	Message string
	// Err is the cause: a [*ServerError], [ErrTimeout], [ErrProtocol],
	// [ErrIntegrity], [ErrTooLarge], an SFTP status, a [*StatusError], a
	// context error, a
	// local handler's error or a network error.
	Err error
}

// newError classifies err, the failure of op on remote at server.
func newError(p behaviour.Protocol, op, remote, server string, err error) *Error {
	e := &Error{Protocol: p, Op: op, Remote: remote, Server: server, Err: err, Class: classify(p, err)}
	e.Message = serverMessage(err)
	return e
}

// Error names the protocol, the file and the server, then the class and
// the cause.
func (e *Error) Error() string {
	dir := "on"
	switch e.Op {
	case "read":
		dir = "from"
	case "write":
		dir = "to"
	}
	cause := fmt.Sprint(e.Err)
	// A TFTP cause names the server's answer itself; SSH causes often
	// start with the class already.
	if class := fmt.Sprint(e.Class); e.Protocol != behaviour.TFTP && e.Class != nil && !strings.HasPrefix(cause, class) {
		cause = class + ": " + cause
	}
	return fmt.Sprintf("%s %s %q %s %s: %s", e.Protocol, e.Op, e.Remote, dir, e.Server, cause)
}

// Unwrap returns the class and the cause, so that errors.Is matches both.
func (e *Error) Unwrap() []error { return []error{e.Class, e.Err} }

// Timeout reports whether the server stopped answering, as net.Error does.
func (e *Error) Timeout() bool { return e.Class == ErrTimeout }

// ServerError is an ERROR packet the server sent: its code and message,
// exactly as they came off the wire.
type ServerError struct {
	Code    behaviour.Code
	Message string
}

// Error says what the server answered.
func (e *ServerError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code.String()
	}
	return "server answered: " + strconv.Quote(msg) + " (code " + strconv.Itoa(int(e.Code)) + ", " + e.Code.String() + ")"
}

// Is reports whether target is a *behaviour.Error with the same code, so
// that errors.Is(err, behaviour.ErrNotFound) holds when the server answered
// "file not found".
func (e *ServerError) Is(target error) bool {
	t, ok := target.(*behaviour.Error)
	return ok && t.Code == e.Code
}

// IntegrityError details an [ErrIntegrity]: the algorithm and both digests.
type IntegrityError struct {
	Algorithm Algorithm
	Want, Got []byte
}

// Error names the algorithm and both digests in hex.
func (e *IntegrityError) Error() string {
	return fmt.Sprintf("%v: %s is %x, want %x", ErrIntegrity, e.Algorithm, e.Got, e.Want)
}

// Unwrap returns ErrIntegrity.
func (e *IntegrityError) Unwrap() error { return ErrIntegrity }

// integrityError is an [IntegrityError] as the server sees it.
func integrityError(e *IntegrityError) error {
	return &behaviour.Error{Code: behaviour.CodeUndefined, Message: "integrity check failed", Err: e}
}

// protocolError is an [ErrProtocol] with what the server did wrong. It is a
// *behaviour.Error too, so that the engine and the handshake send the server
// an ERROR with its code.
func protocolError(code behaviour.Code, msg string) error {
	return &behaviour.Error{Code: code, Message: msg, Err: ErrProtocol}
}

// tooLarge is [ErrTooLarge] as the server sees it: disk full.
func tooLarge() error {
	return &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "file too large", Err: ErrTooLarge}
}

// cause turns what the handshake and the engine return into the error the
// caller sees: the server's ERROR as a *ServerError, the engine's timeout as
// ErrTimeout, a protocol violation as ErrProtocol with what went wrong. The
// local handler's own errors and context errors pass unchanged.
func cause(err error) error {
	var be *behaviour.Error
	var ie *IntegrityError
	switch {
	case errors.As(err, &ie):
		return ie
	case errors.Is(err, tftp.ErrPeer) && errors.As(err, &be):
		return &ServerError{Code: be.Code, Message: be.Message}
	case errors.Is(err, tftp.ErrTimeout):
		return ErrTimeout
	case errors.Is(err, ErrTooLarge):
		return ErrTooLarge
	case (errors.Is(err, tftp.ErrProtocol) || errors.Is(err, ErrProtocol)) && errors.As(err, &be):
		return fmt.Errorf("%w: %s", ErrProtocol, be.Message)
	}
	return err
}

// isServerError reports whether err is the server's own ERROR, which is
// never answered.
func isServerError(err error) bool { return errors.Is(err, tftp.ErrPeer) }
