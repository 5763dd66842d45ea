package tftp

import (
	"strconv"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

// The option names filemux negotiates, as behaviour names them.
const (
	OptBlockSize  = behaviour.OptBlockSize  // RFC 2348
	OptTimeout    = behaviour.OptTimeout    // RFC 2349
	OptTSize      = behaviour.OptTSize      // RFC 2349
	OptWindowSize = behaviour.OptWindowSize // RFC 7440
)

// Defaults of the parameters when nothing is negotiated or configured.
const (
	DefaultTimeout = time.Second
	DefaultRetries = 5
	// DefaultMaxWindowSize is the windowsize cap when Limits sets none.
	DefaultMaxWindowSize = 64
	// maxWindowBytes bounds the memory a sender keeps for retransmitting a
	// window (WindowSize blocks of BlockSize bytes).
	maxWindowBytes   = 16 << 20
	maxTimeoutOption = 255
)

// Limits are the server's bounds on what a peer may negotiate. The zero value
// allows everything the RFCs allow, with windowsize capped at
// DefaultMaxWindowSize.
type Limits struct {
	// MaxBlockSize caps blksize; 0 means MaxBlockSize (65464).
	MaxBlockSize int
	// MaxWindowSize caps windowsize; 0 means DefaultMaxWindowSize.
	MaxWindowSize int
	// MinTimeout and MaxTimeout bound the timeout option (which cannot be
	// lowered, RFC 2349, only accepted or dropped); 0 means 1 s and 255 s.
	MinTimeout, MaxTimeout time.Duration
	// MaxSize refuses a WRQ whose tsize exceeds it with ERROR 3 before any
	// data moves; 0 means no limit.
	MaxSize int64
}

// Params are the parameters of one transfer after negotiation.
type Params struct {
	Mode behaviour.Mode
	// BlockSize is the payload size of a full DATA block (8..65464).
	BlockSize int
	// WindowSize is the number of DATA blocks per ACK (RFC 7440); 1 is
	// RFC 1350 lock-step.
	WindowSize int
	// Timeout is the wait for the peer before a retransmission.
	Timeout time.Duration
	// Retries is the number of retransmissions of one packet before the
	// transfer fails: Retries N means at most N resends.
	Retries int
	// TSize is the transfer size the peer announced (WRQ) or the server
	// answered (RRQ), when HasTSize.
	TSize    int64
	HasTSize bool
	// SkipDally makes ServeWrite return as soon as the final ACK is sent,
	// so that the caller can report success at once; the caller then runs
	// Dally, usually in a goroutine, before it closes the transport.
	SkipDally bool
}

// DefaultParams returns the parameters of a transfer that negotiates
// nothing: octet mode, 512-byte blocks, lock-step, a one-second timeout and
// DefaultRetries.
func DefaultParams() Params {
	return Params{Mode: behaviour.Octet, BlockSize: DefaultBlockSize, WindowSize: 1, Timeout: DefaultTimeout, Retries: DefaultRetries}
}

func (l Limits) maxBlockSize() int {
	if l.MaxBlockSize <= 0 || l.MaxBlockSize > MaxBlockSize {
		return MaxBlockSize
	}
	return max(l.MaxBlockSize, MinBlockSize)
}

func (l Limits) maxWindowSize() int {
	if l.MaxWindowSize <= 0 {
		return DefaultMaxWindowSize
	}
	return min(l.MaxWindowSize, 65535)
}

func (l Limits) timeoutRange() (lo, hi int64) {
	lo, hi = 1, maxTimeoutOption
	if l.MinTimeout > 0 {
		lo = max(lo, int64((l.MinTimeout+time.Second-1)/time.Second))
	}
	if l.MaxTimeout > 0 {
		hi = min(hi, int64(l.MaxTimeout/time.Second))
	}
	return lo, hi
}

// ServerOptions returns the options of request r that the server is willing
// to accept under lim, to offer the handler's Open (which may drop or lower
// them). Per RFC 2347 an option the server does not support or whose value it
// cannot accept is dropped, never answered with a larger value:
//   - unknown options are dropped;
//   - blksize below 8 or not a plain decimal is dropped, above the limit it
//     is lowered to the limit;
//   - timeout outside 1..255 s or outside lim is dropped (RFC 2349 allows no
//     other value than the client's);
//   - windowsize 0 or not a plain decimal is dropped, above the limit (and
//     above what keeps a window within 16 MiB) it is lowered;
//   - tsize on an RRQ is kept only when it is "0" (its answer comes from the
//     handler, see [Accept]); on a WRQ a plain decimal is kept, and one above
//     lim.MaxSize refuses the request with ERROR 3.
//
// Values are rewritten as plain decimals ("0512" becomes "512"). Plain
// decimal means digits only: "+512", "-1", "abc" and values of more than 18
// digits are not numbers and their option is dropped.
func ServerOptions(r Request, lim Limits) (behaviour.Options, error) {
	var out behaviour.Options
	blk := DefaultBlockSize
	for name, value := range r.Options.All() {
		v, ok := wire.ParseDecimal(value)
		if !ok {
			continue
		}
		switch name {
		case OptBlockSize:
			if v >= MinBlockSize {
				blk = int(min(v, int64(lim.maxBlockSize())))
				out.Add(name, strconv.Itoa(blk))
			}
		case OptTimeout:
			if lo, hi := lim.timeoutRange(); v >= lo && v <= hi {
				out.Add(name, strconv.FormatInt(v, 10))
			}
		case OptWindowSize:
			if v >= 1 {
				out.Add(name, strconv.FormatInt(min(v, int64(lim.maxWindowSize())), 10))
			}
		case OptTSize:
			if err := offerTSize(&out, r.Op, v, lim); err != nil {
				return behaviour.Options{}, err
			}
		}
	}
	capWindow(&out, blk)
	return out, nil
}

func offerTSize(out *behaviour.Options, op Opcode, v int64, lim Limits) error {
	if op == OpRRQ {
		if v == 0 {
			out.Add(OptTSize, "0")
		}
		return nil
	}
	if lim.MaxSize > 0 && v > lim.MaxSize {
		return &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "file too large"}
	}
	out.Add(OptTSize, strconv.FormatInt(v, 10))
	return nil
}

// capWindow lowers windowsize so that one window of blocks fits
// maxWindowBytes: the sender keeps a window in memory for retransmission.
func capWindow(opts *behaviour.Options, blockSize int) {
	opts.Lower(OptWindowSize, int64(max(1, maxWindowBytes/(blockSize+headerSize))))
}

// Accept checks what the handler's Open left of the suggested options and
// returns the transfer's parameters and the OACK to send. size is the file
// size the handler set for an RRQ (negative when unknown). base supplies
// Timeout and Retries when the peer negotiated none.
//
// The handler may drop options or lower blksize and windowsize; anything
// added, raised, lowered below the RFC minimum, made non-numeric, or a
// changed timeout (RFC 2349 allows only the client's value) is refused with
// ERROR 8. The OACK holds exactly the accepted options, in the peer's order;
// it is empty when nothing was accepted, and the caller then sends no OACK.
// An RRQ's tsize is answered with size, and dropped when the size is unknown
// or zero (curl 7.88 refuses "tsize 0", see notes/peers.md); a WRQ's tsize is
// echoed as the client sent it.
func Accept(r Request, suggested, accepted behaviour.Options, size int64, base Params) (Params, behaviour.Options, error) {
	if err := wire.CheckAccepted(suggested, accepted); err != nil {
		return Params{}, behaviour.Options{}, err
	}
	p := base
	p.Mode, p.BlockSize, p.WindowSize, p.TSize, p.HasTSize = r.Mode, DefaultBlockSize, 1, 0, false
	fillDefaults(&p)
	var oack behaviour.Options
	for name, value := range accepted.All() {
		want, _ := suggested.Get(name)
		if err := acceptOne(&p, &oack, r.Op, name, value, want, size); err != nil {
			return Params{}, behaviour.Options{}, err
		}
	}
	return p, oack, nil
}

func fillDefaults(p *Params) {
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.Retries < 0 {
		p.Retries = 0
	}
	if p.Mode == 0 {
		p.Mode = behaviour.Octet
	}
}

func acceptOne(p *Params, oack *behaviour.Options, op Opcode, name, value, want string, size int64) error {
	if name == OptTSize {
		return acceptTSize(p, oack, op, want, size)
	}
	v, ok := wire.ParseDecimal(value)
	limit, _ := wire.ParseDecimal(want)
	switch {
	case !ok || v > limit:
		return refused("option raised or not numeric")
	case name == OptBlockSize && v >= MinBlockSize:
		p.BlockSize = int(v)
	case name == OptWindowSize && v >= 1:
		p.WindowSize = int(v)
	case name == OptTimeout && v == limit:
		p.Timeout = time.Duration(v) * time.Second
	default:
		return refused("option value not acceptable")
	}
	oack.Add(name, strconv.FormatInt(v, 10))
	return nil
}

func acceptTSize(p *Params, oack *behaviour.Options, op Opcode, want string, size int64) error {
	if op == OpRRQ {
		if size > 0 {
			p.TSize, p.HasTSize = size, true
			oack.Add(OptTSize, strconv.FormatInt(size, 10))
		}
		return nil
	}
	v, ok := wire.ParseDecimal(want)
	if !ok {
		return refused("option not numeric")
	}
	p.TSize, p.HasTSize = v, true
	oack.Add(OptTSize, want)
	return nil
}

// UploadSize returns the size a write request announces with tsize (RFC
// 2349), which engines record with Transfer.SetSize before Open so that
// handlers read the size of every upload from t.Size() alone. A read
// request's tsize asks for the size rather than telling it: it has none.
func UploadSize(op Opcode, suggested behaviour.Options) (int64, bool) {
	if op != OpWRQ {
		return 0, false
	}
	return suggested.Int(OptTSize)
}

func refused(msg string) error {
	return &behaviour.Error{Code: behaviour.CodeOptionRefused, Message: msg}
}
