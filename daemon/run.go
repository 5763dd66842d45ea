package daemon

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// DefaultGrace is how long Run lets running transfers finish once it shuts
// down, when it is given no grace period.
const DefaultGrace = 5 * time.Second

// Service is one server that Run runs: Serve serves until Shutdown stops
// it. TFTPService, SSHService and HTTPService bind a daemon to its listener; any other
// server with the two methods (an *http.Server for metrics, say) fits in a
// Service literal.
type Service struct {
	// Serve serves until the server stops, by Shutdown or by itself, and
	// returns why.
	Serve func() error
	// Shutdown stops the server, letting its work finish until ctx is
	// done; it may be called before Serve has started or after it
	// returned.
	Shutdown func(ctx context.Context) error
}

// TFTPService returns the Service that serves d on pc.
func TFTPService(d *TFTP, pc net.PacketConn) Service {
	return Service{Serve: func() error { return d.Serve(pc) }, Shutdown: d.Shutdown}
}

// SSHService returns the Service that serves d on ln.
func SSHService(d *SSH, ln net.Listener) Service {
	return Service{Serve: func() error { return d.Serve(ln) }, Shutdown: d.Shutdown}
}

// HTTPService returns the Service that serves d on ln.
func HTTPService(d *HTTP, ln net.Listener) Service {
	return Service{Serve: func() error { return d.Serve(ln) }, Shutdown: d.Shutdown}
}

// Run serves every service at once until ctx is done or one of them stops
// by itself (its listener failed, or a TFTP daemon's IdleTimeout passed),
// then shuts them all down together: running transfers may finish within
// grace (DefaultGrace when grace is zero or less), and those still running
// then are aborted. This is the main loop of a program that serves TFTP and
// SFTP side by side and stops on a signal (see signal.NotifyContext).
//
// Run returns once every Serve has returned: nil when ctx ended the run,
// otherwise the error of the service that stopped first (ErrIdle after the
// idle timeout). What the services return once the shutdown has begun, and
// the Shutdowns' own errors (transfers aborted at the end of grace), are not
// reported.
func Run(ctx context.Context, grace time.Duration, services ...Service) error {
	if grace <= 0 {
		grace = DefaultGrace
	}
	done := make(chan error, len(services))
	for _, s := range services {
		go func() { done <- s.Serve() }()
	}
	running := len(services)
	var first error
	if running > 0 {
		select {
		case first = <-done:
			running--
		case <-ctx.Done():
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range services {
		wg.Go(func() { _ = s.Shutdown(sctx) })
	}
	wg.Wait()
	for ; running > 0; running-- {
		<-done
	}
	if errors.Is(first, ErrServerClosed) {
		return nil
	}
	return first
}
