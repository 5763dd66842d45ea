package tftp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/filemux/filemux/behaviour"
)

// errMalformed is the cause of every codec error, so that callers can tell a
// bad packet from other failures with errors.Is. The peer-visible messages
// are fixed texts: the codec never echoes a byte of its input.
var errMalformed = errors.New("tftp: malformed packet")

func malformed(code behaviour.Code, msg string) *behaviour.Error {
	return &behaviour.Error{Code: code, Message: msg, Err: errMalformed}
}

// ParseRequest parses an RRQ or WRQ datagram. It is strict: every field must
// end with a NUL, nothing may follow the last option value, the file name
// must not be empty, the mode must be octet or netascii in any case, and
// option names must be unique without regard to case. Errors are
// *behaviour.Error with code 4 (illegal operation) for a malformed or
// oversized request and an unsupported mode, and code 8 (option refused) for
// too many or duplicate options. Option values are kept as sent: whether a
// value is acceptable is decided by [ServerOptions].
func ParseRequest(b []byte) (Request, error) {
	if len(b) > MaxRequestSize {
		return Request{}, malformed(behaviour.CodeIllegalOperation, "request too long")
	}
	if len(b) < 2 {
		return Request{}, malformed(behaviour.CodeIllegalOperation, "truncated packet")
	}
	op := Opcode(binary.BigEndian.Uint16(b))
	if op != OpRRQ && op != OpWRQ {
		return Request{}, malformed(behaviour.CodeIllegalOperation, "not a request")
	}
	fields, ok := splitFields(b[2:])
	if !ok || len(fields) < 2 {
		return Request{}, malformed(behaviour.CodeIllegalOperation, "malformed request")
	}
	if len(fields[0]) == 0 {
		return Request{}, malformed(behaviour.CodeIllegalOperation, "empty file name")
	}
	mode, err := parseMode(fields[1])
	if err != nil {
		return Request{}, err
	}
	opts, err := parseOptions(fields[2:])
	if err != nil {
		return Request{}, err
	}
	return Request{Op: op, Filename: string(fields[0]), Mode: mode, Options: opts}, nil
}

// splitFields splits NUL-terminated fields. ok is false when the last field
// lacks its NUL (a truncated field or trailing garbage).
func splitFields(b []byte) (fields [][]byte, ok bool) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return nil, false
		}
		fields = append(fields, b[:i])
		b = b[i+1:]
	}
	return fields, true
}

func parseMode(b []byte) (behaviour.Mode, error) {
	switch {
	case asciiEqualFold(b, "octet"):
		return behaviour.Octet, nil
	case asciiEqualFold(b, "netascii"):
		return behaviour.Netascii, nil
	}
	// mail (RFC 1350, obsolete) is refused like any unknown mode.
	return 0, malformed(behaviour.CodeIllegalOperation, "unsupported mode")
}

func asciiEqualFold(b []byte, s string) bool {
	return len(b) == len(s) && strings.EqualFold(string(b), s)
}

// parseOptions reads name/value pairs. A name without a value is malformed;
// a repeated name (in any case) refuses the whole request rather than keeping
// one of them, so that no two parts of a system can disagree about which
// value counts.
func parseOptions(fields [][]byte) (behaviour.Options, error) {
	var opts behaviour.Options
	if len(fields)%2 != 0 {
		return opts, malformed(behaviour.CodeIllegalOperation, "option without value")
	}
	if len(fields)/2 > MaxOptions {
		return opts, malformed(behaviour.CodeOptionRefused, "too many options")
	}
	for i := 0; i < len(fields); i += 2 {
		if len(fields[i]) == 0 {
			return opts, malformed(behaviour.CodeIllegalOperation, "empty option name")
		}
		if !opts.Add(string(fields[i]), string(fields[i+1])) {
			return opts, malformed(behaviour.CodeOptionRefused, "duplicate option")
		}
	}
	return opts, nil
}

// ParsePacket parses a DATA, ACK, ERROR or OACK datagram. DATA needs at least
// its 4-byte header; ACK is exactly 4 bytes; an OACK follows the option rules
// of [ParseRequest]. An ERROR is accepted even without its NUL or message
// (a peer that wants to stop is taken at its word); the message is cut at
// MaxErrorMessage bytes and made valid UTF-8. Requests and unknown opcodes
// are errors with code 4.
func ParsePacket(b []byte) (Packet, error) {
	if len(b) < 4 {
		if len(b) >= 2 && Opcode(binary.BigEndian.Uint16(b)) == OpOACK {
			return parseOACK(b[2:])
		}
		return Packet{}, malformed(behaviour.CodeIllegalOperation, "truncated packet")
	}
	op := Opcode(binary.BigEndian.Uint16(b))
	switch op {
	case OpData:
		return Packet{Op: op, Block: binary.BigEndian.Uint16(b[2:]), Payload: b[4:]}, nil
	case OpAck:
		if len(b) != 4 {
			return Packet{}, malformed(behaviour.CodeIllegalOperation, "malformed ACK")
		}
		return Packet{Op: op, Block: binary.BigEndian.Uint16(b[2:])}, nil
	case OpError:
		return parseError(b), nil
	case OpOACK:
		return parseOACK(b[2:])
	}
	return Packet{}, malformed(behaviour.CodeIllegalOperation, "unexpected opcode")
}

func parseError(b []byte) Packet {
	msg := b[4:]
	if i := bytes.IndexByte(msg, 0); i >= 0 {
		msg = msg[:i]
	}
	msg = msg[:min(len(msg), MaxErrorMessage)]
	text := string(msg)
	if !utf8.Valid(msg) {
		text = strings.ToValidUTF8(text, "?")
	}
	return Packet{Op: OpError, Code: behaviour.Code(binary.BigEndian.Uint16(b[2:])), Message: text}
}

func parseOACK(b []byte) (Packet, error) {
	fields, ok := splitFields(b)
	if !ok {
		return Packet{}, malformed(behaviour.CodeIllegalOperation, "malformed OACK")
	}
	opts, err := parseOptions(fields)
	if err != nil {
		return Packet{}, err
	}
	return Packet{Op: OpOACK, Options: opts}, nil
}
