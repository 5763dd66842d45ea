package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
	"github.com/filemux/filemux/internal/tftp"
	"github.com/filemux/filemux/internal/wire"
)

// snapshot returns the transfer's statistics so far.
func (x *transfer) snapshot() Stats {
	return Stats{
		Protocol:      behaviour.TFTP,
		Access:        x.t.Access,
		Peer:          x.t.Peer,
		Local:         x.t.Local,
		RequestedName: x.t.RequestedName,
		Name:          x.t.Name,
		Mode:          x.t.Mode,
		Requested:     x.req.Options.Clone(),
		Accepted:      x.accepted(),
		Bytes:         x.bytes.Load(),
		Start:         x.start,
		Duration:      time.Since(x.start),
	}
}

// hookRequest asks OnRequest, containing a panic.
func (x *transfer) hookRequest() error {
	hook := x.s.cfg.onRequest
	if hook == nil {
		return nil
	}
	return drive.Contain("OnRequest", x.panicked, func() error { return hook(x.snapshot()) })
}

// report logs the ending and calls OnSuccess or OnFailure.
func (x *transfer) report(st tftp.Stats, outcome Outcome, cause error) {
	s := x.snapshot()
	s.Retransmits = st.Retransmits
	s.Outcome = outcome
	s.Err = cause
	if cause != nil {
		s.Code = wire.TFTPCode(cause)
	}
	if st.PeerError != nil {
		s.Code = st.PeerError.Code
	}
	x.log(s)
	hook := x.s.cfg.onFailure
	if outcome == OutcomeSuccess {
		hook = x.s.cfg.onSuccess
	}
	if hook != nil {
		_ = drive.Contain("hook", x.panicked, func() error { hook(s); return nil })
	}
}

func (x *transfer) log(s Stats) {
	level := slog.LevelWarn
	switch s.Outcome {
	case OutcomeSuccess, OutcomeRefused:
		level = slog.LevelInfo
	case OutcomeDeclined:
		level = slog.LevelDebug
	}
	if x.killed.Load() == errShed {
		// A flood sheds thousands a second: the metrics count them, a
		// line each would flood the logs.
		level = slog.LevelDebug
	}
	attrs := []any{"peer", s.Peer, "op", x.req.Op.String(), "file", s.Name, "outcome", s.Outcome.String(),
		"bytes", s.Bytes, "duration", s.Duration, "retransmits", s.Retransmits}
	if s.Err != nil {
		attrs = append(attrs, "code", int(s.Code), "err", s.Err)
	}
	x.s.cfg.log.Log(context.Background(), level, "tftp transfer", attrs...)
}
