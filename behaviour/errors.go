package behaviour

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"syscall"
)

// Code is a protocol error code. The named ones are the TFTP codes of RFC 1350
// and RFC 2347; a handler may use any other number, which TFTP sends as it is.
type Code uint16

// The error codes of TFTP, which every other protocol maps from.
const (
	CodeUndefined        Code = 0
	CodeNotFound         Code = 1
	CodeAccessViolation  Code = 2
	CodeDiskFull         Code = 3
	CodeIllegalOperation Code = 4
	CodeUnknownTID       Code = 5
	CodeFileExists       Code = 6
	CodeNoSuchUser       Code = 7
	CodeOptionRefused    Code = 8
)

var codeText = [...]string{
	CodeUndefined:        "undefined error",
	CodeNotFound:         "file not found",
	CodeAccessViolation:  "access violation",
	CodeDiskFull:         "disk full or allocation exceeded",
	CodeIllegalOperation: "illegal operation",
	CodeUnknownTID:       "unknown transfer ID",
	CodeFileExists:       "file already exists",
	CodeNoSuchUser:       "no such user",
	CodeOptionRefused:    "option refused",
}

// String returns the standard text of a code, or "error N" for other numbers.
func (c Code) String() string {
	if int(c) < len(codeText) {
		return codeText[c]
	}
	return "error " + strconv.Itoa(int(c))
}

// Error is an error with a protocol code, a message that is safe to show the
// peer, and an optional cause for logs.
type Error struct {
	Code Code
	// Message is what the peer sees. Empty means the code's standard text.
	// Never put internal paths or causes here.
	Message string
	// Err is the cause, for logs and errors.Is/As; the peer never sees it.
	Err error
}

// NewError returns an error with code and a peer-safe message.
func NewError(code Code, message string) *Error { return &Error{Code: code, Message: message} }

// Error returns the peer message followed by the cause, for logs.
func (e *Error) Error() string {
	msg := e.PeerMessage()
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// PeerMessage returns the text the peer sees.
func (e *Error) PeerMessage() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Code.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an [*Error] with the same code, so that
// errors.Is(err, ErrNotFound) holds for every not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// With returns a copy of e whose cause is err: the way to attach a cause to a
// sentinel, as in behaviour.ErrNotFound.With(err).
func (e *Error) With(err error) *Error { return &Error{Code: e.Code, Message: e.Message, Err: err} }

// Sentinels for errors.Is, one per standard code. Return them as they are or
// with a cause attached (ErrDiskFull.With(err)).
var (
	ErrUndefined        = &Error{Code: CodeUndefined}
	ErrNotFound         = &Error{Code: CodeNotFound}
	ErrAccessViolation  = &Error{Code: CodeAccessViolation}
	ErrDiskFull         = &Error{Code: CodeDiskFull}
	ErrIllegalOperation = &Error{Code: CodeIllegalOperation}
	ErrUnknownTID       = &Error{Code: CodeUnknownTID}
	ErrFileExists       = &Error{Code: CodeFileExists}
	ErrNoSuchUser       = &Error{Code: CodeNoSuchUser}
	ErrOptionRefused    = &Error{Code: CodeOptionRefused}
)

// ErrUnsupported is the error of an operation a handler does not offer
// (SFTP OP_UNSUPPORTED). It is an illegal operation for TFTP.
var ErrUnsupported = &Error{Code: CodeIllegalOperation, Message: "operation not supported"}

// genericMessage is what the peer sees for an error filemux cannot classify.
const genericMessage = "internal error"

// Classify returns the protocol error for any error: the [*Error] it wraps,
// or one derived from well-known causes (fs.ErrNotExist is not found,
// fs.ErrPermission an access violation, fs.ErrExist file exists, ENOSPC and
// EDQUOT disk full, a deadline a timeout). Anything else is undefined with a
// generic message, never the cause's text. Classify(nil) is nil.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{Code: CodeNotFound, Err: err}
	case errors.Is(err, fs.ErrPermission):
		return &Error{Code: CodeAccessViolation, Err: err}
	case errors.Is(err, fs.ErrExist):
		return &Error{Code: CodeFileExists, Err: err}
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT), errors.Is(err, syscall.EFBIG):
		return &Error{Code: CodeDiskFull, Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeUndefined, Message: "timed out", Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Code: CodeUndefined, Message: "transfer cancelled", Err: err}
	}
	return &Error{Code: CodeUndefined, Message: genericMessage, Err: err}
}

// PeerMessage returns the text the peer may see for err: the message of the
// [*Error] it wraps, the standard text of its class, or a generic text. It
// never contains the cause.
func PeerMessage(err error) string {
	if e := Classify(err); e != nil {
		return e.PeerMessage()
	}
	return ""
}
