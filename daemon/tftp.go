package daemon

import (
	"errors"
	"log/slog"
	"net/netip"
	"sync"
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
	// fails. 0 means 5; a negative value means never.
	Retries int
	// FirstReplyRetries bounds the resends of the first reply (OACK,
	// DATA 1 or ACK 0) while the peer has not answered at all, so that a
	// spoofed request cannot make the daemon flood its victim. 0 means 2;
	// a negative value means never. Retries bounds it as well.
	FirstReplyRetries int

	// MaxTransfers is the number of transfers that may run at once; the
	// next request gets ERROR 3. 0 means 100.
	MaxTransfers int
	// MaxPerClient is the number of transfers one peer address (any port)
	// may run at once. 0 means no limit other than MaxTransfers.
	MaxPerClient int
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

	mu     sync.Mutex
	srv    *server
	closed bool
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

// Defaults of the TFTP fields.
const (
	DefaultTimeout           = time.Second
	DefaultRetries           = 5
	DefaultFirstReplyRetries = 2
	DefaultMaxTransfers      = 100
	DefaultMaxWindowSize     = 16
	defaultTFTPAddr          = ":69"
)
