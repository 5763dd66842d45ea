package behaviourtest

import (
	"net/netip"

	"github.com/filemux/filemux/behaviour"
)

// Option changes how Read, Write, Run and NewTransfer drive a transfer.
type Option func(*config)

// config is the set of choices an Option makes. The zero value plus
// defaults() is what Read and Write use with no options.
type config struct {
	chunk     int
	protocol  behaviour.Protocol
	mode      behaviour.Mode
	user      string
	peer      netip.AddrPort
	suggest   []behaviour.Option
	random    bool
	whole     bool
	maxSize   int64
	emptyLast bool
	probeEOF  bool

	// Hooks used by TestHandler only.
	wholeOnly    bool // a read without a whole content ends at once
	beforeCommit func()
	abortAfter   int
	track        *tracker
}

// DefaultChunkSize is the length of the buffers Read passes and of the
// pieces Write sends when no ChunkSize option is given: a TFTP block.
const DefaultChunkSize = 512

// DefaultMaxSize bounds what Read accepts before it aborts a transfer that
// does not end, when no MaxSize option is given.
const DefaultMaxSize = 64 << 20

func newConfig(opts []Option) *config {
	c := &config{chunk: DefaultChunkSize, protocol: behaviour.TFTP, mode: behaviour.Octet, maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(c)
	}
	if c.chunk <= 0 {
		c.chunk = DefaultChunkSize
	}
	return c
}

// ChunkSize sets the length of the buffers passed to Read and of the pieces
// passed to Write (the last may be shorter). Values below 1 mean the default.
func ChunkSize(n int) Option { return func(c *config) { c.chunk = n } }

// Protocol sets the protocol of the transfer (default behaviour.TFTP).
func Protocol(p behaviour.Protocol) Option { return func(c *config) { c.protocol = p } }

// Mode sets the TFTP mode of the transfer (default behaviour.Octet). The
// driver moves the bytes as they are: netascii translation is the engine's job.
func Mode(m behaviour.Mode) Option { return func(c *config) { c.mode = m } }

// User sets the authenticated user. The default is "" for TFTP and
// "behaviourtest" for SFTP and SCP, which always authenticate.
func User(name string) Option { return func(c *config) { c.user = name } }

// Peer sets the remote address. The default is 127.0.0.1 with a port that
// differs for every transfer, as TFTP transfer IDs do.
func Peer(addr netip.AddrPort) Option { return func(c *config) { c.peer = addr } }

// Suggest sets the options the peer suggests, in order. As TFTP clients do,
// a suggested tsize is sent as "0" on reads and as the length of the data on
// writes, whatever value is given.
func Suggest(opts ...behaviour.Option) Option {
	return func(c *config) { c.suggest = append([]behaviour.Option(nil), opts...) }
}

// RandomAccess makes the driver move the data with io.ReaderAt or
// io.WriterAt, concurrently and out of order, when the handler offers them
// after Open (see behaviour.ReaderAt), as the SFTP server does. Without the
// capability the transfer runs sequentially.
func RandomAccess(on bool) Option { return func(c *config) { c.random = on } }

// WholeContent makes the driver take a read's whole content when the
// handler offers one after Open (see behaviour.ContentOf), as the HTTP
// server does for sendfile(2): the bytes, or the file read from offset 0 to
// the size, then the ending Read(t, nil). Without the capability the
// transfer runs as the other options say.
func WholeContent(on bool) Option { return func(c *config) { c.whole = on } }

// MaxSize bounds how many bytes Read accepts before it aborts the transfer
// with a RuleTooLong violation (default DefaultMaxSize).
func MaxSize(n int64) Option { return func(c *config) { c.maxSize = n } }
