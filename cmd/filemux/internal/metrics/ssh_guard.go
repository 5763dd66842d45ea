package metrics

import (
	"github.com/filemux/filemux/daemon"
	"github.com/prometheus/client_golang/prometheus"
)

// The SSH servers' defences against hostile load, summed over the watched
// servers: what an operator sees of a flood of silent connections or of
// password guessing.
var (
	sshPreauthDesc = prometheus.NewDesc(namespace+"_ssh_preauth",
		"SSH connections that have not authenticated yet (max_startups bounds them).", nil, nil)
	sshShedDesc = prometheus.NewDesc(namespace+"_ssh_preauth_shed_total",
		"Unauthenticated SSH connections closed to make room for new ones (max_startups).", nil, nil)
	sshFailedDesc = prometheus.NewDesc(namespace+"_ssh_failed_logins_total",
		"Failed SSH logins scored against their address (each wrong password; each connection that offered only refused keys).", nil, nil)
	sshBansDesc = prometheus.NewDesc(namespace+"_ssh_bans_total",
		"Addresses banned after failed SSH logins (ban_threshold).", nil, nil)
	sshBannedDesc = prometheus.NewDesc(namespace+"_ssh_banned_addresses",
		"Addresses banned now.", nil, nil)
	sshRefusedDesc = prometheus.NewDesc(namespace+"_ssh_banned_connections_total",
		"Connections of banned addresses, closed on arrival.", nil, nil)
)

// sshGuardCollector reads the watched servers' SSH.Guard at each scrape.
// Every series exists from the start, at zero.
type sshGuardCollector struct{ m *Metrics }

func (c sshGuardCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sshPreauthDesc, sshShedDesc, sshFailedDesc, sshBansDesc, sshBannedDesc, sshRefusedDesc} {
		ch <- d
	}
}

func (c sshGuardCollector) Collect(ch chan<- prometheus.Metric) {
	var sum daemon.SSHGuard
	c.m.mu.Lock()
	guards := c.m.sshGuards // watchGuard only appends: this slice never changes
	c.m.mu.Unlock()
	for _, guard := range guards {
		g := guard()
		sum.Preauth += g.Preauth
		sum.Shed += g.Shed
		sum.FailedLogins += g.FailedLogins
		sum.Bans += g.Bans
		sum.Banned += g.Banned
		sum.Refused += g.Refused
	}
	ch <- prometheus.MustNewConstMetric(sshPreauthDesc, prometheus.GaugeValue, float64(sum.Preauth))
	ch <- prometheus.MustNewConstMetric(sshShedDesc, prometheus.CounterValue, float64(sum.Shed))
	ch <- prometheus.MustNewConstMetric(sshFailedDesc, prometheus.CounterValue, float64(sum.FailedLogins))
	ch <- prometheus.MustNewConstMetric(sshBansDesc, prometheus.CounterValue, float64(sum.Bans))
	ch <- prometheus.MustNewConstMetric(sshBannedDesc, prometheus.GaugeValue, float64(sum.Banned))
	ch <- prometheus.MustNewConstMetric(sshRefusedDesc, prometheus.CounterValue, float64(sum.Refused))
}

// watchGuard adds an SSH server's defences to the ssh metrics.
func (m *Metrics) watchGuard(guard func() daemon.SSHGuard) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sshGuards = append(m.sshGuards, guard)
}
