package config

import "github.com/filemux/filemux/daemon"

// Startups bounds the SSH connections that have not authenticated yet,
// as OpenSSH's MaxStartups: "start:rate:full" (past start, each new
// connection sheds an idle unauthenticated one with a chance rising from
// rate percent to 100 at full; never more than full are held), or a
// single number N, meaning N:100:N.
type Startups struct{ daemon.SSHStartups }

// UnmarshalText parses the limits with daemon.ParseSSHStartups.
func (s *Startups) UnmarshalText(text []byte) error {
	return parseInto(&s.SSHStartups, daemon.ParseSSHStartups, text,
		"start:rate:full (such as 10:30:100, with start <= full and a rate of 0 to 100) or a number")
}

// MarshalText returns the form start:rate:full.
func (s Startups) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
