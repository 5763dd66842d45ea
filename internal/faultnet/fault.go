package faultnet

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Faults says what happens to the datagrams written through a [Conn]. Each
// probability is between 0 and 1 and is drawn per datagram from a random
// source seeded with Seed, so the same sequence of writes meets the same
// fate in every run.
type Faults struct {
	Seed int64
	// Drop is the probability that a datagram is lost.
	Drop float64
	// Duplicate is the probability that a datagram is delivered twice.
	Duplicate float64
	// Reorder is the probability that a datagram is held back and
	// delivered after the next one (or after HoldMax when none follows).
	Reorder float64
	// Delay is added to every datagram's delivery, plus a random part of
	// up to Jitter (which reorders datagrams too).
	Delay, Jitter time.Duration
	// HoldMax bounds how long a reordered datagram waits for the next
	// write; 0 means 5 ms.
	HoldMax time.Duration
}

// Counts are what a [Conn] did to the datagrams written through it.
type Counts struct {
	Written, Dropped, Duplicated, Reordered int64
}

// Conn is a net.PacketConn whose writes suffer Faults. Reads pass through
// untouched: wrap both ends to damage both directions.
type Conn struct {
	net.PacketConn
	faults Faults

	mu   sync.Mutex
	rng  *rand.Rand
	held *datagram

	written, dropped, duplicated, reordered atomic.Int64
}

type datagram struct {
	b    []byte
	addr net.Addr
}

// Wrap returns pc with faults applied to every datagram written to it.
func Wrap(pc net.PacketConn, f Faults) *Conn {
	if f.HoldMax <= 0 {
		f.HoldMax = 5 * time.Millisecond
	}
	return &Conn{PacketConn: pc, faults: f, rng: rand.New(rand.NewPCG(uint64(f.Seed), 0x9e3779b97f4a7c15))}
}

// Counts returns what happened to the datagrams written so far.
func (c *Conn) Counts() Counts {
	return Counts{c.written.Load(), c.dropped.Load(), c.duplicated.Load(), c.reordered.Load()}
}

// fate is the decision for one datagram, drawn in a fixed order so that it
// depends only on the seed and the number of earlier writes.
type fate struct {
	drop, dup, hold bool
	delay           time.Duration
}

func (c *Conn) draw() fate {
	var f fate
	f.drop = c.rng.Float64() < c.faults.Drop
	f.dup = c.rng.Float64() < c.faults.Duplicate
	f.hold = c.rng.Float64() < c.faults.Reorder
	f.delay = c.faults.Delay
	if j := c.faults.Jitter; j > 0 {
		f.delay += time.Duration(c.rng.Int64N(int64(j)))
	}
	return f
}

// WriteTo sends b to addr, or drops, duplicates, delays or holds it back.
// It always reports success, as a UDP socket does for a datagram lost on
// the way.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.written.Add(1)
	c.mu.Lock()
	f := c.draw()
	prev := c.held
	c.held = nil
	d := &datagram{b: append([]byte(nil), b...), addr: addr}
	holding := f.hold && !f.drop && prev == nil
	if holding {
		c.held = d
		c.reordered.Add(1)
		time.AfterFunc(c.faults.HoldMax, func() { c.release(d) })
	}
	c.mu.Unlock()
	switch {
	case f.drop:
		c.dropped.Add(1)
	case holding:
	default:
		c.deliver(d, f.delay)
		if f.dup {
			c.duplicated.Add(1)
			c.deliver(d, f.delay)
		}
	}
	if prev != nil {
		c.deliver(prev, f.delay)
	}
	return len(b), nil
}

// release delivers a held datagram that no later write carried along.
func (c *Conn) release(d *datagram) {
	c.mu.Lock()
	mine := c.held == d
	if mine {
		c.held = nil
	}
	c.mu.Unlock()
	if mine {
		c.deliver(d, 0)
	}
}

func (c *Conn) deliver(d *datagram, delay time.Duration) {
	if delay <= 0 {
		_, _ = c.PacketConn.WriteTo(d.b, d.addr)
		return
	}
	time.AfterFunc(delay, func() { _, _ = c.PacketConn.WriteTo(d.b, d.addr) })
}
