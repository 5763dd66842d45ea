// Package wire holds what the engines (TFTP daemon and client, SFTP and
// SCP servers and clients) share about the wire and that handlers have no
// use for: the TFTP code and SFTP status of an error, the check that a
// handler added no option, and the plain decimal numbers of TFTP options.
package wire

import (
	"errors"
	"fmt"
	"io"

	"github.com/filemux/filemux/behaviour"
)

// TFTPCode returns the TFTP error code for err (see behaviour.Classify):
// CodeUndefined for nil.
func TFTPCode(err error) behaviour.Code {
	if e := behaviour.Classify(err); e != nil {
		return e.Code
	}
	return behaviour.CodeUndefined
}

// SFTP status codes (draft-ietf-secsh-filexfer-02, SSH_FX_*), as SFTPStatus returns them.
const (
	SFTPOK               uint32 = 0
	SFTPEOF              uint32 = 1
	SFTPNoSuchFile       uint32 = 2
	SFTPPermissionDenied uint32 = 3
	SFTPFailure          uint32 = 4
	SFTPBadMessage       uint32 = 5
	SFTPOpUnsupported    uint32 = 8
)

// SFTPStatus returns the SFTP status code for err: OK for nil, EOF for
// io.EOF, NO_SUCH_FILE for not found, PERMISSION_DENIED for access
// violations and unknown users, OP_UNSUPPORTED for illegal operations,
// FAILURE for the rest (SFTP version 3 has no codes for disk full or exists).
func SFTPStatus(err error) uint32 {
	if err == nil {
		return SFTPOK
	}
	if errors.Is(err, io.EOF) {
		return SFTPEOF
	}
	switch behaviour.Classify(err).Code {
	case behaviour.CodeNotFound:
		return SFTPNoSuchFile
	case behaviour.CodeAccessViolation, behaviour.CodeNoSuchUser:
		return SFTPPermissionDenied
	case behaviour.CodeIllegalOperation:
		return SFTPOpUnsupported
	}
	return SFTPFailure
}

// CheckAccepted verifies that accepted holds no option that suggested lacks:
// a handler may drop or change options, never add one. The error is a
// *behaviour.Error with CodeOptionRefused that names the option in its cause
// only.
func CheckAccepted(suggested, accepted behaviour.Options) error {
	for name := range accepted.All() {
		if !suggested.Has(name) {
			return &behaviour.Error{Code: behaviour.CodeOptionRefused, Message: "option not requested", Err: fmt.Errorf("handler added option %q", name)}
		}
	}
	return nil
}

// ParseDecimal parses a plain non-negative decimal number: digits only (no
// sign, no spaces), at most 18 of them so that it cannot overflow. It is
// the parser of behaviour.Options.Int, so that an option's value means the
// same to every engine and handler.
func ParseDecimal(s string) (int64, bool) {
	o := behaviour.NewOptions(behaviour.Option{Name: "n", Value: s})
	return o.Int("n")
}
