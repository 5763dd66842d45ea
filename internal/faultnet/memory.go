package faultnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// Network is an in-memory datagram network: the packet sockets it hands out
// exchange datagrams with each other like UDP sockets on one host, without
// touching the kernel. Datagrams to an address nobody listens on are lost,
// as are datagrams to a socket whose queue is full. The zero value is not
// usable; call [NewNetwork].
type Network struct {
	mu       sync.Mutex
	conns    map[netip.AddrPort]*memConn
	nextPort uint16
}

// queueLen is how many datagrams a socket holds before it drops new ones.
const queueLen = 4096

// NewNetwork returns an empty network.
func NewNetwork() *Network {
	return &Network{conns: make(map[netip.AddrPort]*memConn), nextPort: 49152}
}

// ListenPacket returns a socket bound to address ("127.0.0.1:0" picks a
// free port), with the signature of net.ListenPacket so that code under
// test can take either. network must be "udp", "udp4" or "udp6".
func (n *Network) ListenPacket(network, address string) (net.PacketConn, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, fmt.Errorf("faultnet: network %q not supported", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, fmt.Errorf("faultnet: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if ap.Port() == 0 {
		if ap, err = n.freePort(ap.Addr()); err != nil {
			return nil, err
		}
	}
	if _, busy := n.conns[ap]; busy {
		return nil, fmt.Errorf("faultnet: address %s in use", ap)
	}
	c := &memConn{net: n, addr: ap, queue: make(chan packet, queueLen), closed: make(chan struct{})}
	c.deadline.init()
	n.conns[ap] = c
	return c, nil
}

func (n *Network) freePort(a netip.Addr) (netip.AddrPort, error) {
	for range 1 << 16 {
		n.nextPort++
		if n.nextPort < 49152 {
			n.nextPort = 49152
		}
		ap := netip.AddrPortFrom(a, n.nextPort)
		if _, busy := n.conns[ap]; !busy {
			return ap, nil
		}
	}
	return netip.AddrPort{}, errors.New("faultnet: no free port")
}

// Pipe returns two sockets on a new network, ready to talk to each other.
func Pipe() (a, b net.PacketConn) {
	n := NewNetwork()
	a, _ = n.ListenPacket("udp", "127.0.0.1:0")
	b, _ = n.ListenPacket("udp", "127.0.0.1:0")
	return a, b
}

func (n *Network) lookup(ap netip.AddrPort) *memConn {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.conns[ap]
}

func (n *Network) remove(c *memConn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns[c.addr] == c {
		delete(n.conns, c.addr)
	}
}

type memConn struct {
	net      *Network
	addr     netip.AddrPort
	queue    chan packet
	closed   chan struct{}
	once     sync.Once
	deadline deadline
}

func (c *memConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-c.deadline.wait():
		return 0, nil, os.ErrDeadlineExceeded
	case p := <-c.queue:
		return copy(b, p.b), net.UDPAddrFromAddrPort(p.from), nil
	}
}

func (c *memConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	u, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, fmt.Errorf("faultnet: address type %T not supported", addr)
	}
	if dst := c.net.lookup(u.AddrPort()); dst != nil {
		dst.push(append([]byte(nil), b...), c.addr)
	}
	return len(b), nil
}

type packet struct {
	b    []byte
	from netip.AddrPort
}

// push queues a datagram, or drops it when the queue is full.
func (c *memConn) push(b []byte, from netip.AddrPort) {
	select {
	case c.queue <- packet{b, from}:
	default:
	}
}

func (c *memConn) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.net.remove(c)
	})
	return nil
}

func (c *memConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.addr) }

func (c *memConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *memConn) SetReadDeadline(t time.Time) error {
	c.deadline.set(t)
	return nil
}

// SetWriteDeadline does nothing: writes never block.
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
