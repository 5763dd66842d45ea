package daemon

import "time"

// armIdle starts the idle timer when IdleTimeout is set.
func (s *server) armIdle() {
	if s.cfg.idle <= 0 {
		return
	}
	s.mu.Lock()
	s.idleTimer = time.AfterFunc(s.cfg.idle, s.idleCheck)
	s.mu.Unlock()
}

// touch records activity: a request arrived or the last transfer ended.
// The caller holds s.mu.
func (s *server) touch() {
	s.lastActive = time.Now()
	if s.idleTimer != nil && len(s.live) == 0 && s.stopErr == nil {
		s.idleTimer.Reset(s.cfg.idle)
	}
}

// idleCheck stops the daemon when IdleTimeout has passed since the last
// activity and no transfer runs. A running transfer re-arms the timer when it
// ends, through touch.
func (s *server) idleCheck() {
	s.mu.Lock()
	if len(s.live) > 0 || s.draining {
		s.mu.Unlock()
		return
	}
	if wait := time.Until(s.lastActive.Add(s.cfg.idle)); wait > 0 {
		s.idleTimer.Reset(wait)
		s.mu.Unlock()
		return
	}
	s.draining = true
	s.mu.Unlock()
	s.cfg.log.Info("tftp idle timeout", "idle", s.cfg.idle)
	s.stop(ErrIdle)
}
