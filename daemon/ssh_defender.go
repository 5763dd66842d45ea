package daemon

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// sshDefenderMaxAddrs bounds the addresses the defender remembers, so that
// failures from very many addresses cannot exhaust memory: past it, the
// failures of new addresses are counted but not scored.
const sshDefenderMaxAddrs = 1 << 16

// sshDefender throttles password guessing, after SFTPGo's defender: each
// failed login scores against its source address, and an address with
// threshold failures within window is banned for banFor. A banned
// address's new connections are closed on arrival, before any handshake
// work, and its unauthenticated ones at once. Connections that never try
// to authenticate score nothing: they are the pre-auth budget's business,
// and scoring them would ban a NAT address whose users must still log in.
type sshDefender struct {
	threshold int // 0: never ban
	window    time.Duration
	banFor    time.Duration

	mu       sync.Mutex
	failures map[netip.Addr][]time.Time // within the window, oldest first
	bans     map[netip.Addr]time.Time   // until when

	failed  atomic.Uint64
	banned  atomic.Uint64
	refused atomic.Uint64 // connections of banned addresses
}

func newSSHDefender(threshold int, window, banFor time.Duration) *sshDefender {
	return &sshDefender{threshold: threshold, window: window, banFor: banFor,
		failures: make(map[netip.Addr][]time.Time), bans: make(map[netip.Addr]time.Time)}
}

// isBanned reports whether a is banned now, forgetting an expired ban.
func (d *sshDefender) isBanned(a netip.Addr, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	until, ok := d.bans[a]
	if ok && !now.Before(until) {
		delete(d.bans, a)
		return false
	}
	if ok {
		d.refused.Add(1)
	}
	return ok
}

// fail scores one failed login from a and reports whether it bans a.
func (d *sshDefender) fail(a netip.Addr, now time.Time) bool {
	d.failed.Add(1)
	if d.threshold <= 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.bans[a]; ok {
		return false
	}
	list, ok := d.failures[a]
	if !ok && (len(d.failures) >= sshDefenderMaxAddrs || len(d.bans) >= sshDefenderMaxAddrs) && !d.pruneLocked(now) {
		return false
	}
	list = append(d.recent(list, now), now)
	if len(list) < d.threshold {
		d.failures[a] = list
		return false
	}
	delete(d.failures, a)
	d.bans[a] = now.Add(d.banFor)
	d.banned.Add(1)
	return true
}

// recent drops the failures that left the window.
func (d *sshDefender) recent(list []time.Time, now time.Time) []time.Time {
	for len(list) > 0 && now.Sub(list[0]) >= d.window {
		list = list[1:]
	}
	return list
}

// pruneLocked forgets addresses without recent failures and expired bans;
// it reports whether room was made.
func (d *sshDefender) pruneLocked(now time.Time) bool {
	for a, list := range d.failures {
		if len(d.recent(list, now)) == 0 {
			delete(d.failures, a)
		}
	}
	for a, until := range d.bans {
		if !now.Before(until) {
			delete(d.bans, a)
		}
	}
	return len(d.failures) < sshDefenderMaxAddrs && len(d.bans) < sshDefenderMaxAddrs
}

// bannedNow returns how many addresses are banned now.
func (d *sshDefender) bannedNow(now time.Time) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for a, until := range d.bans {
		if now.Before(until) {
			n++
		} else {
			delete(d.bans, a)
		}
	}
	return n
}
