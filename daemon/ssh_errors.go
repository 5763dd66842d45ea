package daemon

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/filemux/filemux/behaviour"
)

// errSSHTimedOut is the cause of the endings reported as OutcomeTimedOut.
// (behaviour.Error compares by code, so the causes carry the identity.)
var errSSHTimedOut = errors.New("daemon: ssh connection timed out")

// The SSH server's own refusals and endings. Their messages are what the
// client sees; the causes stay in the logs.
var (
	errSSHServing      = errors.New("daemon: SSH is already serving")
	errSSHShutdown     = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "server shutting down", Err: ErrServerClosed}
	errSSHIdle         = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "idle timeout", Err: errSSHTimedOut}
	errSSHKeepAlive    = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "connection lost", Err: fmt.Errorf("daemon: ssh keepalives unanswered: %w", errSSHTimedOut)}
	errSSHHangup       = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "session failed", Err: errors.New("daemon: closing the connection after a failed scp upload")}
	errSSHLost         = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "connection lost", Err: errors.New("daemon: ssh connection lost")}
	errSSHTooLarge     = &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "file too large"}
	errSSHNoHandler    = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "no files for this user"}
	errSSHClosedEarly  = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "closed before the end of the file", Err: errors.New("daemon: client closed the file before reading it all")}
	errSSHNotDelivered = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "closed before the end of the file", Err: errors.New("daemon: the handler ended but the client did not receive every byte")}
)

// The refusals OnRefuse reports besides the shutdown, a ban and the login
// limits. The messages are the reasons.
var (
	errSSHLoginFailed   = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "authentication failed", Err: errSSHAuth}
	errSSHChannelType   = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "only session channels are served"}
	errSSHTooManySess   = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "too many sessions"}
	errSSHNoSuchProgram = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "only the sftp subsystem and scp are served"}
)

// refused reports a refused connection, login, channel, request or
// transfer to OnRefuse, containing a panic.
func (s *sshServer) refused(peer netip.AddrPort, err error) {
	callRefuse(s.cfg.log, s.cfg.onRefuse, peer, err)
}
