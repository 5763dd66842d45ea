package behaviourtest

import (
	"time"

	"github.com/filemux/filemux/behaviour"
)

// Spec describes what a handler must serve and accept. The zero value checks
// nothing but the leak check; fill the fields that apply.
type Spec struct {
	// Reads are the files the handler must serve, by requested name, with
	// their exact content. Each is read once per chunk size, and once more
	// with random access when the handler offers io.ReaderAt.
	Reads map[string][]byte

	// RefuseReads are names whose reading must fail with the given code,
	// from Open or from a later Read (behaviour.Classify decides the code).
	// Names behaviour.CleanName refuses are refused before the handler sees
	// them, with behaviour.CodeAccessViolation.
	RefuseReads map[string]behaviour.Code

	// Writes are names the handler must accept uploads for. Each name is
	// uploaded once per chunk size, once with random access (used when the
	// handler offers io.WriterAt), and once abandoned half-way with Abort.
	// The uploads of one name run one after the other; distinct names run
	// in parallel. Keep these names apart from Reads.
	Writes []string

	// WriteReadBack says that a committed upload can be read back through
	// the same handler. The kit then also checks that an upload is not
	// readable before its final Write and never after its Abort.
	WriteReadBack bool

	// RefuseWrites are names whose upload must fail with the given code,
	// from Open or from a Write.
	RefuseWrites map[string]behaviour.Code

	// Options are the options suggested with every request; the handler may
	// drop or lower them, never add or raise one. Nil means DefaultOptions.
	// tsize is sent as 0 on reads and as the upload's length on writes.
	Options []behaviour.Option

	// UploadSize is the length of each test upload in bytes; 0 means
	// DefaultUploadSize.
	UploadSize int

	// ChunkSizes are the buffer lengths passed to Read and the piece
	// lengths passed to Write; nil means DefaultChunkSizes.
	ChunkSizes []int

	// Protocol is the protocol of the transfers; 0 means behaviour.TFTP.
	Protocol behaviour.Protocol

	// Timeout bounds the whole check: transfers still running after it are
	// reported and their contexts cancelled. 0 means DefaultTimeout.
	Timeout time.Duration

	// IgnoreGoroutines turns off the leak check, for handlers that start
	// long-lived goroutines on purpose (a cache, a pool). The check only
	// counts goroutines started from the kit's own transfers, so other
	// tests running in parallel do not disturb it.
	IgnoreGoroutines bool
}

// Defaults of the Spec fields.
var (
	// DefaultOptions are what TFTP clients commonly suggest.
	DefaultOptions = []behaviour.Option{{Name: behaviour.OptBlockSize, Value: "1468"}, {Name: behaviour.OptWindowSize, Value: "16"}, {Name: behaviour.OptTSize, Value: "0"}}
	// DefaultChunkSizes are one byte, a TFTP block of RFC 1350, an
	// Ethernet-sized block, and the largest block of RFC 2348.
	DefaultChunkSizes = []int{1, 512, 1468, 65464}
)

// DefaultUploadSize is larger than the largest default chunk, so every
// upload takes at least two Write calls.
const DefaultUploadSize = 70000

// DefaultTimeout bounds a whole TestHandler run.
const DefaultTimeout = 2 * time.Minute

func (s Spec) withDefaults() Spec {
	if s.Options == nil {
		s.Options = DefaultOptions
	}
	if s.UploadSize <= 0 {
		s.UploadSize = DefaultUploadSize
	}
	if len(s.ChunkSizes) == 0 {
		s.ChunkSizes = DefaultChunkSizes
	}
	if s.Protocol == 0 {
		s.Protocol = behaviour.TFTP
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	return s
}
