package client

import (
	"errors"
	"io/fs"
	"net"
	"strings"
	"syscall"

	"github.com/filemux/filemux/behaviour"
	"github.com/pkg/sftp"
)

// classify returns the class of err (see [Error.Class]): what went wrong
// before the server could answer, else the server's answer, else ErrOther.
func classify(p behaviour.Protocol, err error) error {
	if c := localClass(err); c != nil {
		return c
	}
	if c := remoteClass(p, err); c != nil {
		return c
	}
	return ErrOther
}

// localClass is the class of a failure on the client's side of the
// conversation, or nil.
func localClass(err error) error {
	var ne net.Error
	var le localError
	switch {
	case errors.Is(err, ErrIntegrity), errors.Is(err, ErrTooLarge), errors.As(err, &le):
		return ErrOther
	case errors.Is(err, ErrHostKeyMismatch):
		return ErrHostKeyMismatch
	case errors.Is(err, ErrHostKeyUnknown):
		return ErrHostKeyUnknown
	case errors.Is(err, ErrAuthentication):
		return ErrAuthentication
	case errors.Is(err, ErrTimeout), errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrConnectionRefused
	}
	return nil
}

// remoteClass is the behaviour sentinel of the server's answer, or nil.
// A TFTP failure that is not the server's ERROR is the local handler's or
// the network's, whatever fs error it wraps; pkg/sftp turns some statuses
// into fs errors.
func remoteClass(p behaviour.Protocol, err error) error {
	var se *ServerError
	var st *sftp.StatusError
	var re *scpRemoteError
	var he *StatusError
	switch {
	case errors.As(err, &se):
		return codeClass(se.Code)
	case errors.As(err, &he):
		return httpClass(he.Code)
	case errors.As(err, &st):
		return statusClass(st)
	case errors.As(err, &re):
		return messageClass(re.msg)
	case p == behaviour.TFTP:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return behaviour.ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		return behaviour.ErrAccessViolation
	}
	return nil
}

// sentinels are behaviour's sentinels by code.
var sentinels = [...]*behaviour.Error{
	behaviour.CodeUndefined:        behaviour.ErrUndefined,
	behaviour.CodeNotFound:         behaviour.ErrNotFound,
	behaviour.CodeAccessViolation:  behaviour.ErrAccessViolation,
	behaviour.CodeDiskFull:         behaviour.ErrDiskFull,
	behaviour.CodeIllegalOperation: behaviour.ErrIllegalOperation,
	behaviour.CodeUnknownTID:       behaviour.ErrUnknownTID,
	behaviour.CodeFileExists:       behaviour.ErrFileExists,
	behaviour.CodeNoSuchUser:       behaviour.ErrNoSuchUser,
	behaviour.CodeOptionRefused:    behaviour.ErrOptionRefused,
}

// codeClass is the sentinel of code, or a new error of that code for the
// numbers behaviour does not name.
func codeClass(code behaviour.Code) error {
	if int(code) < len(sentinels) {
		return sentinels[code]
	}
	return &behaviour.Error{Code: code}
}

// statusClass is the class of an SFTP status. SFTP version 3 has no
// status for a full disk or an existing file: FAILURE's message tells.
func statusClass(st *sftp.StatusError) error {
	switch st.FxCode() {
	case sftp.ErrSSHFxNoSuchFile:
		return behaviour.ErrNotFound
	case sftp.ErrSSHFxPermissionDenied:
		return behaviour.ErrAccessViolation
	case sftp.ErrSSHFxFailure:
		return failureClass(statusMessage(st))
	}
	return nil
}

// messageClass is the class of a server's words, where a protocol carries
// no codes: strerror's (OpenSSH, Cisco IOS) and filemux's daemon's, which
// are behaviour's code texts.
func messageClass(msg string) error {
	msg = strings.ToLower(msg)
	switch {
	case strings.Contains(msg, "no such file or directory"):
		return behaviour.ErrNotFound
	case containsAny(msg, "permission denied", "operation not permitted", "access violation", "read-only"):
		return behaviour.ErrAccessViolation
	}
	return failureClass(msg)
}

// failureClass is the class of the words of a failure that is neither
// "not found" nor "permission denied".
func failureClass(msg string) error {
	msg = strings.ToLower(msg)
	switch {
	case containsAny(msg, "disk full", "no space left", "quota exceeded", "file too large"):
		return behaviour.ErrDiskFull
	case containsAny(msg, "already exists", "file exists"):
		return behaviour.ErrFileExists
	}
	return nil
}

// serverMessage is what the server said in err: a TFTP ERROR's text, an
// SFTP status message or an SCP line; "" when it said nothing.
func serverMessage(err error) string {
	var se *ServerError
	var st *sftp.StatusError
	var re *scpRemoteError
	var he *StatusError
	switch {
	case errors.As(err, &se):
		return se.Message
	case errors.As(err, &he):
		return he.Status
	case errors.As(err, &st):
		return statusMessage(st)
	case errors.As(err, &re):
		return re.msg
	}
	return ""
}
