package client

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pkg/sftp"
)

// localError marks a failure of the local side (a missing local directory,
// a full local disk, a failing io.Reader), which is never the server's "not
// found" or "permission denied".
type localError struct{ err error }

func (e localError) Error() string { return "local side: " + e.err.Error() }
func (e localError) Unwrap() error { return e.err }

// onLocalSide marks err as the local side's, once: the layers a local
// failure passes through (driver, meter, spool) would mark it again.
func onLocalSide(err error) error {
	if _, marked := err.(localError); err == nil || marked {
		return err
	}
	return localError{err}
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
