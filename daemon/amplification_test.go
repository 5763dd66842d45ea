package daemon_test

import (
	"bytes"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/tftp"
)

// victim is the address a spoofer forges: a socket that counts the UDP
// payload bytes it is sent and never answers. The datagrams a spoofer
// sends in its name go out from the same socket, as if forged, and are
// counted too.
type victim struct {
	conn     *net.UDPConn
	daemon   netip.AddrPort
	sent     atomic.Int64
	received atomic.Int64
	datas    atomic.Int64
	wg       sync.WaitGroup
}

func newVictim(t *testing.T, daemon netip.AddrPort) *victim {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadBuffer(8 << 20) // count what the daemon sends, not what the kernel drops
	v := &victim{conn: conn, daemon: daemon}
	v.wg.Add(1)
	go v.count()
	t.Cleanup(v.close)
	return v
}

func (v *victim) count() {
	defer v.wg.Done()
	buf := make([]byte, 1<<16)
	for {
		n, _, err := v.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		v.received.Add(int64(n))
		if n >= 4 && tftp.Opcode(buf[1]) == tftp.OpData {
			v.datas.Add(1)
		}
	}
}

func (v *victim) close() {
	v.conn.Close()
	v.wg.Wait()
}

// forge sends b to the daemon's listening port from the victim's address.
func (v *victim) forge(t *testing.T, b []byte) {
	t.Helper()
	if _, err := v.conn.WriteToUDPAddrPort(b, v.daemon); err != nil {
		t.Fatal(err)
	}
	v.sent.Add(int64(len(b)))
}

// TestSinglePortAmplification: in single-port mode a spoofer can ACK
// blindly on the well-known port. By default the daemon bounds what such
// an unproven peer pulls: the bytes sent to the victim stay under 1,000x
// the bytes forged in its name (issue 16: 130,000x and more).
func TestSinglePortAmplification(t *testing.T) {
	file := bytes.Repeat([]byte("amplified? "), 800_000) // 8.8 MB
	req := tftp.Request{Op: tftp.OpRRQ, Filename: "big.bin", Mode: behaviour.Octet}
	req.Options.Add("blksize", "65464")
	req.Options.Add("windowsize", "64")
	rrq := tftp.AppendRequest(nil, req) // 41 bytes
	for _, tc := range []struct {
		name string
		acks []uint16
	}{
		{"one blind ACK 0", []uint16{0}},
		{"21 blind ACKs 0..20", seq(0, 20)},
		{"21 blind ACKs 0", make([]uint16, 21)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := daemontest.NewTFTP(t, newMemory(file), func(d *daemon.TFTP) {
				d.Ports = daemon.PortsSingle
				d.MaxWindowSize = 64
				d.Timeout = 200 * time.Millisecond
			})
			v := newVictim(t, srv.Addr())
			v.forge(t, rrq)
			for _, block := range tc.acks {
				time.Sleep(20 * time.Millisecond) // a spoofer's pace: no waiting for DATA it cannot see
				v.forge(t, tftp.AppendAck(nil, block))
			}
			waitFor(t, "the forged transfer to end", func() bool { return len(srv.TFTP.Active()) == 0 })
			time.Sleep(50 * time.Millisecond) // the last datagrams reach the victim's socket
			ratio := float64(v.received.Load()) / float64(v.sent.Load())
			t.Logf("forged %d bytes, the victim got %d bytes in %d DATA: %.0fx",
				v.sent.Load(), v.received.Load(), v.datas.Load(), ratio)
			if ratio >= 1000 {
				t.Errorf("amplification %.0fx, want under 1000x", ratio)
			}
			if tc.name == "one blind ACK 0" && v.datas.Load() != 1+daemon.DefaultTFTPRetries {
				t.Errorf("%d DATA for one blind ACK, want %d (DATA 1 and Retries resends)", v.datas.Load(), 1+daemon.DefaultTFTPRetries)
			}
			if c := srv.TFTP.Guard(); c.Bounded != 1 {
				t.Errorf("counters %+v, want one bounded transfer", c)
			}
		})
	}
}

func seq(from, to uint16) []uint16 {
	var s []uint16
	for b := from; b <= to; b++ {
		s = append(s, b)
	}
	return s
}

// TestTrustedNetworks: a peer inside TrustedNetworks negotiates windows
// and large blocks in single-port mode; one outside gets lock-step at
// UnprovenMaxBlockSize, in single-port and port-range mode. Random-port
// mode bounds no one: the port is the secret a spoofer lacks.
func TestTrustedNetworks(t *testing.T) {
	lo, hi := freeRange(t, 4)
	file := bytes.Repeat([]byte("w"), 20*1468)
	for _, tc := range []struct {
		ports   daemon.PortPolicy
		from    string
		want    string
		bounded uint64
	}{
		{daemon.PortsSingle, "127.0.0.2:0", "blksize=1468 windowsize=8 timeout=3", 0},
		{daemon.PortsSingle, "127.0.0.3:0", "blksize=1024", 1},
		{daemon.PortRange(lo, hi), "127.0.0.3:0", "blksize=1024", 1},
		{daemon.PortsRandom, "127.0.0.3:0", "blksize=1468 windowsize=8 timeout=3", 0},
	} {
		t.Run(tc.ports.String()+"/"+tc.from, func(t *testing.T) {
			srv := daemontest.NewTFTP(t, newMemory(file), func(d *daemon.TFTP) {
				d.Ports = tc.ports
				d.TrustedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
				d.UnprovenMaxBlockSize = 1024
			})
			c := newRawClientFrom(t, srv.Addr(), tc.from)
			c.rrq("f", "blksize", "1468", "windowsize", "8", "timeout", "3")
			if o := c.expect(tftp.OpOACK); o.Options.String() != tc.want {
				t.Fatalf("OACK %q, want %q", o.Options.String(), tc.want)
			}
			c.ack(0)
			blocks := 1
			if tc.bounded == 0 {
				blocks = 8 // a whole window before any ACK
			}
			for b := 1; b <= blocks; b++ {
				if r := c.expect(tftp.OpData); int(r.Block) != b {
					t.Fatalf("DATA %d, want %d", r.Block, b)
				}
			}
			c.silent(100 * time.Millisecond)
			if got := srv.TFTP.Guard().Bounded; got != tc.bounded {
				t.Errorf("%d bounded transfers, want %d", got, tc.bounded)
			}
		})
	}
}
