package daemon

import (
	"fmt"
	"strconv"
	"strings"
)

// SSHStartups bounds the connections that have not authenticated yet, as
// OpenSSH's MaxStartups "start:rate:full" does, with one difference: when
// a connection must go, it is the idlest unauthenticated one, never the
// newcomer (see SSH.MaxStartups). The zero value means
// DefaultSSHMaxStartups.
type SSHStartups struct {
	// Start is the number of unauthenticated connections held before any
	// is shed.
	Start int
	// Rate is the chance, in percent, that a new connection sheds one when
	// Start are held; it rises linearly to 100 at Full.
	Rate int
	// Full is the most unauthenticated connections ever held.
	Full int
}

// DefaultSSHMaxStartups is OpenSSH's default, 10:30:100.
var DefaultSSHMaxStartups = SSHStartups{Start: 10, Rate: 30, Full: 100}

// ParseSSHStartups parses OpenSSH's forms: "start:rate:full", or a single
// number N, which means N:100:N (hold N, and shed one for every newcomer
// past them).
func ParseSSHStartups(s string) (SSHStartups, error) {
	parts := strings.Split(s, ":")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(parts) == 2 || len(parts) > 3 {
			return SSHStartups{}, fmt.Errorf("daemon: max startups %q is not start:rate:full or a number", s)
		}
		nums[i] = n
	}
	v := SSHStartups{Start: nums[0], Rate: 100, Full: nums[0]}
	if len(nums) == 3 {
		v = SSHStartups{Start: nums[0], Rate: nums[1], Full: nums[2]}
	}
	if err := v.validate(); err != nil {
		return SSHStartups{}, err
	}
	return v, nil
}

// String returns the form ParseSSHStartups reads, "start:rate:full".
func (v SSHStartups) String() string { return fmt.Sprintf("%d:%d:%d", v.Start, v.Rate, v.Full) }

func (v SSHStartups) validate() error {
	if v == (SSHStartups{}) {
		return nil
	}
	if v.Start < 1 || v.Full < v.Start || v.Rate < 0 || v.Rate > 100 {
		return fmt.Errorf("daemon: max startups %v: want 1 <= start <= full and a rate of 0 to 100", v)
	}
	return nil
}

// orDefault applies the zero-value convention.
func (v SSHStartups) orDefault() SSHStartups {
	if v == (SSHStartups{}) {
		return DefaultSSHMaxStartups
	}
	return v
}

// shedChance is the chance, in percent, that a newcomer sheds one of the
// held connections when held are already unauthenticated: 0 below Start,
// Rate at Start, rising to 100 at Full (OpenSSH's formula).
func (v SSHStartups) shedChance(held int) int {
	switch {
	case held < v.Start:
		return 0
	case held >= v.Full:
		return 100
	}
	return v.Rate + (100-v.Rate)*(held-v.Start)/(v.Full-v.Start)
}
