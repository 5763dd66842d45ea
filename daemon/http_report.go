package daemon

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/filemux/filemux/internal/wire"
)

// snapshot returns the transfer's statistics so far.
func (x *httpTransfer) snapshot() Stats {
	return Stats{
		Protocol: x.t.Protocol, Access: x.t.Access, User: x.t.User,
		Peer: x.t.Peer, Local: x.t.Local, RequestedName: x.t.RequestedName, Name: x.t.Name,
		Mode: x.t.Mode, Bytes: x.bytes.Load(), Start: x.start, Duration: time.Since(x.start),
	}
}

// outcome classifies the cause of an ending.
func (x *httpTransfer) outcome(cause error) Outcome {
	switch {
	case cause == nil:
		return OutcomeSuccess
	case x.shut.Load():
		return OutcomeShutdown
	case errors.Is(cause, errHTTPNoBody):
		return OutcomeDeclined
	case errors.Is(cause, context.DeadlineExceeded):
		return OutcomeTimedOut
	}
	return OutcomeFailed
}

// hookRequest asks OnRequest, containing a panic.
func (x *httpTransfer) hookRequest() error {
	hook := x.s.cfg.onRequest
	if hook == nil {
		return nil
	}
	return x.d.Call("OnRequest", func() error { return hook(x.snapshot()) })
}

// report logs the ending and calls OnSuccess or OnFailure.
func (x *httpTransfer) report(outcome Outcome, cause error) {
	s := x.snapshot()
	s.Outcome, s.Err = outcome, cause
	if cause != nil {
		s.Code = wire.TFTPCode(cause)
	}
	x.log(s)
	hook := x.s.cfg.onFailure
	if outcome == OutcomeSuccess {
		hook = x.s.cfg.onSuccess
	}
	if hook != nil {
		_ = x.d.Call("hook", func() error { hook(s); return nil })
	}
}

func (x *httpTransfer) log(s Stats) {
	level := slog.LevelWarn
	if s.Outcome == OutcomeSuccess || s.Outcome == OutcomeRefused || s.Outcome == OutcomeDeclined {
		level = slog.LevelInfo
	}
	attrs := []any{"peer", s.Peer, "user", s.User, "op", s.Access.String(), "file", s.Name,
		"outcome", s.Outcome.String(), "bytes", s.Bytes, "duration", s.Duration}
	if s.Err != nil {
		attrs = append(attrs, "code", int(s.Code), "err", s.Err)
	}
	x.s.cfg.log.Log(context.Background(), level, "http transfer", attrs...)
}
