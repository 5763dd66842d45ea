package daemon

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// maxDatagram is the largest UDP payload: every TFTP packet fits.
const maxDatagram = 1<<16 - 1

// socket is the listening socket. When it is bound to an unspecified
// address it asks the kernel for the destination address of every datagram
// (IP_PKTINFO, IPV6_PKTINFO), so that replies can leave from the address the
// request arrived on: a client that sent to 10.0.0.1 rejects an answer from
// 10.0.0.2, and NAT and firewalls drop it.
type socket struct {
	pc   net.PacketConn
	udp  *net.UDPConn
	addr netip.AddrPort // the bound address, unmapped
	v6   bool           // control messages are IPv6 ones (also for IPv4 on a dual-stack socket)
	pkt  bool           // control messages are enabled
	oob  []byte         // receive buffer for control messages (the read loop only)
}

func newSocket(pc net.PacketConn) *socket {
	s := &socket{pc: pc, addr: addrPortOf(pc.LocalAddr())}
	s.udp, _ = pc.(*net.UDPConn)
	if s.udp == nil || !s.addr.Addr().IsUnspecified() {
		return s
	}
	if s.addr.Addr().Is4() {
		s.pkt = ipv4.NewPacketConn(s.udp).SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true) == nil
		s.oob = ipv4.NewControlMessage(ipv4.FlagDst | ipv4.FlagInterface)
		return s
	}
	s.v6 = true
	s.pkt = ipv6.NewPacketConn(s.udp).SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true) == nil
	s.oob = ipv6.NewControlMessage(ipv6.FlagDst | ipv6.FlagInterface)
	return s
}

// read returns the next datagram, its sender and the local address and
// port it was sent to.
func (s *socket) read(b []byte) (n int, peer, local netip.AddrPort, err error) {
	if s.udp == nil {
		n, from, err := s.pc.ReadFrom(b)
		return n, addrPortOf(from), s.addr, err
	}
	if !s.pkt {
		n, from, err := s.udp.ReadFromUDPAddrPort(b)
		return n, unmap(from), s.addr, err
	}
	n, oobn, _, from, err := s.udp.ReadMsgUDPAddrPort(b, s.oob)
	if err != nil {
		return n, peer, local, err
	}
	return n, unmap(from), netip.AddrPortFrom(s.destination(s.oob[:oobn], from), s.addr.Port()), nil
}

// destination parses the control messages of a datagram; it falls back to
// the bound address when they say nothing.
func (s *socket) destination(oob []byte, from netip.AddrPort) netip.Addr {
	var dst net.IP
	if s.v6 {
		var cm ipv6.ControlMessage
		if cm.Parse(oob) == nil {
			dst = cm.Dst
		}
	} else {
		var cm ipv4.ControlMessage
		if cm.Parse(oob) == nil {
			dst = cm.Dst
		}
	}
	a, ok := netip.AddrFromSlice(dst)
	if !ok {
		return s.addr.Addr()
	}
	a = a.Unmap()
	if a.Is6() && a.IsLinkLocalUnicast() {
		a = a.WithZone(from.Addr().Zone())
	}
	return a
}

// write sends b to peer from the local address from (ignored unless the
// socket is bound to an unspecified address).
func (s *socket) write(b []byte, peer netip.AddrPort, from netip.Addr) error {
	if s.udp == nil {
		_, err := s.pc.WriteTo(b, net.UDPAddrFromAddrPort(peer))
		return err
	}
	if !s.pkt || !from.IsValid() || from.IsUnspecified() {
		_, err := s.udp.WriteToUDPAddrPort(b, peer)
		return err
	}
	_, _, err := s.udp.WriteMsgUDPAddrPort(b, s.sourceOOB(from), peer)
	return err
}

// sourceOOB is the control message that makes a datagram leave from src.
// An IPv4 source takes IP_PKTINFO even on a dual-stack IPv6 socket: Linux
// sends IPv4 datagrams of such a socket through its IPv4 path, which reads
// IP_PKTINFO, and x/net's IPv6 encoder leaves out mapped addresses.
func (s *socket) sourceOOB(src netip.Addr) []byte {
	if src.Is4() {
		return (&ipv4.ControlMessage{Src: src.AsSlice()}).Marshal()
	}
	return (&ipv6.ControlMessage{Src: src.AsSlice()}).Marshal()
}

func (s *socket) close() error { return s.pc.Close() }

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// addrPortOf converts a net.Addr of any PacketConn (a UDP socket or an
// in-memory one that prints as host:port).
func addrPortOf(a net.Addr) netip.AddrPort {
	if u, ok := a.(*net.UDPAddr); ok {
		return unmap(u.AddrPort())
	}
	if a == nil {
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return unmap(ap)
}

// validPeer reports whether a datagram's source may be answered at all: a
// broadcast, multicast or unspecified source, or port 0, is a spoof or a
// misconfiguration, and answering it would reflect traffic onto a network.
func validPeer(p netip.AddrPort) bool {
	a := p.Addr()
	return p.Port() != 0 && a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() &&
		a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// validLocal reports whether a request sent to this local address may be
// served: requests to a broadcast or multicast address are dropped, since a
// reply from such an address cannot be bound and the request reached every
// host of a network.
func validLocal(l netip.AddrPort) bool {
	a := l.Addr()
	return !a.IsValid() || (!a.IsMulticast() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255}))
}
