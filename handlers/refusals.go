package handlers

import "github.com/filemux/filemux/behaviour"

// The refusals of Dir and Memory, in one table so that a peer hears the
// same words from both (HTTP's wrong direction is errWrongAccess too).
// Their messages reach peers, so they never hold a name.
var (
	errWritesOff      = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "writes not allowed"}
	errNoCreate       = &behaviour.Error{Code: behaviour.CodeNotFound, Message: "file not found"}
	errExists         = &behaviour.Error{Code: behaviour.CodeFileExists, Message: "file already exists"}
	errIsDir          = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "is a directory"}
	errNotDir         = &behaviour.Error{Code: behaviour.CodeNotFound, Message: "not a directory"}
	errNegativeOffset = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "negative offset"}
	errWrongAccess    = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "wrong direction for this transfer"}
	errEnded          = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "transfer already ended"}

	// Memory's own.
	errMemRoot = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "the top directory cannot change"}

	// Dir's own.
	errDirNotRegular = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "not a regular file"}
	errDirNotEmpty   = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "directory not empty"}
	errTempName      = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "reserved file name"}
	errServedDir     = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "the served directory itself cannot change"}
	errDirOutside    = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "name leaves the served directory"}
)
