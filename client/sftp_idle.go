package client

import (
	"fmt"
	"sync/atomic"
	"time"
)

// watchdog closes a session when no data has moved for a while, which ends
// the transfer that waits on it. A nil watchdog watches nothing.
type watchdog struct {
	d     time.Duration
	t     *time.Timer
	fired atomic.Bool
}

func (s *SFTP) watch(x *session) *watchdog {
	if s.IdleTimeout <= 0 {
		return nil
	}
	w := &watchdog{d: s.IdleTimeout}
	w.t = time.AfterFunc(w.d, func() { w.fired.Store(true); x.close() })
	return w
}

func (w *watchdog) kick() {
	if w != nil {
		w.t.Reset(w.d)
	}
}

func (w *watchdog) stop() {
	if w != nil {
		w.t.Stop()
	}
}

// timedOut replaces the error of a transfer the watchdog ended, which is
// only a closed connection, by what happened.
func (w *watchdog) timedOut(err error) error {
	if w == nil || err == nil || !w.fired.Load() {
		return err
	}
	return fmt.Errorf("%w: no data moved for %v", ErrTimeout, w.d)
}
