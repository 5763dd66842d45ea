package daemon

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// sshPreauth is the pre-authentication budget: the connections that have
// not logged in yet, apart from the authenticated limits, so that
// connections that never log in cannot take the slots of those that do.
// Past MaxStartups' start a newcomer sheds, with a rising chance, one held
// connection: the one that made the least progress at the address holding
// the most. Refusing the newcomer instead would hand the server to whoever
// holds the most silent connections.
type sshPreauth struct {
	limits SSHStartups

	mu      sync.Mutex
	pending map[*sshConn]*sshProgress
	perAddr map[netip.Addr]int
	shed    atomic.Uint64
}

func newSSHPreauth(limits SSHStartups) *sshPreauth {
	return &sshPreauth{limits: limits, pending: make(map[*sshConn]*sshProgress), perAddr: make(map[netip.Addr]int)}
}

// add counts c as unauthenticated and returns the connection it sheds to
// make room, or nil. The caller closes the victim.
func (p *sshPreauth) add(c *sshConn, prog *sshProgress) (victim *sshConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if chance := p.limits.shedChance(len(p.pending)); chance > 0 && rand.IntN(100) < chance {
		victim = p.idlest()
		p.removeLocked(victim)
		p.shed.Add(1)
	}
	p.pending[c] = prog
	p.perAddr[c.peer.Addr()]++
	return victim
}

// idlest returns the held connection to shed: at the address holding the
// most (so that one source evicts its own connections before anyone
// else's), the one that got least far (silent, then talking, then
// authenticating), and among those the one the peer sent nothing to for
// the longest.
func (p *sshPreauth) idlest() *sshConn {
	var victim *sshConn
	var worst sshRank
	for c, prog := range p.pending {
		r := sshRank{held: p.perAddr[c.peer.Addr()], stage: prog.stage(), last: prog.lastRead.Load()}
		if victim == nil || r.idler(worst) {
			victim, worst = c, r
		}
	}
	return victim
}

// sshRank orders held connections for shedding.
type sshRank struct {
	held  int   // unauthenticated connections from the same address
	stage int   // 0 silent, 1 talking, 2 authenticating
	last  int64 // unix nanoseconds the peer last sent bytes (or connected)
}

// idler reports whether r is to be shed before o.
func (r sshRank) idler(o sshRank) bool {
	if r.held != o.held {
		return r.held > o.held
	}
	if r.stage != o.stage {
		return r.stage < o.stage
	}
	return r.last < o.last
}

// done takes c out of the budget once its handshake ended; it reports
// whether c was still in it (not shed).
func (p *sshPreauth) done(c *sshConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.pending[c]
	p.removeLocked(c)
	return ok
}

func (p *sshPreauth) removeLocked(c *sshConn) {
	prog, ok := p.pending[c]
	if !ok {
		return
	}
	prog.settled.Store(true)
	delete(p.pending, c)
	a := c.peer.Addr()
	if p.perAddr[a]--; p.perAddr[a] <= 0 {
		delete(p.perAddr, a)
	}
}

// progress returns the progress record of an unauthenticated connection,
// or a fresh one when c already left the budget.
func (p *sshPreauth) progress(c *sshConn) *sshProgress {
	p.mu.Lock()
	defer p.mu.Unlock()
	if prog, ok := p.pending[c]; ok {
		return prog
	}
	return &sshProgress{}
}

// from returns the unauthenticated connections of one address.
func (p *sshPreauth) from(a netip.Addr) []*sshConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	var list []*sshConn
	for c := range p.pending {
		if c.peer.Addr() == a {
			list = append(list, c)
		}
	}
	return list
}

func (p *sshPreauth) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// sshProgress is a connection as accepted, recording how far its peer got
// before authenticating: what shedding ranks connections by.
type sshProgress struct {
	net.Conn
	lastRead atomic.Int64 // unix nanoseconds of the last bytes received, or the accept
	talked   atomic.Bool  // the peer sent bytes
	authing  atomic.Bool  // the peer sent an authentication request
	settled  atomic.Bool  // the handshake ended: stop recording
}

func newSSHProgress(nc net.Conn) *sshProgress {
	p := &sshProgress{Conn: nc}
	p.lastRead.Store(time.Now().UnixNano())
	return p
}

// Read records that the peer sent bytes, until the handshake ends.
func (p *sshProgress) Read(b []byte) (int, error) {
	n, err := p.Conn.Read(b)
	if n > 0 && !p.settled.Load() {
		p.lastRead.Store(time.Now().UnixNano())
		p.talked.Store(true)
	}
	return n, err
}

func (p *sshProgress) stage() int {
	switch {
	case p.authing.Load():
		return 2
	case p.talked.Load():
		return 1
	}
	return 0
}
