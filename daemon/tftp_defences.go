package daemon

import "sync/atomic"

// counters are the daemon's defence counters; they outlive each Serve, so
// that a restart does not reset what Guard reports.
type counters struct {
	shed    atomic.Uint64
	bounded atomic.Uint64
}

// TFTPGuard is a snapshot of the TFTP daemon's defences against hostile
// load, for metrics: what an operator watches to see an attack (SSHGuard
// is the SSH server's).
type TFTPGuard struct {
	// Unconfirmed is the number of transfers whose peer has not answered
	// yet, now (see MaxUnconfirmed).
	Unconfirmed int
	// Shed counts the unconfirmed transfers ended to make room for newer
	// requests since the daemon was made.
	Shed uint64
	// Bounded counts the transfers whose options the unproven-peer bound
	// cut (windowsize or timeout dropped, blksize lowered; see
	// TrustedNetworks).
	Bounded uint64
}

// Guard returns a snapshot of the daemon's defences.
func (d *TFTP) Guard() TFTPGuard {
	c := TFTPGuard{Shed: d.ctr.shed.Load(), Bounded: d.ctr.bounded.Load()}
	if s := d.run.current(); s != nil {
		s.mu.Lock()
		c.Unconfirmed = s.pending.Len()
		s.mu.Unlock()
	}
	return c
}
