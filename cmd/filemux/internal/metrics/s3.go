package metrics

import (
	"github.com/filemux/filemux/handlers"
	"github.com/prometheus/client_golang/prometheus"
)

// The s3 routes' store requests and caches, by route. A reload builds new
// handlers, whose counters start again from zero (a counter reset).
var (
	s3RequestsDesc = prometheus.NewDesc(namespace+"_s3_requests_total",
		"Requests s3 routes sent to their store, retries included, by operation and outcome.", []string{"route", "op", "outcome"}, nil)
	s3HitsDesc = prometheus.NewDesc(namespace+"_s3_cache_hits_total",
		"Reads of s3 routes served from the cache without a request.", []string{"route"}, nil)
	s3RevalidationsDesc = prometheus.NewDesc(namespace+"_s3_cache_revalidations_total",
		"Reads of s3 routes whose cached object one HEAD found current.", []string{"route"}, nil)
	s3MissesDesc = prometheus.NewDesc(namespace+"_s3_cache_misses_total",
		"Objects s3 routes fetched into their cache.", []string{"route"}, nil)
	s3BytesDesc = prometheus.NewDesc(namespace+"_s3_cache_bytes",
		"Bytes the s3 routes' caches hold.", []string{"route"}, nil)
)

// s3Collector reads the stats of the s3 routes at each scrape.
type s3Collector struct{ m *Metrics }

func (c s3Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s3RequestsDesc, s3HitsDesc, s3RevalidationsDesc, s3MissesDesc, s3BytesDesc} {
		ch <- d
	}
}

func (c s3Collector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	source := c.m.s3
	c.m.mu.Unlock()
	if source == nil {
		return
	}
	for route, st := range source() {
		for r, n := range st.Requests {
			ch <- prometheus.MustNewConstMetric(s3RequestsDesc, prometheus.CounterValue, float64(n), route, r.Op, r.Outcome)
		}
		ch <- prometheus.MustNewConstMetric(s3HitsDesc, prometheus.CounterValue, float64(st.CacheHits), route)
		ch <- prometheus.MustNewConstMetric(s3RevalidationsDesc, prometheus.CounterValue, float64(st.CacheRevalidations), route)
		ch <- prometheus.MustNewConstMetric(s3MissesDesc, prometheus.CounterValue, float64(st.CacheMisses), route)
		ch <- prometheus.MustNewConstMetric(s3BytesDesc, prometheus.GaugeValue, float64(st.CacheBytes), route)
	}
}

// WatchS3 makes the s3 series read the stats that source returns, by
// route name, at each scrape; a later call replaces the source.
func (m *Metrics) WatchS3(source func() map[string]handlers.S3Stats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s3 = source
}
