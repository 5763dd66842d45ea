package tftp

import (
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsg is a reusable sendmmsg(2) request for one socket: a window of DATA
// packets costs one system call instead of one per block. Where the kernel
// has UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18), the
// equal-sized datagrams of a window also travel the network stack as one
// buffer of up to gsoBytes, which the kernel cuts into datagrams at the
// last moment: the same datagrams reach the peer for about half the CPU.
type mmsg struct {
	rc     syscall.RawConn
	inet6  bool // the socket is AF_INET6 (IPv4 peers as mapped addresses)
	msgs   []unix.Mmsghdr
	iovs   []unix.Iovec
	cmsgs  []byte
	sa4    unix.RawSockaddrInet4
	sa6    unix.RawSockaddrInet6
	peer   netip.AddrPort
	name   *byte
	namlen uint32
	// noGSO is set once the kernel refused a segmented send (an old
	// kernel, or datagrams larger than the route's MTU).
	noGSO bool
	// The state of one sendmmsg call, for write.
	writeFn   func(fd uintptr) bool
	off, sent int
	errno     syscall.Errno
}

// gsoBytes bounds the payload of one segmented send: the whole buffer must
// fit one IP datagram before it is cut. maxSegments is the kernel's
// UDP_MAX_SEGMENTS.
//
// firstSegments bounds the first segmented send of a batch. The kernel cuts
// a send into all its datagrams before the first reaches the peer, so a
// peer waiting for a window starts on it sooner when the window's first
// send is short; the rest follow in full-sized sends while it works. atftp
// fetching 64 MiB from our daemon at windowsize 64 (blksize 1468, 20-30
// rounds alternating with atftpd, median of the rounds' ratios): 1.11-1.14x
// atftpd's speed with 44 datagrams in every send, 1.15-1.24x with 8 in
// the first.
const (
	gsoBytes      = 65000
	maxSegments   = 64
	firstSegments = 8
)

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

// send sends bs to peer with as few system calls as the kernel allows. ok
// is false when it sent nothing because it cannot name peer.
func (m *mmsg) send(bs [][]byte, peer netip.AddrPort) (ok bool, err error) {
	if !m.address(peer) {
		return false, nil
	}
	if !m.noGSO && m.prepareGSO(bs) {
		err := m.flush()
		if !isGSORefusal(err) {
			return true, err
		}
		m.noGSO = true // nothing was sent: the first message failed whole
	}
	m.prepare(bs)
	return true, m.flush()
}

// isGSORefusal reports the errors of a kernel that cannot segment this
// send: then the datagrams go out one message each.
func isGSORefusal(err error) bool {
	return err == unix.EINVAL || err == unix.EIO || err == unix.ENOPROTOOPT || err == unix.EOPNOTSUPP
}

// flush runs sendmmsg until every prepared message is sent.
func (m *mmsg) flush() error {
	for m.off = 0; m.off < len(m.msgs); {
		if werr := m.rc.Write(m.writeFn); werr != nil {
			return werr
		}
		switch {
		case m.errno == unix.EINTR:
			continue
		case m.errno != 0 && m.off == 0:
			return m.errno
		case m.errno != 0:
			return &netOpError{m.errno}
		}
		m.off += m.sent
	}
	return nil
}

// write is the RawConn callback of flush; it is a method value made once,
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
	m.ensure(len(bs))
	m.msgs = m.msgs[:len(bs)]
	for i, b := range bs {
		m.iovs[i] = unix.Iovec{Base: unsafe.SliceData(b)}
		m.iovs[i].SetLen(len(b))
		m.msgs[i] = unix.Mmsghdr{Hdr: unix.Msghdr{Name: m.name, Namelen: m.namlen, Iov: &m.iovs[i]}}
		m.msgs[i].Hdr.SetIovlen(1)
	}
}

// prepareGSO groups bs into segmented messages: runs of datagrams of the
// first one's size, the last of a run possibly shorter, each run within
// gsoBytes and maxSegments, the first within firstSegments. It reports
// false when segmenting gains nothing (a single datagram, or datagrams too
// large to group).
func (m *mmsg) prepareGSO(bs [][]byte) bool {
	size := len(bs[0])
	per := min(gsoBytes/size, maxSegments)
	if len(bs) < 2 || per < 2 {
		return false
	}
	for _, b := range bs[:len(bs)-1] {
		if len(b) != size {
			return false
		}
	}
	if len(bs[len(bs)-1]) > size {
		return false
	}
	m.ensure(len(bs))
	m.msgs = m.msgs[:0]
	space := unix.CmsgSpace(2)
	for i, n := 0, min(per, firstSegments); i < len(bs); i, n = i+n, per {
		run := bs[i:min(i+n, len(bs))]
		for j, b := range run {
			m.iovs[i+j] = unix.Iovec{Base: unsafe.SliceData(b)}
			m.iovs[i+j].SetLen(len(b))
		}
		c := m.cmsgs[len(m.msgs)*space : (len(m.msgs)+1)*space]
		h := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
		h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
		h.SetLen(unix.CmsgLen(2))
		*(*uint16)(unsafe.Pointer(&c[unix.CmsgLen(0)])) = uint16(size)
		hdr := unix.Msghdr{Name: m.name, Namelen: m.namlen, Iov: &m.iovs[i], Control: &c[0]}
		hdr.SetIovlen(len(run))
		hdr.SetControllen(space)
		m.msgs = append(m.msgs, unix.Mmsghdr{Hdr: hdr})
	}
	return true
}

// ensure makes room for n messages, n iovecs and n control messages.
func (m *mmsg) ensure(n int) {
	if cap(m.msgs) < n {
		m.msgs = make([]unix.Mmsghdr, 0, n)
		m.iovs = make([]unix.Iovec, n)
		m.cmsgs = make([]byte, n*unix.CmsgSpace(2))
	}
	m.msgs = m.msgs[:n]
}

// netOpError is a failed sendmmsg after some datagrams went out, shaped
// like the errors of net.
type netOpError struct{ errno syscall.Errno }

func (e *netOpError) Error() string { return "sendmmsg: " + e.errno.Error() }
func (e *netOpError) Unwrap() error { return e.errno }
