package main

import (
	"context"
	"log/slog"

	"github.com/filemux/filemux/daemon"
)

// hookTFTP makes d feed the metrics, the transfer log and the idle clock.
func (s *server) hookTFTP(d *daemon.TFTP) {
	s.metrics.TFTPHooks(d)
	d.OnRequest = func(daemon.Stats) error { s.touch(); return nil }
	d.OnSuccess = chainStats(chainStats(d.OnSuccess, s.logTransfer), s.recordHistory)
	d.OnFailure = chainStats(chainStats(d.OnFailure, s.logTransfer), s.recordHistory)
}

// hookSSH does for an SSH server what hookTFTP does for a TFTP daemon.
func (s *server) hookSSH(d *daemon.SSH) {
	s.metrics.SSHHooks(d)
	d.OnRequest = func(daemon.Stats) error { s.touch(); return nil }
	d.OnSuccess = chainStats(chainStats(d.OnSuccess, s.logTransfer), s.recordHistory)
	d.OnFailure = chainStats(chainStats(d.OnFailure, s.logTransfer), s.recordHistory)
}

// hookHTTP does for an HTTP server what hookTFTP does for a TFTP daemon.
func (s *server) hookHTTP(d *daemon.HTTP) {
	s.metrics.HTTPHooks(d)
	d.OnRequest = func(daemon.Stats) error { s.touch(); return nil }
	d.OnSuccess = chainStats(chainStats(d.OnSuccess, s.logTransfer), s.recordHistory)
	d.OnFailure = chainStats(chainStats(d.OnFailure, s.logTransfer), s.recordHistory)
}

func chainStats(first, then func(daemon.Stats)) func(daemon.Stats) {
	return func(st daemon.Stats) {
		first(st)
		then(st)
	}
}

// logTransfer writes the one line of an ended transfer.
func (s *server) logTransfer(st daemon.Stats) {
	level := slog.LevelWarn
	switch st.Outcome {
	case daemon.OutcomeSuccess, daemon.OutcomeRefused:
		level = slog.LevelInfo
	case daemon.OutcomeDeclined:
		level = slog.LevelDebug
	}
	opts := st.Accepted
	attrs := []slog.Attr{
		slog.String("protocol", st.Protocol.String()), slog.String("peer", st.Peer.String()),
		slog.String("user", st.User), slog.String("file", st.Name), slog.String("route", s.routeName(st.Name)),
		slog.String("access", st.Access.String()), slog.String("options", opts.String()),
		slog.Int64("bytes", st.Bytes), slog.Duration("duration", st.Duration),
		slog.String("outcome", st.Outcome.String()), slog.Int("code", int(st.Code)),
	}
	if st.Err != nil {
		attrs = append(attrs, slog.Any("err", st.Err))
	}
	s.logger.LogAttrs(context.Background(), level, "transfer", attrs...)
}

// dropTransferLines leaves out the daemons' own line per transfer.
type dropTransferLines struct{ slog.Handler }

var daemonTransferLines = map[string]bool{"tftp transfer": true, "sftp transfer": true, "scp transfer": true, "http transfer": true}

func (h dropTransferLines) Handle(ctx context.Context, r slog.Record) error {
	if daemonTransferLines[r.Message] {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h dropTransferLines) WithAttrs(attrs []slog.Attr) slog.Handler {
	return dropTransferLines{h.Handler.WithAttrs(attrs)}
}

func (h dropTransferLines) WithGroup(name string) slog.Handler {
	return dropTransferLines{h.Handler.WithGroup(name)}
}
