package handlers

import (
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// S3Request names one kind of store request: the S3 operation, such as
// "GetObject" or "UploadPart", and its outcome: "ok", "not_found",
// "denied" (403), "precondition" (412, a conditional write or read that
// failed), "error" (any other answer) or "failed" (no answer).
type S3Request struct {
	Op      string
	Outcome string
}

// S3Stats are the counters of an S3 handler since NewS3, for metrics.
type S3Stats struct {
	// Requests counts the requests sent to the store, retries included.
	Requests map[S3Request]int64
	// CacheHits counts reads served from the cache without a request;
	// CacheRevalidations the reads whose cached version one HEAD found
	// current; CacheMisses the fetches of an object into the cache. Reads
	// that joined a fetch in flight count in none of them.
	CacheHits, CacheRevalidations, CacheMisses int64
	// CacheBytes is what the cache holds now.
	CacheBytes int64
}

// Stats returns the handler's counters.
func (h *S3) Stats() S3Stats {
	st := S3Stats{Requests: h.counter.snapshot()}
	if c := h.cache; c != nil {
		st.CacheHits, st.CacheRevalidations, st.CacheMisses = c.hits.Load(), c.revalidations.Load(), c.misses.Load()
		c.mu.Lock()
		st.CacheBytes = c.used
		c.mu.Unlock()
	}
	return st
}

// requestCounter is the transport of an S3 handler: it counts every
// request by operation and outcome.
type requestCounter struct {
	next   http.RoundTripper
	bucket string
	mu     sync.Mutex
	counts map[S3Request]int64
}

func (c *requestCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	op := s3Operation(req, c.bucket)
	resp, err := c.next.RoundTrip(req)
	outcome := "failed"
	if err == nil {
		outcome = statusOutcome(resp.StatusCode)
	}
	c.mu.Lock()
	c.counts[S3Request{op, outcome}]++
	c.mu.Unlock()
	return resp, err
}

func (c *requestCounter) snapshot() map[S3Request]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

func statusOutcome(code int) string {
	switch {
	case code < 400:
		return "ok"
	case code == http.StatusNotFound:
		return "not_found"
	case code == http.StatusForbidden:
		return "denied"
	case code == http.StatusPreconditionFailed:
		return "precondition"
	}
	return "error"
}

// s3Operation names the S3 operation of a request from its method, query
// and headers; a request for the bucket alone has no key in its path
// (path-style /bucket, virtual-host /).
func s3Operation(req *http.Request, bucket string) string {
	q := req.URL.Query()
	p := strings.Trim(req.URL.Path, "/")
	bucketOnly := p == "" || p == bucket
	has := func(k string) bool { _, ok := q[k]; return ok }
	switch req.Method {
	case http.MethodHead:
		if bucketOnly {
			return "HeadBucket"
		}
		return "HeadObject"
	case http.MethodGet:
		switch {
		case has("location"):
			return "GetBucketLocation"
		case has("uploads"):
			return "ListMultipartUploads"
		case has("uploadId"):
			return "ListParts"
		case bucketOnly:
			return "ListObjects"
		}
		return "GetObject"
	case http.MethodPut:
		switch {
		case has("partNumber"):
			return "UploadPart"
		case req.Header.Get("X-Amz-Copy-Source") != "":
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodPost:
		switch {
		case has("uploads"):
			return "CreateMultipartUpload"
		case has("uploadId"):
			return "CompleteMultipartUpload"
		case has("delete"):
			return "DeleteObjects"
		}
	case http.MethodDelete:
		if has("uploadId") {
			return "AbortMultipartUpload"
		}
		return "DeleteObject"
	}
	return req.Method
}

// cacheCounters are the counters of an s3Cache.
type cacheCounters struct {
	hits, revalidations, misses atomic.Int64
}
