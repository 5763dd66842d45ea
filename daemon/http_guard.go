package daemon

import "time"

// HTTPGuard is a snapshot of the HTTP server's defences against password
// guessing, for metrics, as SSHGuard is for SSH. The counters count from
// the start of serving. Connections refused (503) over MaxConnections and
// MaxPerAddress are reported one by one to OnRefuse.
type HTTPGuard struct {
	// Shed counts the connections not serving a request that were closed
	// to make room for new ones (MaxConnections, MaxPerAddress).
	Shed uint64
	// FailedLogins counts the requests whose credentials did not check
	// out, scored against their address.
	FailedLogins uint64
	// Bans counts the bans of addresses (BanThreshold).
	Bans uint64
	// Banned is the number of addresses banned now.
	Banned int
	// Refused counts the connections and requests of banned addresses,
	// closed or answered 403 without a password check.
	Refused uint64
}

// Guard returns a snapshot of the defences; the zero HTTPGuard before
// serving starts.
func (d *HTTP) Guard() HTTPGuard {
	s := d.run.current()
	if s == nil {
		return HTTPGuard{}
	}
	return HTTPGuard{
		Shed:         s.shed.Load(),
		FailedLogins: s.defender.failed.Load(),
		Bans:         s.defender.banned.Load(),
		Banned:       s.defender.bannedNow(time.Now()),
		Refused:      s.defender.refused.Load(),
	}
}
