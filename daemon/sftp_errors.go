package daemon

import (
	"errors"
	"io"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
	"github.com/pkg/sftp"
)

// The SFTP server's own refusals. Their messages are what the client sees.
var (
	errSFTPHandles     = &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "too many open files"}
	errSFTPReorderFull = &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "writes too far out of order", Err: errors.New("daemon: sftp write reorder buffer full")}
	errSFTPOverlap     = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "random-access writes not supported for this file"}
	errSFTPBusy        = &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "server out of buffer memory", Err: errors.New("daemon: sftp buffer budget spent (SSH.MaxBuffered)")}
	errSFTPGap         = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "file has gaps", Err: errors.New("daemon: sftp upload closed with data missing")}
	errSFTPTooFarBack  = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "offset no longer available for this file"}
	errSFTPBadOffset   = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "bad offset"}
	errSFTPStatProbe   = errors.New("daemon: sftp stat probe ends the transfer")
)

// sftpStatus is an error pkg/sftp sends with its code and a peer-safe
// text: pkg/sftp reads the code from an sftp.ErrSSHFx* found by errors.As
// and sends Error() as the message. Without it a wrapped fs.ErrNotExist
// would reach the client as FAILURE with its cause's text.
type sftpStatus struct {
	code error // an sftp.ErrSSHFx* value
	msg  string
}

func (e *sftpStatus) Error() string { return e.msg }
func (e *sftpStatus) Unwrap() error { return e.code }

// sftpErr translates any error for pkg/sftp: io.EOF stays io.EOF, the rest
// becomes its wire.SFTPStatus with its behaviour.PeerMessage.
func sftpErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		return io.EOF
	}
	code := sftp.ErrSSHFxFailure
	switch wire.SFTPStatus(err) {
	case wire.SFTPNoSuchFile:
		code = sftp.ErrSSHFxNoSuchFile
	case wire.SFTPPermissionDenied:
		code = sftp.ErrSSHFxPermissionDenied
	case wire.SFTPOpUnsupported:
		code = sftp.ErrSSHFxOpUnsupported
	}
	return &sftpStatus{code: code, msg: behaviour.PeerMessage(err)}
}
