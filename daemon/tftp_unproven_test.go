package daemon

import (
	"net/netip"
	"testing"
)

func TestUnprovenTrustsLinkLocalWithZone(t *testing.T) {
	s := &server{guessable: true, cfg: &settings{trusted: []netip.Prefix{netip.MustParsePrefix("fe80::/10")}}}
	for addr, want := range map[string]bool{"fe80::1%eth0": false, "fe80::1": false, "2001:db8::1": true} {
		if got := s.unproven(netip.MustParseAddr(addr)); got != want {
			t.Errorf("unproven(%s) = %v, want %v", addr, got, want)
		}
	}
}
