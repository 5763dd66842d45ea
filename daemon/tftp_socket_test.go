package daemon

import (
	"net/netip"
	"testing"
)

// TestValidPeer: datagrams from sources that cannot be a real client (bad
// input 21: reflection) are never answered.
func TestValidPeer(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1:1234":       true,
		"[::1]:1234":           true,
		"[fe80::1%lo]:1234":    true,
		"127.0.0.1:0":          false,
		"0.0.0.0:1234":         false,
		"[::]:1234":            false,
		"255.255.255.255:1234": false,
		"224.0.0.1:1234":       false,
		"[ff02::1]:1234":       false,
	}
	for s, want := range cases {
		if got := validPeer(netip.MustParseAddrPort(s)); got != want {
			t.Errorf("validPeer(%s) = %v, want %v", s, got, want)
		}
	}
	if validPeer(netip.AddrPort{}) {
		t.Error("the zero address is a valid peer")
	}
}

func TestValidLocal(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1:69":       true,
		"[::1]:69":           true,
		"255.255.255.255:69": false,
		"239.1.2.3:69":       false,
	}
	for s, want := range cases {
		if got := validLocal(netip.MustParseAddrPort(s)); got != want {
			t.Errorf("validLocal(%s) = %v, want %v", s, got, want)
		}
	}
}
