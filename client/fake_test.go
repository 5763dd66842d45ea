package client_test

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// A fake server is a scripted TFTP server on raw UDP: it plays the part of
// a malicious or broken server, which no real server can be made to be.
// The script runs in its own goroutine for the first request that arrives
// and reports what it saw with t.Errorf.

// fakeConn is the fake server's side of one transfer.
type fakeConn struct {
	t      *testing.T
	req    tftp.Request
	client netip.AddrPort
	// tid is the socket of the transfer (its port is the server's TID).
	tid *net.UDPConn
	buf []byte
}

// startFake listens on loopback and runs script for the first request. It
// returns the server's address; the test's cleanup waits for the script.
func startFake(t *testing.T, script func(f *fakeConn)) string {
	t.Helper()
	lc, tid := listenLoopback(t), listenLoopback(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		_ = lc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, from, err := lc.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Errorf("fake server: no request: %v", err)
			return
		}
		req, err := tftp.ParseRequest(buf[:n])
		if err != nil {
			t.Errorf("fake server: bad request: %v", err)
			return
		}
		script(&fakeConn{t: t, req: req, client: from, tid: tid, buf: make([]byte, 65536)})
	}()
	t.Cleanup(func() { <-done }) // runs before the sockets close
	return lc.LocalAddr().String()
}

func listenLoopback(t *testing.T) *net.UDPConn {
	t.Helper()
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// send sends a packet from the transfer's socket.
func (f *fakeConn) send(b []byte) { f.sendFrom(f.tid, b) }

func (f *fakeConn) sendFrom(pc *net.UDPConn, b []byte) {
	if _, err := pc.WriteToUDPAddrPort(b, f.client); err != nil {
		f.t.Errorf("fake server: send: %v", err)
	}
}

func (f *fakeConn) oack(opts ...behaviour.Option) {
	f.send(tftp.AppendOACK(nil, behaviour.NewOptions(opts...)))
}

func (f *fakeConn) data(block uint16, payload []byte) { f.send(tftp.AppendData(nil, block, payload)) }

// recv returns the next packet the client sends to the transfer's socket
// within wait; ok is false when none came.
func (f *fakeConn) recv(pc *net.UDPConn, wait time.Duration) (pk tftp.Packet, ok bool) {
	_ = pc.SetReadDeadline(time.Now().Add(wait))
	n, _, err := pc.ReadFromUDPAddrPort(f.buf)
	if err != nil {
		return tftp.Packet{}, false
	}
	pk, err = tftp.ParsePacket(f.buf[:n])
	if err != nil {
		f.t.Errorf("fake server: client sent a malformed packet: %v", err)
		return tftp.Packet{}, false
	}
	return pk, true
}

// expectAck fails the test unless the client's next packet is ACK block.
func (f *fakeConn) expectAck(block uint16) bool {
	f.t.Helper()
	pk, ok := f.recv(f.tid, 3*time.Second)
	if !ok || pk.Op != tftp.OpAck || pk.Block != block {
		f.t.Errorf("fake server: want ACK %d, got %v (ok %v)", block, describe(pk), ok)
		return false
	}
	return true
}

// expectData fails the test unless the client's next packet is DATA block.
func (f *fakeConn) expectData(block uint16) []byte {
	f.t.Helper()
	pk, ok := f.recv(f.tid, 3*time.Second)
	if !ok || pk.Op != tftp.OpData || pk.Block != block {
		f.t.Errorf("fake server: want DATA %d, got %v (ok %v)", block, describe(pk), ok)
		return nil
	}
	return append([]byte(nil), pk.Payload...)
}

// expectError fails the test unless the client's next packet on pc is an
// ERROR with code.
func (f *fakeConn) expectError(pc *net.UDPConn, code behaviour.Code) {
	f.t.Helper()
	pk, ok := f.recv(pc, 3*time.Second)
	if !ok || pk.Op != tftp.OpError || pk.Code != code {
		f.t.Errorf("fake server: want ERROR %d, got %v (ok %v)", code, describe(pk), ok)
	}
}

// expectSilence fails the test if the client sends anything within wait.
func (f *fakeConn) expectSilence(wait time.Duration) {
	f.t.Helper()
	if pk, ok := f.recv(f.tid, wait); ok {
		f.t.Errorf("fake server: want silence, got %v", describe(pk))
	}
}

func describe(pk tftp.Packet) string {
	switch pk.Op {
	case tftp.OpData:
		return "DATA " + strconv.Itoa(int(pk.Block))
	case tftp.OpAck:
		return "ACK " + strconv.Itoa(int(pk.Block))
	case tftp.OpError:
		return "ERROR " + strconv.Itoa(int(pk.Code)) + " " + pk.Message
	case tftp.OpOACK:
		return "OACK " + pk.Options.String()
	}
	return "nothing"
}
