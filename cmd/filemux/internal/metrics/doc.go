// Package metrics exposes what filemux's daemons do as Prometheus metrics
// (github.com/prometheus/client_golang), fed from the daemons' hooks, and
// serves them on an admin address with /healthz and a reload endpoint.
//
// The protocol label is tftp, sftp, scp or http (HTTPS included). The
// metrics, all prefixed filemux_:
//
//   - transfers_total{protocol, access, route, outcome}: ended transfers;
//     outcome is success, refused, declined, failed, timed_out or shutdown.
//   - transfer_bytes_total{protocol, access, route}: file bytes moved.
//   - transfer_duration_seconds{protocol, access, route}: a histogram of
//     transfer durations.
//   - active_transfers{protocol, access}: transfers running now, read
//     from the daemons at each scrape (unconfirmed TFTP ones included).
//   - tftp_unconfirmed: TFTP transfers whose client has not answered yet;
//     tftp_unconfirmed_shed_total: those ended to make room for newer
//     requests; tftp_unproven_bounded_total: reads whose options the
//     unproven-client bound cut. A flood of forged requests shows in the
//     first two.
//   - retransmissions_total{protocol, route}: packets sent again.
//   - refused_requests_total{protocol, reason}: requests refused, by the
//     daemon before any handler saw them (limits, bad names, the rate
//     limit, missing or wrong HTTP credentials) or by a hook or handler;
//     reason is a short slug such as not_found, access_violation,
//     too_many_transfers, rate_limit or authentication_required.
//   - config_reloads_total{result} and config_last_reload_successful.
//
// plus the Go runtime's and the process's standard collectors. Route
// labels come from a function the caller gives (the name of the route a
// file name matches now), so their number is bounded by the configuration.
package metrics
