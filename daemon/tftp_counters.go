package daemon

import "sync/atomic"

// counters are the daemon's defence counters; they outlive each Serve, so
// that a restart does not reset what Counters reports.
type counters struct {
	shed    atomic.Int64
	bounded atomic.Int64
}

// TFTPCounters show how the daemon meets hostile load; Counters returns
// them.
type TFTPCounters struct {
	// Unconfirmed is the number of transfers whose peer has not answered
	// yet, now (see MaxUnconfirmed).
	Unconfirmed int
	// Shed counts the unconfirmed transfers ended to make room for newer
	// requests since the daemon was made.
	Shed int64
	// Bounded counts the transfers whose options the unproven-peer bound
	// cut (windowsize or timeout dropped, blksize lowered; see
	// TrustedNetworks).
	Bounded int64
}

// Counters returns the daemon's defence counters.
func (d *TFTP) Counters() TFTPCounters {
	c := TFTPCounters{Shed: d.ctr.shed.Load(), Bounded: d.ctr.bounded.Load()}
	if s := d.server(); s != nil {
		s.mu.Lock()
		c.Unconfirmed = s.pending.Len()
		s.mu.Unlock()
	}
	return c
}
