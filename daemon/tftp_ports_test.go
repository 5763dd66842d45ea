package daemon

import (
	"errors"
	"syscall"
	"testing"
)

func TestParsePortPolicy(t *testing.T) {
	for _, s := range []string{"random", "single", "1000-2000", "5-5"} {
		p, err := ParsePortPolicy(s)
		if err != nil || p.String() != s {
			t.Errorf("ParsePortPolicy(%q) = %v, %v", s, p, err)
		}
	}
	for _, s := range []string{"2000-1000", "0-10", "1-70000", "x", "1000"} {
		if _, err := ParsePortPolicy(s); err == nil {
			t.Errorf("ParsePortPolicy(%q) accepted", s)
		}
	}
}

func TestPortPool(t *testing.T) {
	pp := newPortPool(PortRange(100, 102))
	taken := map[uint16]bool{}
	held := func(port uint16) error {
		if port == 101 {
			return syscall.EADDRINUSE // another program holds it
		}
		return nil
	}
	for range 2 {
		port, err := pp.bind(held)
		if err != nil || taken[port] || port == 101 {
			t.Fatalf("bind = %d, %v (taken %v)", port, err, taken)
		}
		taken[port] = true
	}
	if _, err := pp.bind(held); !errors.Is(err, errNoPort) {
		t.Fatalf("bind with every port busy: %v", err)
	}
	pp.release(100)
	if port, err := pp.bind(held); port != 100 || err != nil {
		t.Fatalf("bind after release = %d, %v", port, err)
	}
}
