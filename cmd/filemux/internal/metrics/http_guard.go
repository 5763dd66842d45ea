package metrics

import (
	"github.com/filemux/filemux/daemon"
	"github.com/prometheus/client_golang/prometheus"
)

// The HTTP servers' defences against password guessing, summed over the
// watched servers, as the ssh series are for SSH.
var (
	httpShedDesc = prometheus.NewDesc(namespace+"_http_shed_total",
		"HTTP connections not serving a request closed to make room for new ones (max_connections, max_per_address).", nil, nil)
	httpFailedDesc = prometheus.NewDesc(namespace+"_http_failed_logins_total",
		"HTTP requests whose credentials did not check out, scored against their address.", nil, nil)
	httpBansDesc = prometheus.NewDesc(namespace+"_http_bans_total",
		"Addresses banned after failed HTTP logins (ban_threshold).", nil, nil)
	httpBannedDesc = prometheus.NewDesc(namespace+"_http_banned_addresses",
		"Addresses the HTTP servers ban now.", nil, nil)
	httpRefusedDesc = prometheus.NewDesc(namespace+"_http_banned_requests_total",
		"Connections and requests of banned addresses, refused without a password check.", nil, nil)
)

// httpGuardCollector reads the watched servers' HTTP.Guard at each
// scrape. Every series exists from the start, at zero.
type httpGuardCollector struct{ m *Metrics }

func (c httpGuardCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{httpShedDesc, httpFailedDesc, httpBansDesc, httpBannedDesc, httpRefusedDesc} {
		ch <- d
	}
}

func (c httpGuardCollector) Collect(ch chan<- prometheus.Metric) {
	var sum daemon.HTTPGuard
	c.m.mu.Lock()
	guards := c.m.httpGuards // watchHTTPGuard only appends: this slice never changes
	c.m.mu.Unlock()
	for _, guard := range guards {
		g := guard()
		sum.Shed += g.Shed
		sum.FailedLogins += g.FailedLogins
		sum.Bans += g.Bans
		sum.Banned += g.Banned
		sum.Refused += g.Refused
	}
	ch <- prometheus.MustNewConstMetric(httpShedDesc, prometheus.CounterValue, float64(sum.Shed))
	ch <- prometheus.MustNewConstMetric(httpFailedDesc, prometheus.CounterValue, float64(sum.FailedLogins))
	ch <- prometheus.MustNewConstMetric(httpBansDesc, prometheus.CounterValue, float64(sum.Bans))
	ch <- prometheus.MustNewConstMetric(httpBannedDesc, prometheus.GaugeValue, float64(sum.Banned))
	ch <- prometheus.MustNewConstMetric(httpRefusedDesc, prometheus.CounterValue, float64(sum.Refused))
}

// watchHTTPGuard adds an HTTP server's defences to the http metrics.
func (m *Metrics) watchHTTPGuard(guard func() daemon.HTTPGuard) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.httpGuards = append(m.httpGuards, guard)
}
