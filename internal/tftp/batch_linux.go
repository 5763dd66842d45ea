package tftp

import (
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsg is a reusable sendmmsg(2) request for one socket: a window of DATA
// packets costs one system call instead of one per block, which is most
// of the sender's CPU time at small block sizes.
type mmsg struct {
	rc     syscall.RawConn
	inet6  bool // the socket is AF_INET6 (IPv4 peers as mapped addresses)
	msgs   []unix.Mmsghdr
	iovs   []unix.Iovec
	sa4    unix.RawSockaddrInet4
	sa6    unix.RawSockaddrInet6
	peer   netip.AddrPort
	name   *byte
	namlen uint32
	// The state of one sendmmsg call, for write.
	writeFn   func(fd uintptr) bool
	off, sent int
	errno     syscall.Errno
}

// newMmsg returns a batch sender for the socket behind rc, or nil when the
// socket's family cannot be told.
func newMmsg(rc syscall.RawConn) *mmsg {
	family := -1
	_ = rc.Control(func(fd uintptr) {
		family, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	})
	if family != unix.AF_INET && family != unix.AF_INET6 {
		return nil
	}
	m := &mmsg{rc: rc, inet6: family == unix.AF_INET6}
	m.writeFn = m.write
	return m
}

// address encodes peer as the socket's sockaddr; it reports false for
// peers a batch cannot name (an IPv6 peer on an IPv4 socket, a zone).
func (m *mmsg) address(peer netip.AddrPort) bool {
	if peer == m.peer && m.name != nil {
		return true
	}
	a := peer.Addr()
	port := [2]byte{byte(peer.Port() >> 8), byte(peer.Port())}
	switch {
	case a.Zone() != "":
		return false
	case !m.inet6 && a.Is4():
		m.sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.As4()}
		m.sa4.Port = *(*uint16)(unsafe.Pointer(&port))
		m.name, m.namlen = (*byte)(unsafe.Pointer(&m.sa4)), unix.SizeofSockaddrInet4
	case m.inet6:
		m.sa6 = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.As16()}
		m.sa6.Port = *(*uint16)(unsafe.Pointer(&port))
		m.name, m.namlen = (*byte)(unsafe.Pointer(&m.sa6)), unix.SizeofSockaddrInet6
	default:
		return false
	}
	m.peer = peer
	return true
}

// send sends bs to peer with as few sendmmsg calls as the kernel allows.
func (m *mmsg) send(bs [][]byte, peer netip.AddrPort) (ok bool, err error) {
	if !m.address(peer) {
		return false, nil
	}
	m.prepare(bs)
	for m.off = 0; m.off < len(m.msgs); {
		if werr := m.rc.Write(m.writeFn); werr != nil {
			return true, werr
		}
		switch {
		case m.errno == unix.EINTR:
			continue
		case m.errno != 0:
			return true, &netOpError{m.errno}
		}
		m.off += m.sent
	}
	return true, nil
}

// write is the RawConn callback of send; it is a method value made once,
// so that a window allocates nothing.
func (m *mmsg) write(fd uintptr) bool {
	r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&m.msgs[m.off])),
		uintptr(len(m.msgs)-m.off), 0, 0, 0)
	if e == unix.EAGAIN {
		return false // wait until the socket buffer drains
	}
	m.sent, m.errno = int(r), e
	return true
}

// prepare points one message at each datagram.
func (m *mmsg) prepare(bs [][]byte) {
	if cap(m.msgs) < len(bs) {
		m.msgs = make([]unix.Mmsghdr, len(bs))
		m.iovs = make([]unix.Iovec, len(bs))
	}
	m.msgs, m.iovs = m.msgs[:len(bs)], m.iovs[:len(bs)]
	for i, b := range bs {
		m.iovs[i] = unix.Iovec{Base: unsafe.SliceData(b)}
		m.iovs[i].SetLen(len(b))
		m.msgs[i] = unix.Mmsghdr{Hdr: unix.Msghdr{Name: m.name, Namelen: m.namlen, Iov: &m.iovs[i]}}
		m.msgs[i].Hdr.SetIovlen(1)
	}
}

// netOpError is a failed sendmmsg, shaped like the errors of net.
type netOpError struct{ errno syscall.Errno }

func (e *netOpError) Error() string { return "sendmmsg: " + e.errno.Error() }
func (e *netOpError) Unwrap() error { return e.errno }
