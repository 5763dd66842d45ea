package tftp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/filemux/filemux/behaviour"
)

// The seed corpus lives in testdata/fuzz; `go test` runs it as plain tests,
// `go test -fuzz FuzzParseRequest` explores from it.

func FuzzParseRequest(f *testing.F) {
	f.Add(req(OpRRQ, "pxelinux.0", "octet", "blksize", "1468", "tsize", "0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err != nil {
			checkCodecError(t, err, b)
			return
		}
		if r.Op != OpRRQ && r.Op != OpWRQ || r.Filename == "" || r.Options.Len() > MaxOptions {
			t.Fatalf("accepted %+v", r)
		}
		again, err := ParseRequest(AppendRequest(nil, r))
		if err != nil {
			t.Fatalf("re-encoded request refused: %v", err)
		}
		if again.Op != r.Op || again.Filename != r.Filename || again.Mode != r.Mode || again.Options.String() != r.Options.String() {
			t.Fatalf("round trip changed %+v into %+v", r, again)
		}
	})
}

func FuzzParsePacket(f *testing.F) {
	f.Add(AppendAck(nil, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := ParsePacket(b)
		if err != nil {
			checkCodecError(t, err, b)
			return
		}
		switch pk.Op {
		case OpData:
			if !bytes.Equal(AppendData(nil, pk.Block, pk.Payload), b) {
				t.Fatal("DATA does not round-trip")
			}
		case OpAck:
			if !bytes.Equal(AppendAck(nil, pk.Block), b) {
				t.Fatal("ACK does not round-trip")
			}
		case OpError:
			if len(pk.Message) > MaxErrorMessage+2 || !utf8.ValidString(pk.Message) || strings.IndexByte(pk.Message, 0) >= 0 {
				t.Fatalf("ERROR message %q", pk.Message)
			}
			e := AppendError(nil, pk.Code, pk.Message)
			if len(e) > 512 || e[len(e)-1] != 0 {
				t.Fatalf("re-encoded ERROR of %d bytes", len(e))
			}
		case OpOACK:
			again, err := ParsePacket(AppendOACK(nil, pk.Options))
			if err != nil || again.Options.String() != pk.Options.String() {
				t.Fatalf("OACK does not round-trip: %v", err)
			}
		default:
			t.Fatalf("accepted opcode %v", pk.Op)
		}
	})
}

// FuzzNegotiate drives a request through the server's negotiation with a
// handler that accepts everything, and checks RFC 2347 on the answer.
func FuzzNegotiate(f *testing.F) {
	f.Add(req(OpRRQ, "f", "octet", "blksize", "65535", "windowsize", "0", "timeout", "256"), int64(100), 1468)
	f.Fuzz(func(t *testing.T, b []byte, size int64, maxBlock int) {
		r, err := ParseRequest(b)
		if err != nil {
			return
		}
		lim := Limits{MaxBlockSize: maxBlock, MaxSize: max(size, 0)}
		offer, err := ServerOptions(r, lim)
		if err != nil {
			if codeOf(err) != behaviour.CodeDiskFull || r.Op != OpWRQ {
				t.Fatalf("offer refused: %v", err)
			}
			return
		}
		p, oack, err := Accept(r, offer, offer.Clone(), size, DefaultParams())
		if err != nil {
			t.Fatalf("accepting the offer refused: %v", err)
		}
		assertNotLarger(t, r.Options, oack)
		if p.BlockSize < MinBlockSize || p.BlockSize > MaxBlockSize || p.WindowSize < 1 || p.WindowSize*(p.BlockSize+headerSize) > maxWindowBytes+p.BlockSize+headerSize {
			t.Fatalf("params %+v", p)
		}
		if pkt := AppendOACK(nil, oack); len(pkt) > 512 {
			t.Fatalf("OACK of %d bytes would not fit a 512-byte datagram", len(pkt))
		}
	})
}

// fixedMessages are the only texts the codec puts in front of a peer.
var fixedMessages = map[string]bool{
	"request too long": true, "truncated packet": true, "not a request": true, "malformed request": true,
	"empty file name": true, "unsupported mode": true, "option without value": true, "too many options": true,
	"empty option name": true, "duplicate option": true, "malformed ACK": true, "unexpected opcode": true,
	"malformed OACK": true,
}

// checkCodecError checks that a refusal is a protocol error with code 4 or
// 8 whose peer text repeats nothing of the input.
func checkCodecError(t *testing.T, err error, input []byte) {
	t.Helper()
	var e *behaviour.Error
	if !errors.As(err, &e) || !errors.Is(err, errMalformed) {
		t.Fatalf("error %v is not a codec error", err)
	}
	if e.Code != behaviour.CodeIllegalOperation && e.Code != behaviour.CodeOptionRefused {
		t.Fatalf("code %d", e.Code)
	}
	if !fixedMessages[e.PeerMessage()] {
		t.Fatalf("peer message %q is not one of the codec's fixed texts", e.PeerMessage())
	}
	assertNoEcho(t, e.PeerMessage(), input)
}
