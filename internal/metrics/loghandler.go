package metrics

import (
	"context"
	"log/slog"
	"strings"

	"github.com/filemux/filemux/behaviour"
)

// The TFTP daemon's log messages for requests it refuses before any hook
// or handler sees them: it reports those in its logs only.
const (
	msgRefused   = "tftp request refused"
	msgRateLimit = "tftp request over the rate limit"
)

// LogHandler returns a slog.Handler for the TFTP daemons' Logger: it
// passes every record that next is enabled for on to next, and counts in
// refused_requests_total the requests the daemon refused before admission
// (malformed requests, refused names, limits, shutdown, the rate limit),
// which only its logs report. The reason is the refusal's peer message as
// a slug (too_many_transfers, illegal_file_name, ...), a fixed set of the
// daemon's and the wire codec's own texts, or rate_limit.
func (m *Metrics) LogHandler(next slog.Handler) slog.Handler { return &logTap{m: m, next: next} }

type logTap struct {
	m    *Metrics
	next slog.Handler
}

// Enabled is always true: the rate-limit record is at debug level, which
// next may not want but the count needs.
func (l *logTap) Enabled(context.Context, slog.Level) bool { return true }

func (l *logTap) Handle(ctx context.Context, r slog.Record) error {
	switch r.Message {
	case msgRefused:
		l.m.Refused(behaviour.TFTP, refusalReason(r))
	case msgRateLimit:
		l.m.Refused(behaviour.TFTP, "rate_limit")
	}
	if !l.next.Enabled(ctx, r.Level) {
		return nil
	}
	return l.next.Handle(ctx, r)
}

func (l *logTap) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logTap{m: l.m, next: l.next.WithAttrs(attrs)}
}

func (l *logTap) WithGroup(name string) slog.Handler {
	return &logTap{m: l.m, next: l.next.WithGroup(name)}
}

// refusalReason finds the record's error and names its peer message.
func refusalReason(r slog.Record) string {
	reason := "error"
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			reason = slug(behaviour.PeerMessage(err))
			return false
		}
		return true
	})
	return reason
}

// slug turns a message into a label value: lower case, words joined by
// underscores, at most 48 bytes.
func slug(msg string) string {
	var b strings.Builder
	under := false
	for _, c := range strings.ToLower(msg) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(c)
		default:
			under = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	if b.Len() == 0 {
		return "error"
	}
	return b.String()
}
