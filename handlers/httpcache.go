package handlers

import (
	"container/list"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// httpCache keeps downloads in memory by URL, at most max bytes of them,
// each for ttl, evicting the least recently used first. Concurrent misses
// of one URL share one fetch (a flight). An evicted download that
// transfers still read stays in memory until they end, so the bound holds
// for what the cache keeps, not for what it once handed out.
type httpCache struct {
	max int64
	ttl time.Duration

	mu      sync.Mutex
	used    int64
	entries map[string]*list.Element // of *httpEntry, front = most recent
	lru     list.List
	flights map[string]*httpFlight
	// uncacheable remembers, until the time given, URLs whose size is
	// unknown or too large, so that their transfers go straight to the
	// origin instead of through a flight that would fail.
	uncacheable map[string]time.Time
}

// maxUncacheable bounds the URLs remembered as uncacheable.
const maxUncacheable = 1024

// httpFlight is one fetch that the transfers missing the same URL wait on:
// done closes once the response headers decided the outcome.
type httpFlight struct {
	done  chan struct{}
	entry *httpEntry
	err   error
}

func newHTTPCache(max int64, ttl time.Duration) *httpCache {
	return &httpCache{
		max: max, ttl: ttl,
		entries:     make(map[string]*list.Element),
		flights:     make(map[string]*httpFlight),
		uncacheable: make(map[string]time.Time),
	}
}

// fresh returns the live entry of u, or nil. A nil cache has none.
func (c *httpCache) fresh(u string) *httpEntry {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lookup(u)
}

// lookup returns the live entry of u, dropping it when it expired or
// failed. The caller holds c.mu.
func (c *httpCache) lookup(u string) *httpEntry {
	el, ok := c.entries[u]
	if !ok {
		return nil
	}
	e := el.Value.(*httpEntry)
	if time.Now().After(e.expires) || e.failed() {
		c.remove(u, el)
		return nil
	}
	c.lru.MoveToFront(el)
	return e
}

func (c *httpCache) remove(u string, el *list.Element) {
	c.lru.Remove(el)
	delete(c.entries, u)
	c.used -= el.Value.(*httpEntry).size
}

// join returns the flight of u, starting one when none runs (leader).
// It returns a nil flight when u is known to be uncacheable.
func (c *httpCache) join(u string) (e *httpEntry, f *httpFlight, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.lookup(u); e != nil {
		return e, nil, false
	}
	if until, ok := c.uncacheable[u]; ok && time.Now().Before(until) {
		return nil, nil, false
	}
	if f, ok := c.flights[u]; ok {
		return nil, f, false
	}
	f = &httpFlight{done: make(chan struct{})}
	c.flights[u] = f
	return nil, f, true
}

// land ends the flight of u with e or err, keeping e in the cache; the
// entry is stored before the flight goes, so that no transfer misses both.
func (c *httpCache) land(u string, f *httpFlight, e *httpEntry, err error) {
	c.mu.Lock()
	if e != nil {
		c.store(u, e)
	}
	if errors.Is(err, errUncacheable) {
		c.markUncacheable(u)
	}
	delete(c.flights, u)
	c.mu.Unlock()
	f.entry, f.err = e, err
	close(f.done)
}

// store adds e, evicting the least recently used entries to make room.
// The caller holds c.mu.
func (c *httpCache) store(u string, e *httpEntry) {
	if el, ok := c.entries[u]; ok {
		c.remove(u, el)
	}
	for c.used+e.size > c.max && c.lru.Len() > 0 {
		back := c.lru.Back()
		c.remove(back.Value.(*httpEntry).url, back)
	}
	e.url = u
	c.entries[u] = c.lru.PushFront(e)
	c.used += e.size
}

func (c *httpCache) markUncacheable(u string) {
	if len(c.uncacheable) >= maxUncacheable {
		clear(c.uncacheable)
	}
	c.uncacheable[u] = time.Now().Add(c.ttl)
}

// drop removes u's entry when it is still e (a failed fill).
func (c *httpCache) drop(u string, e *httpEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[u]; ok && el.Value == e {
		c.remove(u, el)
	}
}

// openCached serves a read from the cache, fetching it once for all the
// transfers that want it meanwhile, or from the origin directly when the
// cache cannot hold it.
func (h *HTTP) openCached(ctx context.Context, t *behaviour.Transfer, u string) error {
	e, err := h.cached(ctx, t, u)
	if errors.Is(err, errUncacheable) {
		return h.openStream(ctx, t, u)
	}
	if err != nil {
		return err
	}
	t.SetSize(e.size)
	t.State = &httpEntryReader{e: e, ctx: t.Context()}
	return nil
}

func (h *HTTP) cached(ctx context.Context, t *behaviour.Transfer, u string) (*httpEntry, error) {
	e, f, leader := h.cache.join(u)
	switch {
	case e != nil:
		return e, nil
	case f == nil:
		return nil, errUncacheable
	case leader:
		// The fetch belongs to every transfer waiting on it, not to this
		// one: it runs on its own, bounded by the handler's timeout.
		go h.fetch(h.requestFor(t), u, f)
	}
	select {
	case <-f.done:
		return f.entry, f.err
	case <-ctx.Done():
		return nil, behaviour.Classify(context.Cause(ctx))
	}
}

// fetch runs one flight: the GET, the size, then the body into the entry.
func (h *HTTP) fetch(r originRequest, u string, f *httpFlight) {
	call := h.newCall(context.Background())
	req, err := r.request(call.ctx, http.MethodGet, u, nil)
	if err != nil {
		call.end()
		h.cache.land(u, f, nil, err)
		return
	}
	resp, err := call.do(h.client, req)
	if err != nil {
		h.cache.land(u, f, nil, err)
		return
	}
	size := h.sizeOf(call.ctx, r, u, resp)
	if size < 0 || size > h.cache.max {
		discard(resp.Body)
		call.end()
		h.cache.land(u, f, nil, errUncacheable)
		return
	}
	e := newHTTPEntry(size, modTimeOf(resp), time.Now().Add(h.cache.ttl))
	h.cache.land(u, f, e, nil)
	if err := e.fill(call, resp.Body); err != nil {
		h.cache.drop(u, e)
	}
}
