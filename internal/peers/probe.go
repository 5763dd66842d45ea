package peers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// probeName is a file no test serves: a server answers its RRQ with an
// ERROR, which proves it is up without starting a transfer.
const probeName = "filemux-probe-does-not-exist"

// probeTimeout is the wait for each probe's answer.
const probeTimeout = 100 * time.Millisecond

// errNoAnswer says a probe got no datagram back.
var errNoAnswer = errors.New("no answer")

// waitServing sends probe RRQs to addr until a datagram comes back, ctx
// ends or gone reports that the server process has died.
func waitServing(ctx context.Context, addr netip.AddrPort, gone func() bool) error {
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(addr.Addr(), 0).String())
	if err != nil {
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
	}
	if err != nil {
		return err
	}
	defer pc.Close()
	for {
		if gone() {
			return errors.New("the server exited")
		}
		err := probeOnce(pc, addr)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s does not answer TFTP requests: %w", addr, err)
		}
	}
}

func probeOnce(pc net.PacketConn, addr netip.AddrPort) error {
	rrq := append([]byte{0, 1}, probeName+"\x00octet\x00"...)
	if _, err := pc.WriteTo(rrq, net.UDPAddrFromAddrPort(addr)); err != nil {
		time.Sleep(probeTimeout)
		return err
	}
	_ = pc.SetReadDeadline(time.Now().Add(probeTimeout))
	buf := make([]byte, 1024)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return errNoAnswer
		}
		// Any reply from the server's address (from its transfer port)
		// will do; tftpd-hpa and atftpd answer a missing file with ERROR 1.
		if u, ok := from.(*net.UDPAddr); ok && u.AddrPort().Addr().Unmap() == addr.Addr() && n >= 2 {
			return nil
		}
	}
}
