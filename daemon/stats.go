package daemon

import (
	"net/netip"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// Outcome says how a transfer ended, or that it is still running.
type Outcome uint8

// The outcomes of a transfer.
const (
	// OutcomeRunning is the outcome of a transfer that has not ended yet.
	OutcomeRunning Outcome = iota
	// OutcomeSuccess: the file was moved completely.
	OutcomeSuccess
	// OutcomeRefused: the request was refused before any data moved, by a
	// hook, by the handler's Open or during option negotiation.
	OutcomeRefused
	// OutcomeDeclined: the peer answered the OACK with ERROR 8, as UEFI
	// firmware does after learning a file's size, or an HTTP response
	// carried no body (HEAD, 304, 412, 416). A normal, quiet end.
	OutcomeDeclined
	// OutcomeFailed: the handler, the peer or a limit ended the transfer
	// with an error.
	OutcomeFailed
	// OutcomeTimedOut: the peer stopped answering, a handler call overran
	// its deadline, or the transfer exceeded its maximum duration.
	OutcomeTimedOut
	// OutcomeShutdown: the server aborted the transfer while shutting down.
	OutcomeShutdown
)

var outcomeNames = [...]string{
	OutcomeRunning:  "running",
	OutcomeSuccess:  "success",
	OutcomeRefused:  "refused",
	OutcomeDeclined: "declined",
	OutcomeFailed:   "failed",
	OutcomeTimedOut: "timed out",
	OutcomeShutdown: "shutdown",
}

// String returns the outcome's name, as in logs.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Stats describe one transfer, over TFTP, SFTP, SCP or HTTP: a running one in a
// snapshot (Active), an ended one in a hook. Both servers report the same
// type; an SFTP, SCP or HTTP transfer's Mode is always behaviour.Octet and its
// Requested, Accepted and Retransmits stay empty.
type Stats struct {
	Protocol behaviour.Protocol
	Access   behaviour.Access
	// User is the authenticated SSH or HTTP user the transfer ran for,
	// read from the behaviour.Transfer; empty over TFTP and for HTTP
	// requests without credentials.
	User string
	// Peer is the remote address and port; Local the local address the
	// request arrived on.
	Peer, Local netip.AddrPort
	// RequestedName is the file name as the peer sent it, Name after
	// behaviour.CleanName.
	RequestedName, Name string
	Mode                behaviour.Mode
	// Requested are the options the peer sent; Accepted those the OACK
	// carried (empty before negotiation and when none was accepted).
	Requested, Accepted behaviour.Options
	// Bytes is the number of file bytes the handler produced or consumed.
	Bytes int64
	// Retransmits counts the packets the daemon sent again.
	Retransmits int
	Start       time.Time
	Duration    time.Duration
	Outcome     Outcome
	// Code is the error code that went on the wire, from either side; 0
	// when the transfer succeeded.
	Code behaviour.Code
	// Err is the reason of a failure, with its cause, for logs. Nil on
	// success.
	Err error
}

// hooks are the OnRequest, OnSuccess, OnFailure and OnRefuse fields both
// servers share, as a run of Serve reads them.
type hooks struct {
	onRequest func(Stats) error
	onSuccess func(Stats)
	onFailure func(Stats)
	onRefuse  func(netip.AddrPort, error)
}
