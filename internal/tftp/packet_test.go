package tftp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
)

// req builds a request datagram from raw fields, each followed by a NUL.
func req(op Opcode, fields ...string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(op))
	for _, f := range fields {
		b = append(append(b, f...), 0)
	}
	return b
}

func codeOf(err error) behaviour.Code {
	var e *behaviour.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0xffff
}

func TestParseRequestRefuses(t *testing.T) {
	many := []string{"f", "octet"}
	for i := range 1000 {
		many = append(many, "opt"+strconv.Itoa(i), "1")
	}
	for _, tc := range []struct {
		name string
		b    []byte
		code behaviour.Code
	}{
		{"empty datagram", nil, 4},
		{"one byte", []byte{0}, 4},
		{"opcode only", []byte{0, 1}, 4},
		{"three bytes", []byte{0, 1, 'a'}, 4},
		{"opcode 0", req(0, "f", "octet"), 4},
		{"opcode 7", req(7, "f", "octet"), 4},
		{"opcode 65535", req(65535, "f", "octet"), 4},
		{"DATA is not a request", req(OpData, "f", "octet"), 4},
		{"no NUL after filename", append(binary.BigEndian.AppendUint16(nil, 1), "file"...), 4},
		{"no NUL after mode", append(req(OpRRQ, "file"), "octet"...), 4},
		{"no mode", req(OpRRQ, "file"), 4},
		{"no NUL after option value", append(req(OpRRQ, "file", "octet", "blksize"), "1468"...), 4},
		{"trailing garbage", append(req(OpRRQ, "file", "octet"), 'x'), 4},
		{"option without value", req(OpRRQ, "file", "octet", "blksize"), 4},
		{"empty option name", req(OpRRQ, "file", "octet", "", "1"), 4},
		{"empty filename", req(OpRRQ, "", "octet"), 4},
		{"mail mode", req(OpWRQ, "file", "mail"), 4},
		{"MAIL mode", req(OpWRQ, "file", "MaIl"), 4},
		{"unknown mode", req(OpRRQ, "file", "binary"), 4},
		{"10 KB mode", req(OpRRQ, "file", strings.Repeat("o", 10<<10)), 4},
		{"64 KiB filename", req(OpRRQ, strings.Repeat("a", 64<<10), "octet"), 4},
		{"1000 options (too long)", req(OpRRQ, many...), 4},
		{"65 options", req(OpRRQ, append([]string{"f", "octet"}, optionFields(MaxOptions+1)...)...), 8},
		{"duplicate option differing in case", req(OpRRQ, "file", "octet", "blksize", "512", "BlkSize", "1024"), 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRequest(tc.b)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := codeOf(err); got != tc.code {
				t.Fatalf("code %d (%v), want %d", got, err, tc.code)
			}
			if !errors.Is(err, errMalformed) {
				t.Errorf("error %v does not wrap errMalformed", err)
			}
			assertNoEcho(t, behaviour.PeerMessage(err), tc.b)
		})
	}
}

// knownWords are the words of the fixed messages: an input that happens to
// be one of them is not an echo.
const knownWords = "request too long truncated packet not a malformed empty file name unsupported mode option without value too many options duplicate ACK unexpected opcode OACK"

// assertNoEcho fails when the peer message repeats a run of the input: the
// codec must never echo what it was sent (atftp CVE-2021-46671).
func assertNoEcho(t *testing.T, msg string, input []byte) {
	t.Helper()
	if len(input) > 2 {
		input = input[2:]
	}
	for _, field := range bytes.Split(input, []byte{0}) {
		if len(field) >= 3 && strings.Contains(msg, string(field)) && !strings.Contains(knownWords, string(field)) {
			t.Fatalf("peer message %q echoes the input", msg)
		}
	}
}

func TestParseRequestAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want Request
		opts string
	}{
		{"plain RRQ", req(OpRRQ, "boot/pxelinux.0", "octet"), Request{Op: OpRRQ, Filename: "boot/pxelinux.0", Mode: behaviour.Octet}, ""},
		{"mixed-case mode", req(OpWRQ, "cfg", "OcTeT"), Request{Op: OpWRQ, Filename: "cfg", Mode: behaviour.Octet}, ""},
		{"netascii", req(OpRRQ, "motd", "NETASCII"), Request{Op: OpRRQ, Filename: "motd", Mode: behaviour.Netascii}, ""},
		{"options lower-cased, values kept", req(OpRRQ, "f", "octet", "BLKSIZE", "1468", "TSize", "0", "x-Vendor", "AbC"), Request{Op: OpRRQ, Filename: "f", Mode: behaviour.Octet}, "blksize=1468 tsize=0 x-vendor=AbC"},
		{"odd values kept for negotiation", req(OpRRQ, "f", "octet", "blksize", "+512", "timeout", "-1", "windowsize", "abc"), Request{Op: OpRRQ, Filename: "f", Mode: behaviour.Octet}, "blksize=+512 timeout=-1 windowsize=abc"},
		{"empty value", req(OpRRQ, "f", "octet", "tsize", ""), Request{Op: OpRRQ, Filename: "f", Mode: behaviour.Octet}, "tsize="},
		{"64 options", req(OpRRQ, append([]string{"f", "octet"}, optionFields(MaxOptions)...)...), Request{Op: OpRRQ, Filename: "f", Mode: behaviour.Octet}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRequest(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Op != tc.want.Op || got.Filename != tc.want.Filename || got.Mode != tc.want.Mode {
				t.Fatalf("got %v %q %v", got.Op, got.Filename, got.Mode)
			}
			if tc.opts != "" && got.Options.String() != tc.opts {
				t.Errorf("options %q, want %q", got.Options.String(), tc.opts)
			}
			if again := AppendRequest(nil, got); tc.opts != "" && !bytes.EqualFold(again, tc.b) {
				t.Errorf("AppendRequest does not round-trip: %q", again)
			}
		})
	}
}

func optionFields(n int) []string {
	var f []string
	for i := range n {
		f = append(f, "o"+strconv.Itoa(i), strconv.Itoa(i))
	}
	return f
}

func TestParsePacket(t *testing.T) {
	long := strings.Repeat("m", 64<<10)
	for _, tc := range []struct {
		name string
		b    []byte
		want Packet
		bad  bool
	}{
		{"empty", nil, Packet{}, true},
		{"one byte", []byte{5}, Packet{}, true},
		{"three-byte ERROR", []byte{0, 5, 0}, Packet{}, true},
		{"three-byte ACK", []byte{0, 4, 0}, Packet{}, true},
		{"opcode 0", []byte{0, 0, 0, 1}, Packet{}, true},
		{"opcode 7", []byte{0, 7, 0, 1}, Packet{}, true},
		{"opcode 65535", []byte{0xff, 0xff, 0, 1}, Packet{}, true},
		{"RRQ", req(OpRRQ, "f", "octet"), Packet{}, true},
		{"ACK with trailing byte", []byte{0, 4, 0, 1, 0}, Packet{}, true},
		{"ACK", AppendAck(nil, 65535), Packet{Op: OpAck, Block: 65535}, false},
		{"empty DATA", AppendData(nil, 7, nil), Packet{Op: OpData, Block: 7}, false},
		{"DATA", AppendData(nil, 1, []byte("abc")), Packet{Op: OpData, Block: 1, Payload: []byte("abc")}, false},
		{"ERROR without message", []byte{0, 5, 0, 1}, Packet{Op: OpError, Code: 1}, false},
		{"ERROR without NUL", append([]byte{0, 5, 0, 2}, "denied"...), Packet{Op: OpError, Code: 2, Message: "denied"}, false},
		{"ERROR with 64 KB message", AppendErrorRaw(3, long), Packet{Op: OpError, Code: 3, Message: long[:MaxErrorMessage]}, false},
		{"ERROR with invalid UTF-8", AppendErrorRaw(0, "a\xffb"), Packet{Op: OpError, Code: 0, Message: "a?b"}, false},
		{"ERROR code 300", AppendError(nil, 300, "x"), Packet{Op: OpError, Code: 300, Message: "x"}, false},
		{"empty OACK", []byte{0, 6}, Packet{Op: OpOACK}, false},
		{"OACK", AppendOACK(nil, behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "1468"})), Packet{Op: OpOACK, Options: behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "1468"})}, false},
		{"OACK without value", req(OpOACK, "blksize"), Packet{}, true},
		{"OACK missing NUL", append(req(OpOACK, "blksize"), '8'), Packet{}, true},
		{"OACK duplicate", req(OpOACK, "tsize", "1", "TSIZE", "2"), Packet{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePacket(tc.b)
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted as %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Op != tc.want.Op || got.Block != tc.want.Block || !bytes.Equal(got.Payload, tc.want.Payload) ||
				got.Code != tc.want.Code || got.Message != tc.want.Message || got.Options.String() != tc.want.Options.String() {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// AppendErrorRaw builds an ERROR without AppendError's truncation, as a
// hostile peer would.
func AppendErrorRaw(code behaviour.Code, msg string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(OpError))
	b = binary.BigEndian.AppendUint16(b, uint16(code))
	return append(append(b, msg...), 0)
}

func TestAppendErrorIsExact(t *testing.T) {
	for _, tc := range []struct {
		name, msg, want string
	}{
		{"plain", "file not found", "file not found"},
		{"empty", "", ""},
		{"embedded NUL cut", "abc\x00secret", "abc"},
		{"long message truncated", strings.Repeat("x", 70000), strings.Repeat("x", MaxErrorMessage)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A dirty buffer: nothing of it may leak into the packet.
			dst := bytes.Repeat([]byte{'S'}, 1024)[:0]
			b := AppendError(dst, behaviour.CodeNotFound, tc.msg)
			want := append([]byte{0, 5, 0, 1}, tc.want...)
			want = append(want, 0)
			if !bytes.Equal(b, want) {
				t.Fatalf("got %q, want %q", b, want)
			}
			if len(b) > 512 {
				t.Errorf("ERROR of %d bytes does not fit 512", len(b))
			}
		})
	}
}

func TestAppendErrorCutsAtRuneBoundary(t *testing.T) {
	msg := strings.Repeat("é", MaxErrorMessage) // two bytes each
	b := AppendError(nil, 0, msg)
	pk, err := ParsePacket(b)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(pk.Message, '?') || len(pk.Message) > MaxErrorMessage || len(pk.Message) < MaxErrorMessage-1 {
		t.Fatalf("message of %d bytes, valid UTF-8 cut expected", len(pk.Message))
	}
}

func TestOpcodeString(t *testing.T) {
	for op, want := range map[Opcode]string{OpRRQ: "RRQ", OpWRQ: "WRQ", OpData: "DATA", OpAck: "ACK", OpError: "ERROR", OpOACK: "OACK", 0: "opcode 0", 7: "opcode 7"} {
		if got := op.String(); got != want {
			t.Errorf("%d: %q, want %q", uint16(op), got, want)
		}
	}
}
