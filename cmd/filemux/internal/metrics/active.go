package metrics

import (
	"github.com/filemux/filemux/behaviour"
	"github.com/prometheus/client_golang/prometheus"
)

var activeDesc = prometheus.NewDesc(namespace+"_active_transfers", "Transfers running now.", []string{"protocol", "access"}, nil)

// activeCollector reads the running transfers from the watched sources at
// each scrape, so that the gauge can never drift from the daemons' truth.
type activeCollector struct{ m *Metrics }

func (c activeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- activeDesc }

func (c activeCollector) Collect(ch chan<- prometheus.Metric) {
	type key struct{ protocol, access string }
	// Every series exists from the start, at zero, so that dashboards and
	// alerts see a value rather than no data.
	counts := map[key]int{}
	for _, p := range []behaviour.Protocol{behaviour.TFTP, behaviour.SFTP, behaviour.SCP, behaviour.HTTP} {
		for _, a := range []behaviour.Access{behaviour.Read, behaviour.Write} {
			counts[key{p.String(), a.String()}] = 0
		}
	}
	c.m.mu.Lock()
	sources := c.m.sources // Watch only appends: this slice never changes
	c.m.mu.Unlock()
	for _, active := range sources {
		for _, s := range active() {
			counts[key{s.Protocol.String(), s.Access.String()}]++
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, float64(n), k.protocol, k.access)
	}
}
