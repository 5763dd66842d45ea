package metrics

import (
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Options configure New. The zero value is usable.
type Options struct {
	// Route names the route a cleaned file name is dispatched to, for the
	// route label; nil, or an empty answer, labels transfers "none".
	Route func(name string) string
}

// Metrics holds filemux's Prometheus metrics in a registry of their own.
// Feed it with Record (or TFTPHooks and SSHHooks, which wire a daemon's
// hooks), Watch and Refused; serve it with Handler. It is safe for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	route       func(string) string
	transfers   *prometheus.CounterVec
	bytes       *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	retransmits *prometheus.CounterVec
	refused     *prometheus.CounterVec
	reloads     *prometheus.CounterVec
	reloadOK    prometheus.Gauge

	mu         sync.Mutex
	sources    []func() []daemon.Stats
	sshGuards  []func() daemon.SSHGuard
	tftpGuards []func() daemon.TFTPGuard
	httpGuards []func() daemon.HTTPGuard
	s3         func() map[string]handlers.S3Stats
}

// New returns the metrics, registered with the Go and process collectors.
func New(opts Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), route: opts.Route}
	m.transfers = m.counter("transfers_total", "Transfers that ended, by outcome.", "protocol", "access", "route", "outcome")
	m.bytes = m.counter("transfer_bytes_total", "File bytes moved by transfers that ended.", "protocol", "access", "route")
	m.retransmits = m.counter("retransmissions_total", "Packets the daemons sent again.", "protocol", "route")
	m.refused = m.counter("refused_requests_total", "Requests refused, by reason.", "protocol", "reason")
	m.reloads = m.counter("config_reloads_total", "Configuration reloads, by result.", "result")
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "transfer_duration_seconds", Help: "Durations of transfers that ended.",
		Buckets: prometheus.ExponentialBuckets(0.005, 4, 9),
	}, []string{"protocol", "access", "route"})
	m.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "config_last_reload_successful", Help: "Whether the last configuration reload succeeded (1) or was refused (0).",
	})
	m.reloadOK.Set(1)
	m.reg.MustRegister(m.transfers, m.bytes, m.retransmits, m.refused, m.reloads, m.duration, m.reloadOK,
		activeCollector{m}, tftpGuardCollector{m}, sshGuardCollector{m}, httpGuardCollector{m}, s3Collector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

const namespace = "filemux"

func (m *Metrics) counter(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
}

// Registry returns the registry the metrics live in, to add collectors or
// gather them.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Record counts one transfer that ended.
func (m *Metrics) Record(s daemon.Stats) {
	proto, access, route := s.Protocol.String(), s.Access.String(), m.routeOf(s.Name)
	m.transfers.WithLabelValues(proto, access, route, outcomeLabel(s.Outcome)).Inc()
	m.bytes.WithLabelValues(proto, access, route).Add(float64(s.Bytes))
	m.duration.WithLabelValues(proto, access, route).Observe(s.Duration.Seconds())
	if s.Retransmits > 0 {
		m.retransmits.WithLabelValues(proto, route).Add(float64(s.Retransmits))
	}
	if s.Outcome == daemon.OutcomeRefused {
		m.Refused(s.Protocol, codeReason(s.Code))
	}
}

func (m *Metrics) routeOf(name string) string {
	if m.route == nil {
		return "none"
	}
	if r := m.route(name); r != "" {
		return r
	}
	return "none"
}

// Refused counts one refused request.
func (m *Metrics) Refused(p behaviour.Protocol, reason string) {
	m.refused.WithLabelValues(p.String(), reason).Inc()
}

// Reloaded counts a configuration reload that succeeded (nil) or was
// refused.
func (m *Metrics) Reloaded(err error) {
	if err != nil {
		m.reloads.WithLabelValues("failure").Inc()
		m.reloadOK.Set(0)
		return
	}
	m.reloads.WithLabelValues("success").Inc()
	m.reloadOK.Set(1)
}

// TFTPHooks makes d report its transfers to m: it chains OnSuccess and
// OnFailure (calling the hooks already set first) and watches d.Active
// and d.Guard. Call it before d serves.
func (m *Metrics) TFTPHooks(d *daemon.TFTP) {
	d.OnSuccess = chain(d.OnSuccess, m.Record)
	d.OnFailure = chain(d.OnFailure, m.Record)
	if first := d.OnRefuse; first != nil {
		d.OnRefuse = func(peer netip.AddrPort, err error) { first(peer, err); m.tftpRefusal(peer, err) }
	} else {
		d.OnRefuse = m.tftpRefusal
	}
	m.Watch(d.Active)
	m.watchTFTPGuard(d.Guard)
}

// SSHHooks makes the SSH server d report its SFTP and SCP transfers to
// m, as TFTPHooks does for a TFTP daemon, and its defences against hostile
// load (SSH.Guard: the ssh_preauth gauge, the shed, failed-login and ban
// counters, the banned-addresses gauge). Call it before d serves.
func (m *Metrics) SSHHooks(d *daemon.SSH) {
	d.OnSuccess = chain(d.OnSuccess, m.Record)
	d.OnFailure = chain(d.OnFailure, m.Record)
	m.watchGuard(d.Guard)
	m.Watch(d.Active)
}

// HTTPHooks makes the HTTP server d report its transfers to m, as
// TFTPHooks does for a TFTP daemon, with the protocol label http (HTTPS
// included), and the requests it refuses before a transfer starts (a
// method it does not serve, a bad name, missing or wrong credentials, a
// banned address, the connection limits, a shutdown) to
// refused_requests_total, by reason, and its defences against password
// guessing (HTTP.Guard: the failed-login, ban and banned-request counters,
// the banned-addresses gauge). Call it before d serves.
func (m *Metrics) HTTPHooks(d *daemon.HTTP) {
	d.OnSuccess = chain(d.OnSuccess, m.Record)
	d.OnFailure = chain(d.OnFailure, m.Record)
	if first := d.OnRefuse; first != nil {
		d.OnRefuse = func(peer netip.AddrPort, err error) { first(peer, err); m.httpRefusal(peer, err) }
	} else {
		d.OnRefuse = m.httpRefusal
	}
	m.Watch(d.Active)
	m.watchHTTPGuard(d.Guard)
}

func chain(first, then func(daemon.Stats)) func(daemon.Stats) {
	if first == nil {
		return then
	}
	return func(s daemon.Stats) {
		first(s)
		then(s)
	}
}

// Watch adds a source of running transfers, such as a daemon's Active, to
// the active_transfers gauge.
func (m *Metrics) Watch(active func() []daemon.Stats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sources = append(m.sources, active)
}

func outcomeLabel(o daemon.Outcome) string { return strings.ReplaceAll(o.String(), " ", "_") }

var codeReasons = [...]string{
	behaviour.CodeUndefined:        "error",
	behaviour.CodeNotFound:         "not_found",
	behaviour.CodeAccessViolation:  "access_violation",
	behaviour.CodeDiskFull:         "disk_full",
	behaviour.CodeIllegalOperation: "illegal_operation",
	behaviour.CodeUnknownTID:       "unknown_tid",
	behaviour.CodeFileExists:       "file_exists",
	behaviour.CodeNoSuchUser:       "no_such_user",
	behaviour.CodeOptionRefused:    "option_refused",
}

// codeReason is the reason label of a refusal known by its code only.
func codeReason(c behaviour.Code) string {
	if int(c) < len(codeReasons) {
		return codeReasons[c]
	}
	return "code_" + strconv.Itoa(int(c))
}
