package main

import (
	"context"
	"errors"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
)

// status is the exit status of filemux: one per class of failure, so that
// scripts can tell a missing file from a dead server.
type status int

// The exit statuses, as the usage text documents them.
const (
	statusOK          status = 0
	statusFailure     status = 1 // anything else: local files, the network
	statusUsage       status = 2
	statusNotFound    status = 3  // the server answered "file not found"
	statusAccess      status = 4  // the server answered "access violation"
	statusDiskFull    status = 5  // the server answered "disk full"
	statusServer      status = 6  // any other answer, or the server broke the protocol
	statusTimeout     status = 7  // the server stopped answering
	statusIntegrity   status = 8  // the digest differs (--sha256, --md5)
	statusTooLarge    status = 9  // the file exceeds --max-size
	statusAuth        status = 10 // SSH: the server refused the credentials
	statusHostKey     status = 11 // SSH: the host key is unknown or changed
	statusInterrupted status = 130
)

var statusNames = map[status]string{
	statusOK:          "success",
	statusFailure:     "failure",
	statusUsage:       "usage error",
	statusNotFound:    "file not found",
	statusAccess:      "access violation",
	statusDiskFull:    "disk full",
	statusServer:      "server error",
	statusTimeout:     "timeout",
	statusIntegrity:   "integrity mismatch",
	statusTooLarge:    "file too large",
	statusAuth:        "authentication failed",
	statusHostKey:     "host key refused",
	statusInterrupted: "interrupted",
}

// String names the class of the status.
func (s status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "unknown"
}

var statusHelp = map[status]string{
	statusOK:          "success",
	statusFailure:     "another failure (local file, network)",
	statusUsage:       "bad command line",
	statusNotFound:    "the server answered: file not found",
	statusAccess:      "the server answered: access violation",
	statusDiskFull:    "the server answered: disk full or allocation exceeded",
	statusServer:      "the server answered with another error, or broke the protocol",
	statusTimeout:     "the server stopped answering",
	statusIntegrity:   "the file's digest is not the one given (--sha256, --md5)",
	statusTooLarge:    "the file is larger than --max-size",
	statusAuth:        "ssh: the server refused the credentials (--identity, --password-file, --agent)",
	statusHostKey:     "ssh: the host key is not in the known-hosts file, or differs from it; https: the server's certificate does not verify (unknown CA, expired, another name)",
	statusInterrupted: "interrupted (SIGINT, SIGTERM); the server was told",
}

// describe says when the status happens, for the usage text.
func (s status) describe() string { return statusHelp[s] }

// statusOf classifies the error of a transfer, whichever the protocol:
// what went wrong around the server's answer by the client's sentinels,
// the answer itself by behaviour's.
func statusOf(err error) status {
	switch {
	case err == nil:
		return statusOK
	case errors.Is(err, client.ErrTimeout):
		return statusTimeout
	case errors.Is(err, client.ErrAuthentication):
		return statusAuth
	case errors.Is(err, client.ErrHostKeyMismatch), errors.Is(err, client.ErrHostKeyUnknown):
		return statusHostKey
	case errors.Is(err, client.ErrIntegrity):
		return statusIntegrity
	case errors.Is(err, client.ErrTooLarge):
		return statusTooLarge
	case errors.Is(err, client.ErrProtocol):
		return statusServer
	case errors.Is(err, context.Canceled):
		return statusInterrupted
	}
	return answerStatus(err)
}

// answerStatus is the status of the server's refusal, the class of a
// *client.Error.
func answerStatus(err error) status {
	var ce *client.Error
	var be *behaviour.Error
	if !errors.As(err, &ce) || !errors.As(ce.Class, &be) {
		return statusFailure
	}
	switch be.Code {
	case behaviour.CodeNotFound:
		return statusNotFound
	case behaviour.CodeAccessViolation:
		return statusAccess
	case behaviour.CodeDiskFull:
		return statusDiskFull
	}
	return statusServer
}
