package daemon

import (
	"context"
	"errors"
	"time"
)

// poll calls done until it reports true or ctx is done, sleeping from 1 ms
// up to 50 ms between calls. Shutdown polls, as net/http does, so that
// transfers and connections carry no shutdown bookkeeping of their own.
func poll(ctx context.Context, done func() bool) error {
	tick := time.Millisecond
	for !done() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(tick):
		}
		tick = min(2*tick, 50*time.Millisecond)
	}
	return nil
}

// closeNow is Close for both servers: Shutdown with a context that is
// already done, whose own error is no failure of Close.
func closeNow(shutdown func(context.Context) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
