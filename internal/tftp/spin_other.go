//go:build !linux

package tftp

import (
	"net"
	"net/netip"
	"time"
)

// rawRecv is the non-blocking receive of Linux; elsewhere transfers wait in
// the poller only.
type rawRecv struct{}

func newRawRecv(*net.UDPConn) *rawRecv { return nil }

func (*rawRecv) recv([]byte, time.Time) (int, netip.AddrPort, bool) {
	return 0, netip.AddrPort{}, false
}
