package peers

import (
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/netip"
)

// FreeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before the caller binds it, so starters that
// use it retry with a fresh port when the server fails to bind.
func FreeUDPPort() (int, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port, nil
}

// freeLoopbackAddr returns an address 127.0.0.X (X in 2..254) whose UDP
// port is free a moment ago, for servers that only listen on a fixed port
// (dnsmasq on 69). It starts at a random X so that parallel test binaries
// rarely collide, and callers retry when the server fails to bind.
func freeLoopbackAddr(port int) (netip.Addr, error) {
	start := mrand.IntN(253)
	for i := range 253 {
		a := netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + (start+i)%253)})
		pc, err := net.ListenPacket("udp", netip.AddrPortFrom(a, uint16(port)).String())
		if err != nil {
			continue
		}
		pc.Close()
		return a, nil
	}
	return netip.Addr{}, fmt.Errorf("no address in 127.0.0.2..254 has UDP port %d free", port)
}
