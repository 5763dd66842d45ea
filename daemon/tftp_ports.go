package daemon

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// PortPolicy chooses the local UDP port each TFTP transfer runs on. Build one
// with PortsRandom, PortsSingle, PortRange or ParsePortPolicy; the zero value
// is PortsRandom.
type PortPolicy struct {
	kind     portKind
	min, max uint16
}

type portKind uint8

const (
	portRandom portKind = iota
	portSingle
	portRange
)

var (
	// PortsRandom runs each transfer on a socket of its own, on an
	// ephemeral port the system picks (RFC 1350).
	PortsRandom = PortPolicy{}
	// PortsSingle runs every transfer on the listening port, told apart by
	// the peer's address and port: one port to open in a firewall or to
	// publish from a container, and NAT-friendly. A peer runs one transfer
	// at a time from one port. Since anyone can guess that port, peers
	// outside TFTP.TrustedNetworks read lock-step at small blocks (see
	// the TFTP type's doc).
	PortsSingle = PortPolicy{kind: portSingle}
)

// PortRange runs each transfer on a socket of its own on a port from lo to
// hi inclusive, for firewalls that open a fixed range. Concurrent transfers
// get distinct ports; when every port is busy the request gets ERROR 3.
// The ports are handed out in turn, so they are easy to guess: peers
// outside TFTP.TrustedNetworks are bounded as with PortsSingle.
func PortRange(lo, hi uint16) PortPolicy { return PortPolicy{kind: portRange, min: lo, max: hi} }

// ParsePortPolicy parses "random", "single" or a range "LO-HI".
func ParsePortPolicy(s string) (PortPolicy, error) {
	switch s {
	case "random", "":
		return PortsRandom, nil
	case "single":
		return PortsSingle, nil
	}
	lo, hi, ok := strings.Cut(s, "-")
	l, err1 := strconv.ParseUint(lo, 10, 16)
	h, err2 := strconv.ParseUint(hi, 10, 16)
	if !ok || err1 != nil || err2 != nil {
		return PortPolicy{}, fmt.Errorf("daemon: port policy %q is not random, single or LO-HI", s)
	}
	p := PortRange(uint16(l), uint16(h))
	if err := p.validate(); err != nil {
		return PortPolicy{}, err
	}
	return p, nil
}

// String returns the policy in the form ParsePortPolicy reads.
func (p PortPolicy) String() string {
	switch p.kind {
	case portSingle:
		return "single"
	case portRange:
		return fmt.Sprintf("%d-%d", p.min, p.max)
	}
	return "random"
}

func (p PortPolicy) validate() error {
	if p.kind == portRange && (p.min == 0 || p.min > p.max) {
		return fmt.Errorf("daemon: port range %d-%d is empty or starts at 0", p.min, p.max)
	}
	return nil
}

// portPool hands out the ports of a PortRange, so that concurrent transfers
// never share one. It starts each search after the last port handed out, so
// that a port just released is not reused at once (a late datagram of the
// old transfer would reach the new one).
type portPool struct {
	mu       sync.Mutex
	min, max uint16
	next     uint16
	busy     map[uint16]bool
}

func newPortPool(p PortPolicy) *portPool {
	return &portPool{min: p.min, max: p.max, next: p.min, busy: make(map[uint16]bool)}
}

// bind tries the free ports in turn with listen until one binds. A port
// another program holds is skipped.
func (pp *portPool) bind(listen func(port uint16) error) (uint16, error) {
	n := int(pp.max-pp.min) + 1
	for range n {
		port, ok := pp.take()
		if !ok {
			break
		}
		err := listen(port)
		if err == nil {
			return port, nil
		}
		pp.release(port)
		if !errors.Is(err, syscall.EADDRINUSE) {
			return 0, err
		}
	}
	return 0, errNoPort
}

// take marks the next free port busy.
func (pp *portPool) take() (uint16, bool) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	for range int(pp.max-pp.min) + 1 {
		port := pp.next
		if pp.next == pp.max {
			pp.next = pp.min
		} else {
			pp.next++
		}
		if !pp.busy[port] {
			pp.busy[port] = true
			return port, true
		}
	}
	return 0, false
}

func (pp *portPool) release(port uint16) {
	pp.mu.Lock()
	delete(pp.busy, port)
	pp.mu.Unlock()
}
