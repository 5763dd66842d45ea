package daemon_test

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// rawClient is a TFTP peer written for the tests: it sends exactly the
// datagrams a test asks for and hands back what the daemon answers, so
// that tests can assert the protocol precisely.
type rawClient struct {
	t      testing.TB
	conn   *net.UDPConn
	server netip.AddrPort // the daemon's listening address
	tid    netip.AddrPort // the address of the last datagram received
	buf    []byte
}

// reply is one datagram from the daemon.
type reply struct {
	tftp.Packet
	from netip.AddrPort
	raw  []byte
}

func newRawClient(t testing.TB, server netip.AddrPort) *rawClient {
	t.Helper()
	local := "127.0.0.1:0"
	if server.Addr().Is6() {
		local = "[::1]:0"
	}
	return newRawClientFrom(t, server, local)
}

func newRawClientFrom(t testing.TB, server netip.AddrPort, local string) *rawClient {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(local)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn, server: server, buf: make([]byte, 1<<16)}
}

func (c *rawClient) close() { c.conn.Close() }

func (c *rawClient) addr() netip.AddrPort { return c.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// send sends b to the daemon's listening port.
func (c *rawClient) send(b []byte) { c.sendTo(b, c.server) }

// sendTID sends b to the port of the transfer (the last reply's source).
func (c *rawClient) sendTID(b []byte) { c.sendTo(b, c.tid) }

func (c *rawClient) sendTo(b []byte, to netip.AddrPort) {
	c.t.Helper()
	if _, err := c.conn.WriteToUDPAddrPort(b, to); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) request(op tftp.Opcode, name string, opts ...string) {
	c.t.Helper()
	r := tftp.Request{Op: op, Filename: name, Mode: behaviour.Octet}
	for i := 0; i+1 < len(opts); i += 2 {
		r.Options.Add(opts[i], opts[i+1])
	}
	c.send(tftp.AppendRequest(nil, r))
}

func (c *rawClient) rrq(name string, opts ...string) {
	c.t.Helper()
	c.request(tftp.OpRRQ, name, opts...)
}
func (c *rawClient) wrq(name string, opts ...string) {
	c.t.Helper()
	c.request(tftp.OpWRQ, name, opts...)
}
func (c *rawClient) ack(block uint16) { c.t.Helper(); c.sendTID(tftp.AppendAck(nil, block)) }
func (c *rawClient) data(block uint16, p []byte) {
	c.t.Helper()
	c.sendTID(tftp.AppendData(nil, block, p))
}

// recv waits up to d for a datagram; ok is false on timeout.
func (c *rawClient) recv(d time.Duration) (r reply, ok bool) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	n, from, err := c.conn.ReadFromUDPAddrPort(c.buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return r, false
	}
	if err != nil {
		c.t.Fatal(err)
	}
	r.raw, r.from = append([]byte(nil), c.buf[:n]...), netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	c.tid = r.from
	r.Packet, err = tftp.ParsePacket(r.raw)
	if err != nil {
		c.t.Fatalf("unparsable reply % x: %v", r.raw, err)
	}
	return r, true
}

// next waits for a datagram and fails the test without one.
func (c *rawClient) next() reply {
	c.t.Helper()
	r, ok := c.recv(5 * time.Second)
	if !ok {
		c.t.Fatal("no reply from the daemon")
	}
	return r
}

// silent asserts that nothing arrives for d.
func (c *rawClient) silent(d time.Duration) {
	c.t.Helper()
	if r, ok := c.recv(d); ok {
		c.t.Fatalf("unexpected %v from %v: % x", r.Op, r.from, r.raw)
	}
}

// expectError waits for an ERROR with code and returns it.
func (c *rawClient) expectError(code behaviour.Code) reply {
	c.t.Helper()
	r := c.next()
	if r.Op != tftp.OpError || r.Code != code {
		c.t.Fatalf("got %v code %d %q, want ERROR %d", r.Op, r.Code, r.Message, code)
	}
	if want := 4 + len(r.Message) + 1; len(r.raw) != want {
		c.t.Fatalf("ERROR is %d bytes, want exactly header+message+NUL = %d", len(r.raw), want)
	}
	return r
}

// expect waits for a packet of op.
func (c *rawClient) expect(op tftp.Opcode) reply {
	c.t.Helper()
	r := c.next()
	if r.Op != op {
		c.t.Fatalf("got %v (code %d %q), want %v", r.Op, r.Code, r.Message, op)
	}
	return r
}

// get reads name in lock-step with the given options and returns the data
// and the OACK's options (empty without an OACK).
func (c *rawClient) get(name string, opts ...string) ([]byte, behaviour.Options) {
	c.t.Helper()
	before := c.tid
	c.rrq(name, opts...)
	blk := tftp.DefaultBlockSize
	r := c.first(before)
	var oack behaviour.Options
	if r.Op == tftp.OpOACK {
		oack = r.Options
		if v, ok := oack.Int("blksize"); ok {
			blk = int(v)
		}
		c.ack(0)
		r = c.next()
	}
	var out []byte
	for want := uint16(1); ; want++ {
		for r.Op == tftp.OpData && r.Block == want-1 {
			r = c.next() // a resend of the block already acknowledged: our ACK was slow
		}
		if r.Op != tftp.OpData || r.Block != want {
			c.t.Fatalf("got %v block %d (code %d %q), want DATA %d", r.Op, r.Block, r.Code, r.Message, want)
		}
		out = append(out, r.Payload...)
		c.ack(want)
		if len(r.Payload) < blk {
			return out, oack
		}
		r = c.next()
	}
}

// first waits for the first reply to a read request, passing over what a
// loaded machine may still deliver of the transfer before on this socket
// (a final DATA sent again because our last ACK was slow): a datagram from
// that transfer's port (in random-port mode), or DATA that cannot begin a
// transfer.
func (c *rawClient) first(before netip.AddrPort) reply {
	c.t.Helper()
	for {
		r := c.next()
		stale := before.IsValid() && before != c.server && r.from == before
		if !stale && (r.Op != tftp.OpData || r.Block == 1) {
			return r
		}
	}
}

// writeReply waits for the daemon's ACK during an upload, passing over
// DATA, which only an earlier read on this socket can still deliver.
func (c *rawClient) writeReply() reply {
	c.t.Helper()
	for {
		r := c.next()
		if r.Op != tftp.OpData {
			if r.Op != tftp.OpAck {
				c.t.Fatalf("got %v (code %d %q), want ACK", r.Op, r.Code, r.Message)
			}
			return r
		}
	}
}

// put writes data to name in lock-step at the default block size.
func (c *rawClient) put(name string, data []byte, opts ...string) behaviour.Options {
	c.t.Helper()
	before := c.tid
	c.wrq(name, opts...)
	r := c.first(before)
	var oack behaviour.Options
	switch {
	case r.Op == tftp.OpOACK:
		oack = r.Options
	case r.Op != tftp.OpAck || r.Block != 0:
		c.t.Fatalf("got %v (code %d %q), want ACK 0 or OACK", r.Op, r.Code, r.Message)
	}
	for block := uint16(1); ; block++ {
		off := int(block-1) * tftp.DefaultBlockSize
		chunk := data[off:min(len(data), off+tftp.DefaultBlockSize)]
		c.data(block, chunk)
		a := c.writeReply()
		for a.Block == block-1 {
			a = c.writeReply() // a resent ACK: our DATA was slow
		}
		if a.Block != block {
			c.t.Fatalf("ACK %d, want %d", a.Block, block)
		}
		if len(chunk) < tftp.DefaultBlockSize {
			return oack
		}
	}
}
