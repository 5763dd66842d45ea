package handlers

import (
	"container/list"
	"context"
	"io"
	"os"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/filemux/filemux/behaviour"
)

// DefaultS3CacheTTL is how long a cached object is served before the
// store is asked whether it changed.
const DefaultS3CacheTTL = 10 * time.Second

// s3Cache keeps objects in memory by key and ETag, at most max bytes of
// them, evicting the least recently used first. An object is served
// without asking the store for ttl after it was last checked; then the
// next read revalidates it with a HEAD, and fetches it again only when
// its ETag changed. Concurrent reads of a key that is missing or due for
// revalidation share one HEAD and one GET (a flight), and read the body
// as it arrives: a boot storm of N devices costs the store one GET.
type s3Cache struct {
	max int64
	ttl time.Duration

	mu      sync.Mutex
	used    int64
	entries map[string]*list.Element // of *s3Entry, front = most recent
	lru     list.List
	flights map[string]*s3Flight
	cacheCounters
}

// s3Entry is one cached version of an object.
type s3Entry struct {
	key     string
	etag    string
	checked time.Time // when the store last confirmed etag
	data    *httpEntry
}

// s3Flight is the revalidation or fetch of one key that the reads
// meanwhile wait on; done closes once the outcome is decided (the data
// may still be arriving).
type s3Flight struct {
	done  chan struct{}
	entry *s3Entry
	info  minio.ObjectInfo // the HEAD's answer, for an object too large
	err   error
}

func newS3Cache(max int64, ttl time.Duration) *s3Cache {
	return &s3Cache{max: max, ttl: ttl, entries: make(map[string]*list.Element), flights: make(map[string]*s3Flight)}
}

// fresh returns the entry of key when it needs no revalidation.
func (c *s3Cache) fresh(key string) *s3Entry {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*s3Entry)
	if e.data.failed() {
		c.remove(el)
		return nil
	}
	if time.Since(e.checked) > c.ttl {
		return nil
	}
	c.lru.MoveToFront(el)
	return e
}

// join returns the fresh entry of key, or the flight to wait on, starting
// one (leader) when none runs. stale is the entry to revalidate.
func (c *s3Cache) join(key string) (e *s3Entry, f *s3Flight, leader bool, stale *s3Entry) {
	if e := c.fresh(key); e != nil {
		return e, nil, false, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.flights[key]; ok {
		return nil, f, false, nil
	}
	if el, ok := c.entries[key]; ok {
		stale = el.Value.(*s3Entry)
	}
	f = &s3Flight{done: make(chan struct{})}
	c.flights[key] = f
	return nil, f, true, stale
}

// land ends a flight, storing its entry first so that no read misses both.
func (c *s3Cache) land(key string, f *s3Flight) {
	c.mu.Lock()
	if f.entry != nil {
		c.store(f.entry)
	}
	delete(c.flights, key)
	c.mu.Unlock()
	close(f.done)
}

// store adds e (or refreshes it), evicting to make room. The caller holds
// c.mu.
func (c *s3Cache) store(e *s3Entry) {
	if el, ok := c.entries[e.key]; ok {
		if el.Value == e {
			c.lru.MoveToFront(el)
			return
		}
		c.remove(el)
	}
	for c.used+e.data.size > c.max && c.lru.Len() > 0 {
		c.remove(c.lru.Back())
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.used += e.data.size
}

func (c *s3Cache) remove(el *list.Element) {
	e := el.Value.(*s3Entry)
	c.lru.Remove(el)
	delete(c.entries, e.key)
	c.used -= e.data.size
}

// touch records that the store confirmed e's version now.
func (c *s3Cache) touch(e *s3Entry) {
	c.mu.Lock()
	e.checked = time.Now()
	c.mu.Unlock()
}

// forget drops the entry of key, after this handler changed the object.
func (c *s3Cache) forget(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
}

// drop removes e when it is still the entry of its key (a failed fill).
func (c *s3Cache) drop(e *s3Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[e.key]; ok && el.Value == e {
		c.remove(el)
	}
}

// openCached serves a read from the cache, revalidating or fetching the
// object once for every read that wants it meanwhile; an object larger
// than the cache is read from the store directly.
func (h *S3) openCached(ctx context.Context, t *behaviour.Transfer, key string) error {
	e, f, leader, stale := h.cache.join(key)
	if e != nil {
		h.cache.hits.Add(1)
	} else {
		if leader {
			go h.fly(key, f, stale)
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return behaviour.Classify(context.Cause(ctx))
		}
		if f.err != nil {
			return f.err
		}
		if e = f.entry; e == nil {
			return h.openInfo(t, key, f.info)
		}
	}
	t.SetSize(e.data.size)
	t.State = &httpEntryReader{e: e.data, ctx: t.Context()}
	return nil
}

// fly runs one flight: the HEAD, then, unless the cached version is still
// current, the GET whose body fills the new entry. It belongs to every
// read waiting on it, so it runs under contexts of its own.
func (h *S3) fly(key string, f *s3Flight, stale *s3Entry) {
	ctx, cancel := h.requestContext(context.Background())
	info, err := h.core.StatObject(ctx, h.bucket, key, minio.StatObjectOptions{})
	cancel()
	switch {
	case err != nil:
		f.err = storeError(ctx, err)
		if stale != nil && isNotFound(f.err) {
			h.cache.drop(stale) // deleted from the store
		}
	case stale != nil && stale.etag == info.ETag:
		h.cache.touch(stale)
		h.cache.revalidations.Add(1)
		f.entry = stale
	case info.Size > h.cache.max:
		f.info = info
	default:
		h.cache.misses.Add(1)
		f.entry, f.err = h.fetchEntry(key, info)
	}
	h.cache.land(key, f)
}

// fetchEntry starts the GET of one version and fills its entry in the
// background. Timeout bounds the wait for the answer and then for each
// piece of the body.
func (h *S3) fetchEntry(key string, info minio.ObjectInfo) (*s3Entry, error) {
	ctx, cancel := context.WithCancel(context.Background())
	idle := time.AfterFunc(h.timeout, cancel)
	opts := minio.GetObjectOptions{}
	_ = opts.SetMatchETag(info.ETag)
	body, _, _, err := h.core.GetObject(ctx, h.bucket, key, opts)
	if err != nil {
		idle.Stop()
		cancel()
		return nil, storeError(ctx, err)
	}
	data, err := h.newCacheData(info)
	if err != nil {
		idle.Stop()
		cancel()
		body.Close()
		return nil, err
	}
	e := &s3Entry{key: key, etag: info.ETag, checked: time.Now(), data: data}
	go func() {
		defer cancel()
		defer idle.Stop()
		if err := fillEntry(e.data, body, func() { idle.Reset(h.timeout) }); err != nil {
			h.cache.drop(e)
		}
	}()
	return e, nil
}

// newCacheData makes the entry that holds one object: in memory, or in
// a file of CacheDir unlinked at once, so that a crash leaves nothing.
func (h *S3) newCacheData(info minio.ObjectInfo) (*httpEntry, error) {
	if h.cacheDir == "" {
		return newHTTPEntry(info.Size, info.LastModified, time.Time{}), nil
	}
	f, err := os.CreateTemp(h.cacheDir, ".filemux-cache-*")
	if err != nil {
		return nil, errStore.With(err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, errStore.With(err)
	}
	return &httpEntry{size: info.Size, modTime: info.LastModified, file: f, progress: make(chan struct{})}, nil
}

// fillEntry copies body into e, checking that it ends at e's size; alive
// is called after each piece.
func fillEntry(e *httpEntry, body io.ReadCloser, alive func()) error {
	defer body.Close()
	var piece []byte
	if e.file != nil {
		piece = make([]byte, s3Piece)
	}
	for e.filled < e.size {
		dst := piece
		if e.file == nil {
			dst = e.buf[e.filled:]
		}
		n, err := body.Read(dst[:min(int64(len(dst)), s3Piece, e.size-e.filled)])
		alive()
		if e.file != nil && n > 0 {
			if _, werr := e.file.WriteAt(dst[:n], e.filled); werr != nil {
				return e.fail(errStore.With(werr))
			}
		}
		e.grow(int64(n))
		switch {
		case err == io.EOF && e.filled < e.size:
			return e.fail(errStoreShort)
		case err != nil && err != io.EOF:
			return e.fail(errStore.With(err))
		}
	}
	return nil
}
