package tftp

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/filemux/filemux/behaviour"
)

// Opcode is the first field of every TFTP packet.
type Opcode uint16

// The opcodes of RFC 1350 and RFC 2347.
const (
	OpRRQ   Opcode = 1
	OpWRQ   Opcode = 2
	OpData  Opcode = 3
	OpAck   Opcode = 4
	OpError Opcode = 5
	OpOACK  Opcode = 6
)

var opcodeNames = [...]string{OpRRQ: "RRQ", OpWRQ: "WRQ", OpData: "DATA", OpAck: "ACK", OpError: "ERROR", OpOACK: "OACK"}

// String returns the RFC name of the opcode, or "opcode N".
func (o Opcode) String() string {
	if o >= OpRRQ && o <= OpOACK {
		return opcodeNames[o]
	}
	return "opcode " + strconv.Itoa(int(o))
}

// Sizes and bounds of the wire format.
const (
	// DefaultBlockSize is the block size of RFC 1350, used when blksize is
	// not negotiated.
	DefaultBlockSize = 512
	// MinBlockSize and MaxBlockSize bound the blksize option (RFC 2348).
	MinBlockSize = 8
	MaxBlockSize = 65464
	// MaxRequestSize bounds an RRQ or WRQ datagram. RFC 2347 caps requests
	// at 512 bytes; filemux accepts up to 4096 so that long paths and many
	// options from real clients fit, and refuses anything larger.
	MaxRequestSize = 4096
	// MaxOptions bounds the number of options in one request or OACK.
	MaxOptions = 64
	// MaxErrorMessage bounds the text of an ERROR packet filemux sends, so
	// that the packet fits the 512-byte datagram every peer can receive.
	MaxErrorMessage = 512 - 5
	// headerSize is the opcode and block number in front of DATA payloads.
	headerSize = 4
)

// Request is a parsed RRQ or WRQ.
type Request struct {
	Op       Opcode
	Filename string
	Mode     behaviour.Mode
	// Options are the options in the order the peer sent them, names in
	// lower case, values as sent.
	Options behaviour.Options
}

// Packet is a parsed DATA, ACK, ERROR or OACK. Payload aliases the buffer
// that was parsed, so parsing DATA and ACK allocates nothing.
type Packet struct {
	Op      Opcode
	Block   uint16            // DATA and ACK
	Payload []byte            // DATA
	Code    behaviour.Code    // ERROR
	Message string            // ERROR
	Options behaviour.Options // OACK
}

// AppendData appends a DATA packet to dst.
func AppendData(dst []byte, block uint16, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(OpData))
	dst = binary.BigEndian.AppendUint16(dst, block)
	return append(dst, payload...)
}

// AppendAck appends an ACK packet to dst.
func AppendAck(dst []byte, block uint16) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(OpAck))
	return binary.BigEndian.AppendUint16(dst, block)
}

// AppendError appends an ERROR packet to dst: exactly the header, msg and one
// NUL. msg is cut at its first NUL and at MaxErrorMessage bytes, so the
// packet never carries more than the caller's text.
func AppendError(dst []byte, code behaviour.Code, msg string) []byte {
	msg = cstring(msg, MaxErrorMessage)
	dst = binary.BigEndian.AppendUint16(dst, uint16(OpError))
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	dst = append(dst, msg...)
	return append(dst, 0)
}

// AppendOACK appends an OACK carrying opts to dst.
func AppendOACK(dst []byte, opts behaviour.Options) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(OpOACK))
	for name, value := range opts.All() {
		dst = appendField(appendField(dst, name), value)
	}
	return dst
}

// AppendRequest appends an RRQ or WRQ for r to dst.
func AppendRequest(dst []byte, r Request) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Op))
	dst = appendField(dst, r.Filename)
	dst = appendField(dst, r.Mode.String())
	for name, value := range r.Options.All() {
		dst = appendField(appendField(dst, name), value)
	}
	return dst
}

func appendField(dst []byte, s string) []byte { return append(append(dst, s...), 0) }

// cstring cuts s at its first NUL and at limit bytes, backing off to the
// start of a UTF-8 sequence rather than splitting it.
func cstring(s string, limit int) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > limit-utf8.UTFMax && cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = limit // not UTF-8 at all: cut where the limit says
	}
	return s[:cut]
}
