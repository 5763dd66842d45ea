package daemon

import (
	"net/netip"
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	r := newRateLimiter(2, 3)
	r.now = func() time.Time { return now }
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	for i := range 3 {
		if !r.allow(a) {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	if r.allow(a) {
		t.Fatal("request over the burst allowed")
	}
	if !r.allow(b) {
		t.Fatal("another source shares the bucket")
	}
	now = now.Add(500 * time.Millisecond) // one token at 2/s
	if !r.allow(a) || r.allow(a) {
		t.Fatal("refill is not one token per half second")
	}
	if newRateLimiter(0, 0) != nil || !(*rateLimiter)(nil).allow(a) {
		t.Fatal("rate 0 limits")
	}
}

func TestRateLimiterBoundsMemory(t *testing.T) {
	now := time.Unix(0, 0)
	r := newRateLimiter(1, 1)
	r.now = func() time.Time { return now }
	for i := range maxBuckets {
		r.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	// A flood from forged addresses has filled every bucket: a new
	// source still gets its burst, and memory stays bounded.
	fresh := netip.MustParseAddr("192.0.2.1")
	if !r.allow(fresh) || len(r.buckets) > maxBuckets {
		t.Fatalf("a new source was refused while every bucket is in use (%d buckets)", len(r.buckets))
	}
	if r.allow(fresh) {
		t.Fatal("the new source's bucket was forgotten at once")
	}
	now = now.Add(2 * time.Second)
	if !r.allow(netip.MustParseAddr("192.0.2.2")) || len(r.buckets) > 2 {
		t.Fatalf("quiet buckets were not forgotten: %d", len(r.buckets))
	}
}
