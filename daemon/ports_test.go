package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
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

// named serves, for every name, the name repeated to 2000 bytes.
func named() behaviour.Handler {
	return behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		return bytes.NewReader(content(t.Name)), nil
	})
}

func content(name string) []byte {
	return []byte(strings.Repeat(name+";", 2000/(len(name)+1)+1)[:2000])
}

// TestRepliesFromTheRequestedAddress: with the daemon on an unspecified
// address, a request sent to 127.0.0.2 is answered from 127.0.0.2, in every
// port policy, on an IPv4 and on a dual-stack socket.
func TestRepliesFromTheRequestedAddress(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:0", "[::]:0"} {
		for _, ports := range []daemon.PortPolicy{daemon.PortsRandom, daemon.PortsSingle} {
			t.Run(listen+" "+ports.String(), func(t *testing.T) {
				hooks := newHookLog()
				srv := daemontest.NewTFTP(t, named(), hooks.install(nil), func(d *daemon.TFTP) {
					d.ListenAddr = listen
					d.Ports = ports
				})
				to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), srv.Addr().Port())
				c := newRawClientFrom(t, to, "127.0.0.1:0")
				got, _ := c.get("abc")
				if !bytes.Equal(got, content("abc")) {
					t.Fatal("wrong content")
				}
				if c.tid.Addr() != to.Addr() {
					t.Errorf("reply came from %v, want %v", c.tid.Addr(), to.Addr())
				}
				if ports == daemon.PortsSingle && c.tid != to {
					t.Errorf("single-port reply came from %v, want %v", c.tid, to)
				}
				if s := receive(t, hooks.successes, "OnSuccess"); s.Local != to {
					t.Errorf("Stats.Local %v, want %v", s.Local, to)
				}
				c.rrq("../refused")
				if e := c.expectError(behaviour.CodeAccessViolation); e.from != to {
					t.Errorf("refusal came from %v, want %v", e.from, to)
				}
			})
		}
	}
}

func TestIPv6(t *testing.T) {
	if _, err := net.ListenPacket("udp", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	m := newMemory(big)
	srv := daemontest.NewTFTP(t, m, func(d *daemon.TFTP) { d.ListenAddr = "[::1]:0" })
	c := newRawClient(t, srv.Addr())
	if got, _ := c.get("f", "blksize", "1400"); !bytes.Equal(got, big) {
		t.Fatal("wrong content over IPv6")
	}
	c.put("up", []byte("over six"))
	waitFor(t, "the upload", func() bool { _, ok := m.file("up"); return ok })
}

// freeRange finds n consecutive free UDP ports on 127.0.0.1.
func freeRange(t *testing.T, n int) (lo, hi uint16) {
	t.Helper()
	for base := 30000 + time.Now().Nanosecond()%20000; base < 65000; base += n {
		var held []net.PacketConn
		for p := base; p < base+n; p++ {
			pc, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				break
			}
			held = append(held, pc)
		}
		for _, pc := range held {
			pc.Close()
		}
		if len(held) == n {
			return uint16(base), uint16(base + n - 1)
		}
	}
	t.Skip("no free port range")
	return 0, 0
}

func TestPortRange(t *testing.T) {
	lo, hi := freeRange(t, 3)
	srv := daemontest.NewTFTP(t, newMemory(big), func(d *daemon.TFTP) {
		d.Ports = daemon.PortRange(lo, hi)
		d.Timeout = 5 * time.Second
	})
	running := startReads(t, srv, "127.0.0.1:0", 3)
	ports := map[uint16]bool{}
	for _, c := range running {
		p := c.tid.Port()
		if p < lo || p > hi {
			t.Errorf("transfer on port %d, outside %d-%d", p, lo, hi)
		}
		ports[p] = true
	}
	if len(ports) != 3 {
		t.Errorf("3 concurrent transfers on %d distinct ports", len(ports))
	}
	c := newRawClient(t, srv.Addr())
	c.rrq("f")
	if e := c.expectError(behaviour.CodeDiskFull); e.Message != "no free port" {
		t.Errorf("message %q", e.Message)
	}
	finish(t, running[1])
	waitFor(t, "a free port", func() bool { return len(srv.TFTP.Active()) == 2 })
	again := startReads(t, srv, "127.0.0.1:0", 1)
	if p := again[0].tid.Port(); p < lo || p > hi {
		t.Errorf("port %d outside the range", p)
	}
}

func TestSinglePortConcurrent(t *testing.T) {
	m := newMemory(nil)
	srv := daemontest.NewTFTP(t, &readWrite{named: named(), memory: m}, func(d *daemon.TFTP) { d.Ports = daemon.PortsSingle })
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newRawClient(t, srv.Addr())
			name := fmt.Sprintf("file-%d", i)
			if i%2 == 0 {
				got, _ := c.get(name, "blksize", "100")
				if !bytes.Equal(got, content(name)) {
					t.Errorf("%s: wrong content", name)
				}
			} else {
				c.put(name, content(name))
			}
			if c.tid != srv.Addr() {
				t.Errorf("%s: replies from %v, want the listening port %v", name, c.tid, srv.Addr())
			}
		}()
	}
	wg.Wait()
	for i := 1; i < 6; i += 2 {
		name := fmt.Sprintf("file-%d", i)
		waitFor(t, name, func() bool { b, ok := m.file(name); return ok && bytes.Equal(b, content(name)) })
	}
}

// readWrite serves reads from named and keeps writes in memory.
type readWrite struct {
	named behaviour.Handler
	*memory
}

func (h *readWrite) pick(t *behaviour.Transfer) behaviour.Handler {
	if t.Access == behaviour.Read {
		return h.named
	}
	return h.memory
}
func (h *readWrite) Open(ctx context.Context, t *behaviour.Transfer) error {
	return h.pick(t).Open(ctx, t)
}
func (h *readWrite) Read(t *behaviour.Transfer, p []byte) (int, error) { return h.pick(t).Read(t, p) }
func (h *readWrite) Write(t *behaviour.Transfer, p []byte, last bool) error {
	return h.pick(t).Write(t, p, last)
}
func (h *readWrite) Abort(t *behaviour.Transfer, err error) { h.pick(t).Abort(t, err) }

// TestStrayPackets: packets for no transfer get ERROR 5 (an ACK after an
// ERROR must not wedge single-port mode), ERROR packets get no answer, and
// the peer can start a new transfer at once.
func TestStrayPackets(t *testing.T) {
	for _, ports := range []daemon.PortPolicy{daemon.PortsRandom, daemon.PortsSingle} {
		t.Run(ports.String(), func(t *testing.T) {
			srv := daemontest.NewTFTP(t, funcs{open: func(_ context.Context, t *behaviour.Transfer) error {
				if t.Name == "missing" {
					return behaviour.ErrNotFound
				}
				return nil
			}, read: func(*behaviour.Transfer, []byte) (int, error) { return 0, io.EOF }},
				func(d *daemon.TFTP) { d.Ports = ports })
			c := newRawClient(t, srv.Addr())
			c.rrq("missing")
			c.expectError(behaviour.CodeNotFound)
			waitFor(t, "the refused transfer to end", func() bool { return len(srv.TFTP.Active()) == 0 })
			c.send(tftp.AppendAck(nil, 1))
			c.expectError(behaviour.CodeUnknownTID)
			c.send(tftp.AppendError(nil, 0, "bye"))
			c.silent(50 * time.Millisecond)
			c.rrq("present")
			if r := c.expect(tftp.OpData); len(r.Payload) != 0 {
				t.Errorf("DATA of %d bytes", len(r.Payload))
			}
			c.ack(1)
		})
	}
}

// TestSinglePortNewRequestSupersedes: in single-port mode, a new request
// from a port whose transfer still runs replaces that transfer.
func TestSinglePortNewRequestSupersedes(t *testing.T) {
	sp := newSpy(named())
	srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) { d.Ports = daemon.PortsSingle; d.Timeout = 5 * time.Second })
	c := newRawClient(t, srv.Addr())
	c.rrq("first")
	c.expect(tftp.OpData) // abandoned without an ACK
	got, _ := c.get("second")
	if !bytes.Equal(got, content("second")) {
		t.Fatal("wrong content for the new request")
	}
	sp.waitCounts(t, 2, 1, 1)
}

// TestSinglePortDally: in single-port mode a peer whose final ACK was lost
// repeats its last DATA to the listening port; the committed upload's dally
// must answer it with the ACK again, not with ERROR 5 (which fails the
// peer's upload after the file was stored).
func TestSinglePortDally(t *testing.T) {
	mem := newMemory(nil)
	srv := daemontest.NewTFTP(t, mem, func(d *daemon.TFTP) { d.Ports = daemon.PortsSingle })
	c := newRawClient(t, srv.Addr())
	c.wrq("up")
	if r := c.next(); r.Op != tftp.OpAck || r.Block != 0 {
		t.Fatalf("got %v %d, want ACK 0", r.Op, r.Block)
	}
	c.data(1, []byte("last"))
	c.expect(tftp.OpAck)
	c.data(1, []byte("last")) // as if that ACK had been lost
	if r := c.next(); r.Op != tftp.OpAck || r.Block != 1 {
		t.Fatalf("repeated final DATA: got %v (block %d, code %d %q), want ACK 1", r.Op, r.Block, r.Code, r.Message)
	}
	if got, ok := mem.file("up"); !ok || string(got) != "last" {
		t.Fatalf("stored %q, %v", got, ok)
	}
}
