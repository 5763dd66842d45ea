package daemon_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/tftp"
)

// rrqOf builds an RRQ from raw fields, each followed by a NUL unless the
// last is meant to lack it (noNUL).
func rrqOf(noNUL bool, fields ...string) []byte {
	b := []byte{0, 1}
	for i, f := range fields {
		b = append(b, f...)
		if !noNUL || i < len(fields)-1 {
			b = append(b, 0)
		}
	}
	return b
}

func rrq(fields ...string) []byte { return rrqOf(false, fields...) }

func packet(op uint16, rest string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, op), rest...)
}

func manyOptions(n int) []string {
	fields := []string{"f", "octet"}
	for i := range n {
		fields = append(fields, fmt.Sprintf("opt%d", i), "1")
	}
	return fields
}

// badInput is one hostile datagram and what the daemon must answer.
type badInput struct {
	item string // the line of notes/bad-inputs.md
	name string
	b    []byte
	want string // "error N", "data", "oack OPTIONS" or "none"
}

func badInputs() []badInput {
	longName := strings.Repeat("A", 65000)
	fullName := strings.Repeat("A", tftp.MaxRequestSize-2-1-6) // the datagram is exactly MaxRequestSize
	deepName := strings.Repeat(strings.Repeat("d", 99)+"/", 41)[:len(fullName)-1] + "x"
	return []badInput{
		{"1", "64 KiB file name", rrq(longName, "octet"), "error 4"},
		{"1", "one component filling the datagram", rrq(fullName, "octet"), "error 2"},
		{"1", "deep path filling the datagram", rrq(deepName, "octet"), "data"},
		{"1", "component over 255 bytes", rrq(strings.Repeat("B", 256), "octet"), "error 2"},
		{"1", "name over PATH_MAX", rrq(strings.Repeat("a/", 2049), "octet"), "error 4"},
		{"2", "mail mode", rrq("f", "mail"), "error 4"},
		{"2", "mixed-case octet", rrq("f", "OcTeT"), "data"},
		{"2", "mixed-case netascii", rrq("f", "NetAscii"), "data"},
		{"2", "unknown mode", rrq("f", "binary"), "error 4"},
		{"2", "10 KB mode", rrq("f", strings.Repeat("o", 10000)), "error 4"},
		{"3", "no NUL after the name", rrqOf(true, "SECRETNAME"), "error 4"},
		{"3", "no NUL after the mode", rrqOf(true, "SECRETNAME", "octet"), "error 4"},
		{"3", "no NUL after an option value", rrqOf(true, "SECRETNAME", "octet", "blksize", "1024"), "error 4"},
		{"3", "option without value", rrq("SECRETNAME", "octet", "blksize"), "error 4"},
		{"4", "huge blksize", rrq("f", "octet", "blksize", "99999999999999999999"), "data"},
		{"4", "negative blksize", rrq("f", "octet", "blksize", "-1"), "data"},
		{"4", "non-numeric blksize", rrq("f", "octet", "blksize", "abc"), "data"},
		{"4", "signed blksize", rrq("f", "octet", "blksize", "+512"), "data"},
		{"4", "65 options", rrq(manyOptions(65)...), "error 8"},
		{"4", "1000 options", rrq(manyOptions(1000)...), "error 4"},
		{"4", "duplicates differing in case", rrq("f", "octet", "blksize", "1024", "BLKSIZE", "512"), "error 8"},
		{"4", "unknown options around a known one", rrq(append(manyOptions(30), "blksize", "1024")...), "oack blksize=1024"},
		{"5", "blksize below 8", rrq("f", "octet", "blksize", "7"), "data"},
		{"5", "blksize above 65464", rrq("f", "octet", "blksize", "65465"), "oack blksize=65464"},
		{"5", "timeout 0", rrq("f", "octet", "timeout", "0"), "data"},
		{"5", "timeout 256", rrq("f", "octet", "timeout", "256"), "data"},
		{"5", "windowsize 0", rrq("f", "octet", "windowsize", "0"), "data"},
		{"5", "windowsize 65536", rrq("f", "octet", "windowsize", "65536"), "oack windowsize=16"},
		{"5", "tsize other than 0 on a read", rrq("f", "octet", "tsize", "5"), "data"},
		{"6", "OACK is a subset of the request", rrq("f", "octet", "blksize", "1024"), "oack blksize=1024"},
		{"6", "tsize answered with the size", rrq("f", "octet", "tsize", "0"), "oack tsize=5"},
		{"13", "empty datagram", nil, "error 4"},
		{"13", "one byte", []byte{0}, "error 4"},
		{"13", "three-byte ERROR", []byte{0, 5, 0}, "none"},
		{"13", "opcode 0", packet(0, "xx"), "error 4"},
		{"13", "opcode 7", packet(7, "xx"), "error 4"},
		{"13", "opcode 65535", packet(65535, "xx"), "error 4"},
		{"13", "ERROR without message", packet(5, "\x00\x00"), "none"},
		{"13", "ERROR with a 64 KB message", packet(5, "\x00\x01"+strings.Repeat("e", 64000)+"\x00"), "none"},
		{"16", "ACK for no transfer", packet(4, "\x00\x01"), "error 5"},
		{"16", "DATA for no transfer", packet(3, "\x00\x01data"), "error 5"},
		{"16", "OACK for no transfer", packet(6, "blksize\x00512\x00"), "error 5"},
	}
}

// TestBadInputs sends the TFTP items of notes/bad-inputs.md as raw
// datagrams, in both port policies. Every answer is the right one, every
// ERROR is exactly header + message + NUL without a byte of the input, and
// the daemon serves afterwards. Items covered by dedicated tests: 15
// (TestRequestStorm), 17 (TestWrongTID), 18 (TestSorcerersApprentice), 19
// (TestDuplicateRequestJoins), 20 (TestBlockNumberWrap), 21
// (TestFirstReplyRetries, TestRequestRate, TestValidPeer), 22 (the limit
// tests), 23 (TestDeclinedIsQuiet).
func TestBadInputs(t *testing.T) {
	for _, ports := range []daemon.PortPolicy{daemon.PortsRandom, daemon.PortsSingle} {
		// Loopback is trusted: these are the options a client may
		// negotiate, which single-port mode otherwise bounds for
		// unproven peers (TestSinglePortAmplification).
		srv := daemontest.NewTFTP(t, behaviour.Bytes([]byte("hello")), func(d *daemon.TFTP) {
			d.Ports = ports
			d.TrustedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		})
		for _, in := range badInputs() {
			t.Run(ports.String()+"/"+in.item+"/"+in.name, func(t *testing.T) {
				c := newRawClient(t, srv.Addr())
				c.send(in.b)
				checkAnswer(t, c, in.want)
				assertServes(t, srv, "after")
			})
		}
	}
}

func checkAnswer(t *testing.T, c *rawClient, want string) {
	t.Helper()
	kind, arg, _ := strings.Cut(want, " ")
	switch kind {
	case "none":
		c.silent(50 * time.Millisecond)
	case "error":
		var code behaviour.Code
		fmt.Sscan(arg, &code)
		e := c.expectError(code)
		if strings.Contains(e.Message, "SECRET") || strings.Contains(e.Message, "AAAA") {
			t.Errorf("the ERROR echoes the input: %q", e.Message)
		}
	case "data":
		r := c.expect(tftp.OpData)
		if r.Block != 1 || string(r.Payload) != "hello" {
			t.Errorf("DATA %d %q", r.Block, r.Payload)
		}
		c.ack(1)
	case "oack":
		r := c.expect(tftp.OpOACK)
		if s := r.Options.String(); s != arg {
			t.Errorf("OACK %q, want %q", s, arg)
		}
		c.ack(0)
		if r := c.expect(tftp.OpData); string(r.Payload) != "hello" {
			t.Errorf("DATA %q", r.Payload)
		}
		c.ack(1)
	}
}

// TestWrongTID: a datagram from a stranger to a transfer's port gets
// ERROR 5 and does not disturb the transfer.
func TestWrongTID(t *testing.T) {
	srv := daemontest.NewTFTP(t, behaviour.Bytes(big))
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	first := c.expect(tftp.OpData)
	stranger := newRawClient(t, first.from)
	stranger.send(tftp.AppendAck(nil, 1))
	stranger.expectError(behaviour.CodeUnknownTID)
	got := append([]byte(nil), first.Payload...)
	c.ack(1)
	got = append(got, readRest(t, c)...)
	if !bytes.Equal(got, big) {
		t.Fatal("the stranger disturbed the transfer")
	}
}

// readRest continues a lock-step read after ACK 1.
func readRest(t *testing.T, c *rawClient) []byte {
	t.Helper()
	var out []byte
	for {
		r := c.expect(tftp.OpData)
		out = append(out, r.Payload...)
		c.ack(r.Block)
		if len(r.Payload) < tftp.DefaultBlockSize {
			return out
		}
	}
}

// TestSorcerersApprentice: a peer that sends every ACK twice gets every
// DATA once.
func TestSorcerersApprentice(t *testing.T) {
	srv := daemontest.NewTFTP(t, behaviour.Bytes(big))
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	datas := 0
	var got []byte
	for want := uint16(1); ; want++ {
		r := c.expect(tftp.OpData)
		if r.Block != want {
			t.Fatalf("DATA %d, want %d: duplicated ACKs multiplied the DATA", r.Block, want)
		}
		datas++
		got = append(got, r.Payload...)
		c.ack(r.Block)
		c.ack(r.Block)
		if len(r.Payload) < tftp.DefaultBlockSize {
			break
		}
	}
	c.silent(100 * time.Millisecond)
	if want := len(big)/tftp.DefaultBlockSize + 1; datas != want || !bytes.Equal(got, big) {
		t.Errorf("%d DATA packets, want %d", datas, want)
	}
}

// pattern is a synthetic file of size bytes: byte i is i%251.
type pattern struct{ size, off int64 }

func patternHandler(size int64) funcs {
	return funcs{
		open: func(_ context.Context, t *behaviour.Transfer) error {
			t.State = &pattern{size: size}
			return nil
		},
		read: func(t *behaviour.Transfer, p []byte) (int, error) {
			s := t.State.(*pattern)
			n := int(min(int64(len(p)), s.size-s.off))
			for i := range n {
				p[i] = byte((s.off + int64(i)) % 251)
			}
			s.off += int64(n)
			if s.off == s.size {
				return n, io.EOF
			}
			return n, nil
		},
	}
}

// getWindowed reads name with blksize and windowsize, ACKing each window,
// and checks the bytes against the pattern as they come. It returns the
// number of bytes read.
func getWindowed(t *testing.T, c *rawClient, name string, blksize, window int) int64 {
	t.Helper()
	c.rrq(name, "blksize", fmt.Sprint(blksize), "windowsize", fmt.Sprint(window))
	oack := c.expect(tftp.OpOACK)
	if s := oack.Options.String(); s != fmt.Sprintf("blksize=%d windowsize=%d", blksize, window) {
		t.Fatalf("OACK %q", s)
	}
	c.ack(0)
	var off int64
	want := uint16(1)
	for n := 1; ; n++ {
		r := c.expect(tftp.OpData)
		if back := want - r.Block; back != 0 && int(back) <= window {
			// A window sent again after a late or lost ACK, on a loaded
			// machine: acknowledge its end again.
			if back == 1 {
				c.ack(r.Block)
			}
			n--
			continue
		}
		if r.Block != want {
			t.Fatalf("DATA %d, want %d", r.Block, want)
		}
		for i, b := range r.Payload {
			if b != byte((off+int64(i))%251) {
				t.Fatalf("byte %d is %d, want %d", off+int64(i), b, (off+int64(i))%251)
			}
		}
		off += int64(len(r.Payload))
		if len(r.Payload) < blksize || n%window == 0 {
			c.ack(r.Block)
		}
		if len(r.Payload) < blksize {
			return off
		}
		want++
	}
}

// TestBlockNumberWrap: block numbers roll over from 65535 to 0 and the
// transfer goes on, at blksize 8 and 512.
func TestBlockNumberWrap(t *testing.T) {
	for _, blksize := range []int{8, 512} {
		t.Run(fmt.Sprint("blksize ", blksize), func(t *testing.T) {
			if blksize == 512 && testing.Short() {
				t.Skip("32 MiB in -short mode")
			}
			size := int64(blksize)*65536 + 3 // past the wrap, ending with a short block
			srv := daemontest.NewTFTP(t, patternHandler(size), func(d *daemon.TFTP) { d.MaxWindowSize = 64 })
			c := newRawClient(t, srv.Addr())
			if got := getWindowed(t, c, "wrap", blksize, 64); got != size {
				t.Fatalf("read %d bytes, want %d", got, size)
			}
		})
	}
}

// TestRequestStorm: parallel reads and writes of one name from many
// clients, under the race detector: every read is intact, every write
// commits one complete upload.
func TestRequestStorm(t *testing.T) {
	m := newMemory(big)
	sp := newSpy(m)
	srv := daemontest.NewTFTP(t, sp)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newRawClient(t, srv.Addr())
			if i%2 == 0 {
				if got, _ := c.get("same", "blksize", "1024"); !bytes.Equal(got, big) {
					t.Error("a read was corrupted")
				}
				return
			}
			c.put("same", bytes.Repeat([]byte{byte(i)}, 3000))
		}()
	}
	wg.Wait()
	sp.waitCounts(t, 16, 0, 16)
	got, _ := m.file("same")
	if len(got) != 3000 || !bytes.Equal(got, bytes.Repeat(got[:1], 3000)) {
		t.Error("the committed upload mixes several writers")
	}
}
