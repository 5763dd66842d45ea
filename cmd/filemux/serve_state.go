package main

import (
	"context"
	"errors"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/cmd/filemux/internal/metrics"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/pgstate"
)

// openState connects to state.postgres, once for the life of the
// process: it starts the history writer, listens for cluster-wide
// reloads and adds the state's metrics. Without state it does nothing.
func (s *server) openState(f *config.File) error {
	if f.State == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*pgstate.DefaultConnectTimeout)
	defer cancel()
	st, err := pgstate.Open(ctx, pgstate.Config{DSN: f.State.Postgres, Instance: f.State.Instance, Logger: s.logger})
	if err != nil {
		return err
	}
	if f.State.History {
		if s.history, err = st.History(ctx, pgstate.HistoryConfig{Queue: f.State.HistoryQueue}); err != nil {
			st.Close()
			return err
		}
	}
	s.state = st
	s.stopClusterReload = st.OnReload(func(from string) {
		s.logger.Info("reload asked through the database", "from", from)
		go func() { _ = s.reload() }()
	})
	s.metrics.WatchState(s.stateCounts)
	s.logger.Info("shared state in PostgreSQL", "db", st.Target(), "instance", st.Instance(), "history", s.history != nil)
	return nil
}

func (s *server) stateCounts() metrics.StateCounts {
	var c metrics.StateCounts
	if s.history != nil {
		h := s.history.Counts()
		c.HistoryWritten, c.HistoryDropped = h.Written, h.Dropped
	}
	if s.state != nil {
		st := s.state.Counts()
		c.InventoryReloads, c.InventoryReloadFailures = st.InventoryReloads, st.InventoryReloadFailures
	}
	return c
}

// recordHistory queues the history row of an ended transfer.
func (s *server) recordHistory(st daemon.Stats) {
	if s.history != nil {
		s.history.Record(st, s.routeName(st.Name))
	}
}

// closeState writes the queued history rows and disconnects, after the
// routes retired.
func (s *server) closeState() {
	if s.state == nil {
		return
	}
	s.stopClusterReload()
	if s.history != nil {
		s.history.Close()
	}
	s.state.Close()
}

// checkStateReload refuses a reload that adds or changes state: the
// connection is made once, at start.
func (s *server) checkStateReload(f *config.File) error {
	switch {
	case f.State == nil && s.state == nil:
		return nil
	case f.State == nil || s.state == nil || f.State.Postgres != s.file.State.Postgres:
		return errors.New("state: the database connection is made at start; a change of state.postgres needs a restart")
	}
	return nil
}
