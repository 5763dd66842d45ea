package daemon

import (
	"net/netip"
	"sync"
	"time"
)

// maxBuckets bounds the memory of the rate limiter: past it, buckets that
// have refilled completely (their sources went quiet) are forgotten, and if
// none has, one bucket picked at random is. Refusing new sources instead
// would let a flood from forged, ever-changing addresses lock out every
// client the limiter had not seen; forgetting at random keeps a source
// that floods from one address limited (its bucket is one of thousands)
// and only lends a forgotten source a fresh burst.
const maxBuckets = 1 << 14

// rateLimiter is a token bucket per source address.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[netip.Addr]*bucket
	now     func() time.Time
	// prunedAt is when a prune last freed nothing: no bucket can have
	// refilled before a burst's worth of time, so scanning all of them
	// again for each new source would only cost the read loop time.
	prunedAt time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newRateLimiter returns nil, which allows everything, when rate is 0.
func newRateLimiter(rate float64, burst int) *rateLimiter {
	if rate <= 0 {
		return nil
	}
	return &rateLimiter{rate: rate, burst: float64(burst), buckets: make(map[netip.Addr]*bucket), now: time.Now}
}

// allow takes a token from src's bucket.
func (r *rateLimiter) allow(src netip.Addr) bool {
	if r == nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	b := r.buckets[src]
	if b == nil {
		if len(r.buckets) >= maxBuckets {
			r.makeRoom(now)
		}
		b = &bucket{tokens: r.burst, last: now}
		r.buckets[src] = b
	}
	b.tokens = min(r.burst, b.tokens+now.Sub(b.last).Seconds()*r.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// makeRoom forgets the full buckets or, when none is, a random one.
func (r *rateLimiter) makeRoom(now time.Time) {
	refill := time.Duration(r.burst / r.rate * float64(time.Second))
	if (r.prunedAt.IsZero() || now.Sub(r.prunedAt) >= refill) && r.prune(now) {
		return
	}
	r.prunedAt = now
	for a := range r.buckets { // map order is random
		delete(r.buckets, a)
		return
	}
}

// prune forgets the full buckets and reports whether any went.
func (r *rateLimiter) prune(now time.Time) bool {
	before := len(r.buckets)
	for a, b := range r.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*r.rate >= r.burst {
			delete(r.buckets, a)
		}
	}
	return len(r.buckets) < before
}
