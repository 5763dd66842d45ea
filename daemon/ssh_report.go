package daemon

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/filemux/filemux/internal/wire"
)

// snapshot returns the transfer's statistics so far.
func (x *sshTransfer) snapshot() Stats {
	return Stats{
		Protocol:      x.t.Protocol,
		Access:        x.t.Access,
		User:          x.t.User,
		Peer:          x.t.Peer,
		Local:         x.t.Local,
		RequestedName: x.t.RequestedName,
		Name:          x.t.Name,
		Mode:          x.t.Mode,
		Bytes:         x.bytes.Load(),
		Start:         x.start,
		Duration:      time.Since(x.start),
	}
}

// sshOutcome classifies the cause of an ending.
func sshOutcome(cause error) Outcome {
	switch {
	case cause == nil:
		return OutcomeSuccess
	case errors.Is(cause, ErrServerClosed):
		return OutcomeShutdown
	case errors.Is(cause, errSSHTimedOut), errors.Is(cause, context.DeadlineExceeded):
		return OutcomeTimedOut
	}
	return OutcomeFailed
}

// hookRequest asks OnRequest, containing a panic.
func (x *sshTransfer) hookRequest() error {
	hook := x.c.srv.cfg.onRequest
	if hook == nil {
		return nil
	}
	return x.call("OnRequest", func() error { return hook(x.snapshot()) })
}

// report logs the ending and calls OnSuccess or OnFailure.
func (x *sshTransfer) report(outcome Outcome, cause error) {
	s := x.snapshot()
	s.Outcome = outcome
	s.Err = cause
	if cause != nil {
		s.Code = wire.TFTPCode(cause)
	}
	x.log(s)
	cfg := x.c.srv.cfg
	hook := cfg.onFailure
	if outcome == OutcomeSuccess {
		hook = cfg.onSuccess
	}
	if hook != nil {
		_ = x.call("hook", func() error { hook(s); return nil })
	}
}

func (x *sshTransfer) log(s Stats) {
	level := slog.LevelWarn
	if s.Outcome == OutcomeSuccess || s.Outcome == OutcomeRefused {
		level = slog.LevelInfo
	}
	attrs := []any{"peer", s.Peer, "user", s.User, "op", s.Access.String(), "file", s.Name,
		"outcome", s.Outcome.String(), "bytes", s.Bytes, "duration", s.Duration}
	if s.Err != nil {
		attrs = append(attrs, "code", int(s.Code), "err", s.Err)
	}
	x.c.srv.cfg.log.Log(context.Background(), level, s.Protocol.String()+" transfer", attrs...)
}
