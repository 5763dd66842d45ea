package pgstate

import (
	"context"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// listenRetry is the wait before the listening connection is opened
// again after it was lost.
const listenRetry = time.Second

// subscriber is called with each notification of its channel, and with
// reconnected true when the listening connection came back after a loss
// (notifications sent meanwhile are lost).
type subscriber struct {
	f func(payload string, reconnected bool)
}

func (s *State) subscribe(channel string, f func(string, bool)) func() {
	sub := &subscriber{f: f}
	s.mu.Lock()
	s.subscribers[channel] = append(s.subscribers[channel], sub)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		list := s.subscribers[channel]
		for i, x := range list {
			if x == sub {
				s.subscribers[channel] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
	}
}

func (s *State) deliver(channel, payload string, reconnected bool) {
	s.mu.Lock()
	list := append([]*subscriber(nil), s.subscribers[channel]...)
	s.mu.Unlock()
	for _, sub := range list {
		sub.f(payload, reconnected)
	}
}

// listen keeps one connection LISTENing on the channels until ctx ends,
// opening it again a second after it was lost.
func (s *State) listen(ctx context.Context, cfg *pgx.ConnConfig, ready chan struct{}) {
	defer close(s.done)
	lost := false
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, cfg, lost, ready)
		if ctx.Err() != nil {
			return
		}
		if !lost {
			s.logger.Warn("state: lost the notification connection; inventories reload on their TTL until it is back", "db", s.target, "err", err)
		}
		lost = true
		select {
		case <-ctx.Done():
		case <-time.After(listenRetry):
		}
	}
}

// listenOnce listens on one connection until it fails, closing ready (the
// first time) once the LISTENs are in place.
func (s *State) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, lost bool, ready chan struct{}) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	for _, ch := range []string{InventoryChannel, ReloadChannel} {
		if _, err := conn.Exec(ctx, "listen "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	select {
	case <-ready:
	default:
		close(ready)
	}
	if lost {
		s.logger.Info("state: notification connection back", "db", s.target)
		s.deliver(InventoryChannel, "", true)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		s.deliver(n.Channel, n.Payload, false)
	}
}

func instanceName(name string) string {
	if name != "" {
		return name
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "filemux"
}
