package client

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"syscall"

	"github.com/filemux/filemux/behaviour"
	"github.com/pkg/sftp"
)

// Sentinels for the classes of an SSH transfer's failure, which
// device-management scripts tell apart. Every [*SSHError] is exactly one of
// them or [ErrTimeout]; test with errors.Is.
var (
	// ErrAuthentication: the server refused every credential offered.
	ErrAuthentication = errors.New("authentication failed")
	// ErrHostKeyMismatch: the known_hosts file names another key for the
	// server. Nothing was sent to it.
	ErrHostKeyMismatch = errors.New("host key mismatch")
	// ErrHostKeyUnknown: the known_hosts file does not name the server and
	// new keys were not to be accepted. Nothing was sent to it.
	ErrHostKeyUnknown = errors.New("host key unknown")
	// ErrNotFound: the remote file or directory does not exist.
	ErrNotFound = errors.New("not found")
	// ErrPermission: the server refused access to the remote file.
	ErrPermission = errors.New("permission denied")
	// ErrConnectionRefused: nothing listens on the server's port.
	ErrConnectionRefused = errors.New("connection refused")
	// ErrOther: any other failure, local or remote.
	ErrOther = errors.New("transfer failed")
)

// SSHError is the error of a failed SFTP or SCP transfer or file
// operation: which protocol and operation, which file, which server, its
// class (one of the sentinels above), the server's own message when it sent
// one, and the cause.
type SSHError struct {
	// Protocol is behaviour.SFTP or behaviour.SCP.
	Protocol behaviour.Protocol
	Op       Op
	Remote   string
	Server   string
	// Class is one of ErrAuthentication, ErrHostKeyMismatch,
	// ErrHostKeyUnknown, ErrNotFound, ErrPermission, ErrTimeout,
	// ErrConnectionRefused or ErrOther.
	Class error
	// Message is what the server said (an SFTP status message), or "".
	Message string
	Err     error
}

// Error names the file, the server and the class, then the cause.
func (e *SSHError) Error() string {
	dir := "on"
	switch e.Op {
	case OpRead:
		dir = "from"
	case OpWrite:
		dir = "to"
	}
	cause := fmt.Sprint(e.Err)
	if class := fmt.Sprint(e.Class); !strings.HasPrefix(cause, class) {
		cause = class + ": " + cause // the cause often starts with the class already
	}
	proto := behaviour.SFTP
	if e.Protocol == behaviour.SCP {
		proto = behaviour.SCP
	}
	return fmt.Sprintf("%s %s %q %s %s: %s", proto, e.Op, e.Remote, dir, e.Server, cause)
}

// Unwrap returns the class and the cause, so that errors.Is matches both.
func (e *SSHError) Unwrap() []error { return []error{e.Class, e.Err} }

// Timeout reports whether the class is ErrTimeout, as net.Error does.
func (e *SSHError) Timeout() bool { return e.Class == ErrTimeout }

// sshError classifies err.
func sshError(op Op, remote, server string, err error) *SSHError {
	e := &SSHError{Protocol: behaviour.SFTP, Op: op, Remote: remote, Server: server, Class: classify(err), Err: err}
	var st *sftp.StatusError
	if errors.As(err, &st) {
		e.Message = statusMessage(st)
	}
	return e
}

// localError marks a failure of the local side (a missing local directory,
// a full local disk, a failing io.Reader), which is never the server's "not
// found" or "permission denied".
type localError struct{ err error }

func (e localError) Error() string { return "local side: " + e.err.Error() }
func (e localError) Unwrap() error { return e.err }

func onLocalSide(err error) error {
	if err == nil {
		return nil
	}
	return localError{err}
}

func classify(err error) error {
	var st *sftp.StatusError
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
	case errors.As(err, &st):
		return statusClass(st)
	case errors.Is(err, fs.ErrNotExist):
		return ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		return ErrPermission
	}
	return ErrOther
}

func statusClass(st *sftp.StatusError) error {
	switch st.FxCode() {
	case sftp.ErrSSHFxNoSuchFile:
		return ErrNotFound
	case sftp.ErrSSHFxPermissionDenied:
		return ErrPermission
	}
	return ErrOther
}

// statusMessage returns the server's text out of a StatusError, which keeps
// it unexported and prints it quoted.
func statusMessage(st *sftp.StatusError) string {
	text := st.Error()
	start, end := strings.Index(text, "\""), strings.LastIndex(text, "\" (")
	if start < 0 || end <= start {
		return ""
	}
	msg, err := strconv.Unquote(text[start : end+1])
	if err != nil {
		return ""
	}
	return msg
}

// classify turns what the handshake returned into a class: the host key
// callback's refusal, or an authentication failure, which x/crypto reports
// only as text.
func (h *hostKeys) classify(err error) error {
	if h.refusal != nil {
		return h.refusal
	}
	// x/crypto's keyboard-interactive gives up with "unexpected message
	// type 51 (expected 60)" when the server answers with a failure
	// instead of a prompt, as OpenSSH's sshd does without PAM.
	text := err.Error()
	if strings.Contains(text, "unable to authenticate") || strings.Contains(text, "unexpected message type 51 (expected 60)") {
		return fmt.Errorf("%w: %v", ErrAuthentication, err)
	}
	return err
}
