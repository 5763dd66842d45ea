package faultnet

import (
	"net"
	"time"
)

// Faults says what happens to the datagrams written through a [Conn]. Each
// probability is between 0 and 1 and is drawn per datagram from a random
// source seeded with Seed, so the same writes meet the same fate.
type Faults struct {
	Seed int64
	// Drop is the probability that a datagram is lost.
	Drop float64
	// Duplicate is the probability that a datagram is delivered twice.
	Duplicate float64
	// Reorder is the probability that a datagram is held back and
	// delivered after the next one.
	Reorder float64
	// Delay is added to every datagram's delivery, plus a random part of
	// up to Jitter.
	Delay, Jitter time.Duration
}

// Conn is a net.PacketConn whose writes suffer Faults. Reads pass through.
type Conn struct {
	net.PacketConn
	faults Faults
}

// Wrap returns pc with faults applied to every datagram written to it.
func Wrap(pc net.PacketConn, f Faults) *Conn {
	return &Conn{PacketConn: pc, faults: f} // TODO
}
