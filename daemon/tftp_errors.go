package daemon

import (
	"errors"

	"github.com/filemux/filemux/behaviour"
)

// The daemon's own refusals and endings. Their messages are what the peer
// sees; the causes stay in the logs.
var (
	errTooMany       = &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "too many transfers"}
	errTooManyClient = &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "too many transfers from this address"}
	errNoPort        = &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "no free port"}
	errTooLarge      = &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "file too large"}
	errReadsRefused  = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "reads refused"}
	errWritesRefused = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "writes refused"}
	errUnknownTID    = &behaviour.Error{Code: behaviour.CodeUnknownTID, Message: "unknown transfer ID"}
	errNotRequest    = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "illegal operation"}

	errShutdown   = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "server shutting down", Err: ErrServerClosed}
	errSlowCall   = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "timed out", Err: errors.New("daemon: handler call overran twice the timeout")}
	errTooLong    = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "timed out", Err: errors.New("daemon: transfer exceeded MaxDuration")}
	errSuperseded = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "superseded", Err: errors.New("daemon: the peer sent a new request from the same port")}
)
