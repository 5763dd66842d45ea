//go:build !linux

package tftp

import (
	"net/netip"
	"syscall"
)

// mmsg is sendmmsg(2), which only Linux has: elsewhere a window is sent one
// datagram at a time, and newMmsg returns nil.
type mmsg struct {
	noGSO bool
}

func newMmsg(syscall.RawConn) *mmsg { return nil }

func (m *mmsg) send([][]byte, netip.AddrPort) (bool, error) { return false, nil }
