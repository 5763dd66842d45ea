// Package daemon holds filemux's servers. Each hands every transfer to
// a behaviour.Handler, usually a *registry.Registry, so a handler written
// once is reachable over TFTP, SFTP, SCP and HTTP.
//
// [TFTP] serves TFTP on a UDP socket: it parses each request with the wire
// engine, cleans the file name, applies its limits and lets the handler's
// Open negotiate the options (blksize, windowsize, timeout, tsize) before
// its Read or Write calls move the data. [SSH] serves the sftp subsystem
// and scp -t and -f over SSH, with public key or password logins; SFTP's
// concurrent, out-of-order requests become the contract's calls. [HTTP]
// serves GET, HEAD, PUT and POST on net/http, over TLS too, with ranges
// and validators where the handler offers random access and a stat.
//
// Both contain every handler failure: a panic aborts the transfer and
// answers the peer with an error, and the server keeps serving; TFTP also
// cancels a handler call slower than twice the transfer's timeout. Both defend against
// hostile load with budgets apart from their transfer limits: TFTP for
// requests nobody answers and for peers that cannot prove they receive
// (single-port and port-range mode), SSH for connections that have not
// logged in (MaxStartups) and with bans after failed logins, HTTP with
// header, data and idle timeouts and connection limits. Each type's
// doc states its policy.
//
// The hooks are the same on all: OnRequest may refuse a transfer before
// Open, OnSuccess and OnFailure see each ending once with its [Stats]
// (Stats.User names the SSH or HTTP user), and OnRefuse sees what is turned away
// before a transfer starts, with the peer and the reason. Active and Guard
// return snapshots for metrics. Defaults are named after the server and
// the field they fill: DefaultTFTPTimeout, DefaultSSHIdleTimeout.
//
// The lifecycle is the same too, and net/http's: Serve or ListenAndServe
// runs until Shutdown, which refuses new work, lets running transfers
// finish until its context is done and aborts the rest (their handlers'
// Abort runs), or Close, which aborts at once; Serve then returns
// ErrServerClosed. [Run] serves several servers together until a context
// ends or one of them stops.
package daemon
