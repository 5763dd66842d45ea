package tftp

import (
	"net"
	"net/netip"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawRecv is a non-blocking recvfrom(2) on the socket of a *net.UDPConn,
// run inside RawConn.Read so that the descriptor cannot be closed under
// it, with its state in fields so that a call allocates nothing.
type rawRecv struct {
	rc     syscall.RawConn
	fn     func(fd uintptr) bool
	buf    []byte
	until  time.Time
	n      int
	ok     bool
	rsa    unix.RawSockaddrInet6
	rsaLen uint32
}

func newRawRecv(pc *net.UDPConn) *rawRecv {
	rc, err := pc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawRecv{rc: rc}
	r.fn = r.poll
	return r
}

// recv polls until a datagram arrives or until passes.
func (r *rawRecv) recv(buf []byte, until time.Time) (int, netip.AddrPort, bool) {
	if len(buf) == 0 {
		return 0, netip.AddrPort{}, false
	}
	r.buf, r.until, r.ok = buf, until, false
	_ = r.rc.Read(r.fn)
	r.buf = nil
	if !r.ok {
		return 0, netip.AddrPort{}, false
	}
	return r.n, r.from(), true
}

// poll is the RawConn callback: it always reports done, so that the
// poller never waits here.
func (r *rawRecv) poll(fd uintptr) bool {
	for {
		r.rsaLen = unix.SizeofSockaddrInet6
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&r.buf[0])), uintptr(len(r.buf)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&r.rsa)), uintptr(unsafe.Pointer(&r.rsaLen)))
		switch {
		case e == 0:
			r.n, r.ok = int(n), true
			return true
		case e != unix.EAGAIN && e != unix.EINTR:
			return true // the blocking read reports it
		case !time.Now().Before(r.until):
			return true
		}
	}
}

// from decodes the sender's address.
func (r *rawRecv) from() netip.AddrPort {
	switch r.rsa.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&r.rsa))
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		p := (*[2]byte)(unsafe.Pointer(&r.rsa.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(r.rsa.Addr), uint16(p[0])<<8|uint16(p[1]))
	}
	return netip.AddrPort{}
}
