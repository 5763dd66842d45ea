package daemon

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// serving is the bookkeeping one run of Serve keeps the same way on both
// servers: the live sessions (TFTP transfers, SSH connections), whether it
// drains, and when it has ended. A server embeds it, and its mu guards the
// server's own fields too, so that a limit checked under it holds while a
// session registers.
type serving[T comparable] struct {
	mu       sync.Mutex
	live     map[T]struct{}
	draining bool
	done     chan struct{} // closed when Serve may return
}

func newServing[T comparable]() serving[T] {
	return serving[T]{live: make(map[T]struct{}), done: make(chan struct{})}
}

// ended reports that the run is over: a new Serve may start.
func (s *serving[T]) ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *serving[T]) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// drain refuses new sessions from now on; it reports whether the run was
// draining already.
func (s *serving[T]) drain() (already bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	already, s.draining = s.draining, true
	return already
}

// ending is how a server's sessions end when it shuts down.
type ending[T comparable] struct {
	// early picks the sessions to end as soon as they qualify (SSH: the
	// connections without a transfer); nil picks none.
	early func(T) bool
	// left picks those the shutdown need not wait for (TFTP: a committed
	// write with only its dally left), ended with the rest.
	left func(T) bool
	// abort ends a session: its peer told, its handler's Abort run.
	abort func(T)
	// stuck picks the sessions whose handler call does not return: the
	// shutdown returns without waiting for them.
	stuck func(T) bool
}

// shutdown lets the sessions end by themselves until ctx is done, then
// aborts every one left and waits until those left are stuck. It returns
// ctx's error when some had to be aborted. drain must have been called.
func (s *serving[T]) shutdown(ctx context.Context, e ending[T]) error {
	err := poll(ctx, func() bool {
		if e.early != nil {
			s.each(e.early, e.abort)
		}
		return s.settled(e.left)
	})
	s.each(func(T) bool { return true }, e.abort)
	_ = poll(context.Background(), func() bool { return s.settled(e.stuck) })
	return err
}

// abortAll ends every session at once, after the socket or the listener
// failed.
func (s *serving[T]) abortAll(e ending[T]) {
	s.drain()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.shutdown(ctx, e)
}

// each calls do, without the lock, for every live session pick selects.
func (s *serving[T]) each(pick func(T) bool, do func(T)) {
	s.mu.Lock()
	list := make([]T, 0, len(s.live))
	for x := range s.live {
		if pick(x) {
			list = append(list, x)
		}
	}
	s.mu.Unlock()
	for _, x := range list {
		do(x)
	}
}

// settled reports that every live session is one mayLeave picks (none
// when mayLeave is nil).
func (s *serving[T]) settled(mayLeave func(T) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for x := range s.live {
		if mayLeave == nil || !mayLeave(x) {
			return false
		}
	}
	return true
}

// snapshots returns the statistics of the transfers in set, oldest first;
// mu guards set.
func snapshots[T comparable](mu *sync.Mutex, set map[T]struct{}, snapshot func(T) Stats) []Stats {
	mu.Lock()
	list := make([]Stats, 0, len(set))
	for x := range set {
		list = append(list, snapshot(x))
	}
	mu.Unlock()
	slices.SortFunc(list, func(a, b Stats) int { return a.Start.Compare(b.Start) })
	return list
}

// retry paces a serve loop after a transient error (ENOBUFS, EMFILE, a
// stale ICMP report), which must neither end the server nor spin it: it
// sleeps from 5 ms, doubling up to a second.
type retry struct{ wait time.Duration }

func (r *retry) reset() { r.wait = 0 }

func (r *retry) after(log *slog.Logger, msg string, err error) {
	r.wait = min(max(2*r.wait, 5*time.Millisecond), time.Second)
	log.Warn(msg, "err", err, "retry_in", r.wait)
	time.Sleep(r.wait)
}
