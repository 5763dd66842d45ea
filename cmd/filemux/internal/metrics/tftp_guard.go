package metrics

import (
	"github.com/filemux/filemux/daemon"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	unconfirmedDesc = prometheus.NewDesc(namespace+"_tftp_unconfirmed",
		"TFTP transfers whose client has not answered yet: a flood of forged requests shows here.", nil, nil)
	shedDesc = prometheus.NewDesc(namespace+"_tftp_unconfirmed_shed_total",
		"Unanswered TFTP transfers ended to make room for newer requests (tftp.max_unconfirmed).", nil, nil)
	boundedDesc = prometheus.NewDesc(namespace+"_tftp_unproven_bounded_total",
		"TFTP reads whose options the unproven-client bound cut (single-port or port-range mode, client outside tftp.trusted_networks).", nil, nil)
)

// tftpGuardCollector reads the TFTP daemons' defence counters at each
// scrape, as activeCollector reads the running transfers: the daemons
// keep the truth, the metrics only show it.
type tftpGuardCollector struct{ m *Metrics }

func (c tftpGuardCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- unconfirmedDesc
	ch <- shedDesc
	ch <- boundedDesc
}

func (c tftpGuardCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	sources := c.m.tftpGuards // watchTFTPGuard only appends: this slice never changes
	c.m.mu.Unlock()
	var sum daemon.TFTPGuard
	for _, counters := range sources {
		n := counters()
		sum.Unconfirmed += n.Unconfirmed
		sum.Shed += n.Shed
		sum.Bounded += n.Bounded
	}
	ch <- prometheus.MustNewConstMetric(unconfirmedDesc, prometheus.GaugeValue, float64(sum.Unconfirmed))
	ch <- prometheus.MustNewConstMetric(shedDesc, prometheus.CounterValue, float64(sum.Shed))
	ch <- prometheus.MustNewConstMetric(boundedDesc, prometheus.CounterValue, float64(sum.Bounded))
}

// watchTFTPGuard adds a TFTP daemon's counters to the defence metrics.
func (m *Metrics) watchTFTPGuard(counters func() daemon.TFTPGuard) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tftpGuards = append(m.tftpGuards, counters)
}
