package daemon

import (
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// TFTP is a TFTP daemon (RFC 1350, 2347, 2348, 2349, 7440) that serves the
// virtual files of a behaviour.Handler. Configure it with its exported fields
// before serving; the zero value of every field but Handler is a usable
// default. The fields are read when serving starts and must not change
// afterwards.
//
// For each RRQ or WRQ the daemon parses the request, cleans the file name
// with behaviour.CleanName (a refused name is answered with ERROR 2), applies
// its limits, and builds a *behaviour.Transfer whose Options are the peer's
// suggestions after validation and clamping. The handler's Open may drop
// options or lower their values; the OACK then carries exactly what Open
// accepted of what the peer requested. An option Open adds or raises is
// refused with ERROR 8. On a read, tsize is answered from t.Size().
//
// Every handler call is contained: a panic is recovered (the peer gets
// ERROR 0, Abort runs, the stack is logged) and a call slower than twice the
// transfer's timeout has its context cancelled, the peer gets an ERROR at once
// and Abort runs once the late call has returned. Handler errors reach the
// peer with their code and peer message, never their cause. After a
// successful Open there is exactly one ending, as the behaviour.Handler
// contract says. The listening socket survives every refused or failed
// request.
//
// A request repeated by the same peer address and port for the same name
// while its transfer runs joins that transfer: the handler sees one Open.
//
// # Hostile load
//
// A request's source address can be forged, so the daemon trusts nothing
// about a peer until the peer has answered. A transfer whose peer has sent
// nothing yet is unconfirmed: its first reply (OACK, DATA 1 or ACK 0) goes
// out at most 1+FirstReplyRetries times, spaced by the daemon's Timeout
// (never the timeout the peer asked for), and then it ends without an
// ERROR, so it lives at most (1+FirstReplyRetries) x Timeout, 3 s by
// default. Unconfirmed transfers have a budget of their own, MaxUnconfirmed,
// outside MaxTransfers and MaxPerClient: a flood of requests that nobody
// answers sheds its own old entries and never refuses a new client. The
// one shed is, among the 16 oldest, the oldest of the address that holds
// the most, so that a flood from a few addresses sheds its own requests
// first, and one from forged addresses all different sheds the oldest. A
// transfer takes its place under MaxTransfers and MaxPerClient when its peer
// first answers; if none is free then, the peer gets ERROR 3. A request that
// arrives while MaxTransfers confirmed transfers run gets ERROR 3 at once.
// RequestRate, when set, drops requests per source address before all of
// this: a flood from a few addresses is cut there, and clients sharing such
// an address (behind one NAT) share its budget and are dropped with it;
// clients of other addresses are not affected.
//
// In random-port mode (PortsRandom) a transfer's port is a secret that a
// peer learns only by receiving the first reply, so an answer on that port
// proves receipt: an off-path spoofer gets at most the first reply's
// resends. In single-port mode (PortsSingle) the transfer's port is the
// well-known one, and in a PortRange the ports are handed out in turn and
// easy to guess: anyone can acknowledge blindly, and nothing in TFTP proves
// that a peer receives what it is sent. Such a peer is unproven, for its
// whole transfer, unless its address is in TrustedNetworks. On a read it
// is granted no windowsize (lock-step, one DATA per ACK) and no timeout
// option (the daemon's Timeout applies), its blksize is capped at
// UnprovenMaxBlockSize. Its blocks are resent Retries times, as anyone's:
// a forged ACK stream pulls one block per ACK whatever the resends, and
// fewer resends would fail real clients on lossy links. On a write only
// the timeout option is refused: the daemon answers DATA with ACKs, fewer
// bytes than it receives. A spoofer can still mimic a lock-step receiver,
// so the bound does not stop it from pulling a file; it makes each forged
// ACK worth one block of 1472 bytes (and a forged request with one ACK
// worth at most 1+Retries blocks, under 200x their bytes at the defaults),
// where a window of 64 blocks of 64 KiB made a request and one ACK worth
// 520,000x their bytes. Clients that must keep
// windows in single-port mode, such as UEFI firmware (windowsize 4), need
// their network in TrustedNetworks.
//
// Memory is bounded per running transfer and never grows with the size of a
// file: a read holds its window of DATA packets for retransmission
// (WindowSize blocks of BlockSize bytes, so at most MaxWindowSize x
// MaxBlockSize, and the engine caps a window at 16 MiB), a 32 KiB read-ahead
// buffer when blocks are smaller than that, and a 4 KiB receive buffer; a
// write holds one receive buffer of its block size and the ACK it
// sends. In single-port mode a transfer's incoming queue adds at most
// MaxWindowSize+4 datagrams. The listening socket has one 64 KiB buffer.
type TFTP struct {
	// ListenAddr is the UDP address ListenAndServe listens on,
	// "host:port". The empty string means ":69", every address on the TFTP
	// port. Port 0 picks a free port, which Addr returns.
	ListenAddr string

	// Handler serves every transfer. It is required.
	Handler behaviour.Handler

	// Logger receives the daemon's structured logs; nil discards them.
	Logger *slog.Logger

	// Timeout is the wait for the peer before a packet is sent again,
	// unless the peer negotiates another with the timeout option. Twice
	// the transfer's timeout bounds every handler call. 0 means one second.
	Timeout time.Duration
	// Retries is how often one packet is sent again before the transfer
	// fails. 0 means 5; Never (any negative value) means no resend.
	Retries int
	// FirstReplyRetries bounds the resends of the first reply (OACK,
	// DATA 1 or ACK 0) while the peer has not answered at all, so that a
	// spoofed request cannot make the daemon flood its victim. 0 means 2;
	// Never (any negative value) means no resend. Retries bounds it as
	// well.
	FirstReplyRetries int

	// MaxTransfers is the number of confirmed transfers (the peer has
	// answered) that may run at once; a request arriving while they are
	// all taken gets ERROR 3, and so does a peer that first answers then.
	// 0 means 100.
	MaxTransfers int
	// MaxPerClient is the number of confirmed transfers one peer address
	// (any port) may run at once. 0 means no limit other than MaxTransfers.
	MaxPerClient int
	// MaxUnconfirmed is the number of transfers whose peer has not
	// answered yet that the daemon holds at once, apart from MaxTransfers
	// and MaxPerClient. When it is reached, one of the oldest is shed
	// (ended without a word, its handler's Abort runs) to make room for
	// the new request. 0 means 1000; see the type's doc.
	MaxUnconfirmed int
	// MaxSize bounds a file in bytes, both ways: a WRQ announcing a larger
	// tsize is refused before any data moves, and a transfer that reaches
	// it fails with ERROR 3 (Abort is called). 0 means no limit.
	MaxSize int64
	// MaxDuration bounds the lifetime of one transfer; a transfer still
	// running after it is aborted with an ERROR. 0 means no limit.
	MaxDuration time.Duration
	// MaxBlockSize caps the blksize option (8..65464): a peer asking more
	// gets this. 0 means 65464.
	MaxBlockSize int
	// MaxWindowSize caps the windowsize option (RFC 7440): a peer asking
	// more gets this. 0 means 16.
	MaxWindowSize int

	// RefuseReads and RefuseWrites refuse every RRQ or every WRQ with
	// ERROR 2 before the handler is asked.
	RefuseReads, RefuseWrites bool
	// RefuseOptions names options (any case) the daemon never negotiates:
	// they are dropped from the peer's suggestions before Open, so no OACK
	// carries them and the transfer runs without them (RFC 2347).
	RefuseOptions []string

	// Ports chooses the local port of each transfer. The zero value is
	// PortsRandom.
	Ports PortPolicy

	// TrustedNetworks lists the peer addresses that are served without
	// the unproven-peer bound when Ports is PortsSingle or a PortRange
	// (see the type's doc): a peer in one of them negotiates windowsize,
	// timeout and blksize up to the daemon's caps, as in random-port
	// mode. List only networks where no one can send datagrams with a
	// forged source address, such as a provisioning VLAN behind a
	// firewall that drops spoofed sources. Empty means no peer is trusted.
	TrustedNetworks []netip.Prefix
	// UnprovenMaxBlockSize caps blksize for an unproven peer (8..65464).
	// 0 means 1468, the block of an Ethernet frame, which most PXE
	// firmware asks for anyway.
	UnprovenMaxBlockSize int

	// RequestRate limits the requests accepted from one source address,
	// per second; requests over the limit are dropped without an answer,
	// so that the daemon cannot be used as an amplifier. 0 means no limit.
	RequestRate float64
	// RequestBurst is the number of requests a source may send at once
	// before RequestRate applies. 0 means RequestRate rounded up, at least 1.
	RequestBurst int

	// IdleTimeout stops the daemon after this long without a request while
	// no transfer runs: Serve then returns ErrIdle. 0 means never.
	IdleTimeout time.Duration

	// The hooks are called from the transfers' goroutines, concurrently
	// for different transfers; a panic in a hook is recovered and logged.
	//
	// OnRequest, when set, is called for every admitted request before the
	// handler's Open, with the transfer's statistics so far. An error
	// refuses the request; its code and peer message go on the wire.
	OnRequest func(Stats) error
	// OnSuccess is called once for each transfer that succeeded, as soon
	// as it did: for a write, right after the final ACK, before the dally
	// that re-acknowledges a repeated final block.
	OnSuccess func(Stats)
	// OnFailure is called once for each admitted transfer that did not
	// succeed (including those OnRequest or Open refused). Requests refused
	// before admission go to OnRefuse instead.
	OnFailure func(Stats)
	// OnRefuse, when set, is called for every request refused before
	// admission (malformed, bad name, refused direction, limits, shutting
	// down), with the error whose code and peer message went on the wire,
	// and for every request dropped by RequestRate, with ErrRateLimited. It
	// runs on the daemon's read loop, so it must return quickly.
	OnRefuse func(peer netip.AddrPort, err error)

	run runs[*server]
	ctr counters
}

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("daemon: server closed")

// ErrRateLimited is what OnRefuse sees for a request dropped, unanswered,
// because its source exceeded RequestRate.
var ErrRateLimited = errors.New("daemon: request over the rate limit")

// ErrIdle is returned by Serve and ListenAndServe when the daemon stopped
// because IdleTimeout passed without a request.
var ErrIdle = errors.New("daemon: idle timeout")

// Defaults of the TFTP fields: DefaultTFTPTimeout is what a zero
// TFTP.Timeout means, and so on. Every default is named Default, the server,
// then the field (DefaultSSH... for the SSH fields).
const (
	// DefaultTFTPTimeout is the retransmission timeout, TFTP.Timeout.
	DefaultTFTPTimeout = time.Second
	// DefaultTFTPRetries is TFTP.Retries, the resends of one packet.
	DefaultTFTPRetries = 5
	// DefaultTFTPFirstReplyRetries is TFTP.FirstReplyRetries, the resends
	// of a transfer's first reply.
	DefaultTFTPFirstReplyRetries = 2
	// DefaultTFTPMaxTransfers is TFTP.MaxTransfers.
	DefaultTFTPMaxTransfers = 100
	// DefaultTFTPMaxUnconfirmed is TFTP.MaxUnconfirmed.
	DefaultTFTPMaxUnconfirmed = 1000
	// DefaultTFTPUnprovenMaxBlockSize is TFTP.UnprovenMaxBlockSize, the
	// block of an Ethernet frame.
	DefaultTFTPUnprovenMaxBlockSize = 1468
	// DefaultTFTPMaxWindowSize is TFTP.MaxWindowSize.
	DefaultTFTPMaxWindowSize = 16

	defaultTFTPAddr = ":69"
)
