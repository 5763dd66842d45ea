package handlers

import (
	"errors"
	"syscall"

	"github.com/filemux/filemux/behaviour"
)

// Refusals of a Dir. Their messages reach peers, so they never hold a path.
var (
	errDirWritesOff   = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "writes not allowed"}
	errDirNoCreate    = &behaviour.Error{Code: behaviour.CodeNotFound, Message: "file not found"}
	errDirExists      = &behaviour.Error{Code: behaviour.CodeFileExists, Message: "file already exists"}
	errDirNotRegular  = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "not a regular file"}
	errDirNotDir      = &behaviour.Error{Code: behaviour.CodeNotFound, Message: "not a directory"}
	errDirIsDir       = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "is a directory"}
	errDirNotEmpty    = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "directory not empty"}
	errTempName       = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "reserved file name"}
	errServedDir      = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "the served directory itself cannot change"}
	errDirOutside     = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "name leaves the served directory"}
	errNegativeOffset = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "negative offset"}
	errDirWrongAccess = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "wrong direction for this transfer"}
	errUploadEnded    = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "transfer already ended"}
)

// escapeText is the text of os.Root's unexported error for a name that
// leaves the root (through "..", an absolute name or a symbolic link). It
// is matched by text because the os package does not export it; should the
// text change, such errors fall back to a generic refusal, still refused.
const escapeText = "path escapes from parent"

// fsError turns an error of the os package into a protocol error. The
// *os.PathError, which holds paths, stays the cause for logs; the peer only
// sees the message of the class.
func fsError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*behaviour.Error](err); ok {
		return err
	}
	switch {
	case escapes(err), errors.Is(err, syscall.ELOOP):
		return errDirOutside.With(err)
	case errors.Is(err, syscall.ENOTDIR):
		return errDirNotDir.With(err)
	case errors.Is(err, syscall.EISDIR):
		return errDirIsDir.With(err)
	case errors.Is(err, syscall.ENOTEMPTY):
		return errDirNotEmpty.With(err)
	case errors.Is(err, syscall.ENAMETOOLONG):
		return behaviour.ErrBadName.With(err)
	}
	return behaviour.Classify(err)
}

// escapes reports whether err is os.Root's refusal of a name that leaves it.
func escapes(err error) bool {
	for err != nil {
		if err.Error() == escapeText {
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}
