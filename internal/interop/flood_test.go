package interop

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
	"github.com/filemux/filemux/internal/tftp"
)

// The flood of issue 16: requests nobody answers, as from forged sources.
const (
	floodLong   = 100   // asking for timeout 255, sent first
	floodShort  = 5_000 // without options
	floodBurst  = 50    // requests per burst ...
	floodPause  = 20 * time.Millisecond
	floodAddrs  = 10 // ... from 127.0.0.3 to 127.0.0.12
	legitimates = 20
)

// TestFloodOfUnansweredRequests: while 5,100 requests that nobody answers
// (100 of them asking for timeout 255) arrive, 20 curl downloads all
// succeed, in both port policies. On the daemon before issue 16 the 100
// held every place for 13 minutes and every download got ERROR 3.
func TestFloodOfUnansweredRequests(t *testing.T) {
	peers.Need(t, peers.Curl.Programs()...)
	for _, ports := range []daemon.PortPolicy{daemon.PortsRandom, daemon.PortsSingle} {
		t.Run(ports.String(), func(t *testing.T) {
			s := serveDir(t, handlers.DirConfig{}, func(d *daemon.TFTP) { d.Ports = ports })
			_, sum := peers.RandomFile(t, s.root, "boot.bin", 256<<10)
			flooded := make(chan error, 1)
			go func() { flooded <- flood(s.addr(), "boot.bin") }()
			time.Sleep(300 * time.Millisecond) // the 100 hold their places, the rest is under way
			errs := legitimateDownloads(t, s, sum)
			if err := <-flooded; err != nil {
				t.Fatal(err)
			}
			for _, err := range errs {
				t.Error(err)
			}
			t.Logf("%s: %+v", ports, s.srv.TFTP.Guard())
		})
	}
}

// legitimateDownloads runs the curl downloads at once, staggered over the
// flood, and returns what went wrong.
func legitimateDownloads(t *testing.T, s served, sum string) []error {
	var wg sync.WaitGroup
	errs := make(chan error, legitimates)
	for i := range legitimates {
		r := peers.Request{Server: s.addr(), Remote: "boot.bin", Local: filepath.Join(t.TempDir(), "got.bin"),
			BlockSize: 1468, Timeout: 30 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := peers.Download(t.Context(), peers.Curl, r)
			switch {
			case res.Err != nil:
				errs <- fmt.Errorf("download %d: %v after %v: %s", i, res.Err, res.Elapsed, res.Output)
			case peers.SHA256File(r.Local) != sum:
				errs <- fmt.Errorf("download %d: wrong sha256", i)
			}
		}()
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// flood sends the requests, each from a socket of its own that is closed at
// once: the daemon's answers go to a port nobody reads, as towards a forged
// source. It paces itself in bursts, so that it measures the daemon's
// budgets rather than the kernel's socket buffer, and ends after the last
// request.
func flood(server netip.AddrPort, name string) error {
	long := tftp.Request{Op: tftp.OpRRQ, Filename: name, Mode: behaviour.Octet}
	long.Options.Add("timeout", "255")
	short := tftp.Request{Op: tftp.OpRRQ, Filename: name, Mode: behaviour.Octet}
	for i := range floodLong {
		if err := sendFrom(netip.AddrFrom4([4]byte{127, 0, 0, 2}), server, tftp.AppendRequest(nil, long)); err != nil {
			return fmt.Errorf("long request %d: %w", i, err)
		}
	}
	b := tftp.AppendRequest(nil, short)
	for i := range floodShort {
		from := netip.AddrFrom4([4]byte{127, 0, 0, byte(3 + i%floodAddrs)})
		if err := sendFrom(from, server, b); err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		if i%floodBurst == floodBurst-1 {
			time.Sleep(floodPause)
		}
	}
	return nil
}

// sendFrom sends b to to from a new socket on from, and closes it.
func sendFrom(from netip.Addr, to netip.AddrPort, b []byte) error {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.WriteToUDPAddrPort(b, to)
	return err
}
