package handlers

import (
	"errors"
	"syscall"

	"github.com/filemux/filemux/behaviour"
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
		return errNotDir.With(err)
	case errors.Is(err, syscall.EISDIR):
		return errIsDir.With(err)
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
