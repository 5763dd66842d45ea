package drive

import (
	"sync"
	"time"
)

// watchdog times the handler calls of one transfer. One timer serves every
// call, so that a call costs a Reset and a Stop, not a goroutine.
type watchdog struct {
	mu       sync.Mutex
	timer    *time.Timer
	limit    time.Duration
	deadline time.Time
	inCall   bool
	overrun  func(limit time.Duration)
}

func (w *watchdog) setLimit(d time.Duration) {
	w.mu.Lock()
	w.limit = d
	w.mu.Unlock()
}

func (w *watchdog) busy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.inCall
}

func (w *watchdog) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inCall = true
	if w.limit <= 0 || w.overrun == nil {
		return
	}
	w.deadline = time.Now().Add(w.limit)
	if w.timer == nil {
		w.timer = time.AfterFunc(w.limit, w.fire)
	} else {
		w.timer.Reset(w.limit)
	}
}

func (w *watchdog) disarm() {
	w.mu.Lock()
	w.inCall = false
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
}

// fire runs on the timer's goroutine. A timer that fired for an earlier
// call (Stop came too late) finds the deadline not yet reached and does
// nothing.
func (w *watchdog) fire() {
	w.mu.Lock()
	late := w.inCall && !time.Now().Before(w.deadline)
	limit := w.limit
	w.mu.Unlock()
	if late {
		w.overrun(limit)
	}
}
