package client

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// Sentinels for the classes of failure that are neither the server's ERROR
// (see [ServerError]) nor the local handler's own error. Test them with
// errors.Is.
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
	// ErrTooLarge: the file is larger than TFTP.MaxSize, as announced by
	// the server's tsize or found while receiving.
	ErrTooLarge = errors.New("file larger than the maximum size")
)

// Error is the error of a failed transfer: which way, which file, which
// server, and the cause, one of [*ServerError], [ErrTimeout], [ErrProtocol],
// [ErrIntegrity], [ErrTooLarge], a context error, a local handler's error or
// a network error.
type Error struct {
	Op Op
	// Remote is the file name on the server, Server the address it was
	// asked from, as the TFTP's Addr resolved.
	Remote string
	Server string
	Err    error
}

// Error names the file and the server and says what went wrong.
func (e *Error) Error() string {
	dir := "from"
	if e.Op == OpWrite {
		dir = "to"
	}
	return fmt.Sprintf("tftp %s %q %s %s: %v", e.Op, e.Remote, dir, e.Server, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the server stopped answering, as net.Error does.
func (e *Error) Timeout() bool { return errors.Is(e.Err, ErrTimeout) }

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
