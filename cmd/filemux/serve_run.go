package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/daemon"
)

// runConfigured is serve --config: it serves the file until ctx ends.
func runConfigured(ctx context.Context, opts serveOptions, inherited *sockets) status {
	s, err := loadServer(opts.config, opts, inherited, os.Stderr)
	if err != nil {
		inherited.close()
		fmt.Fprintf(os.Stderr, "filemux serve: %v\n", err)
		return statusFailure
	}
	s.printBanner(os.Stdout)
	if err := s.run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "filemux serve: %v\n", err)
		return statusFailure
	}
	return statusOK
}

// printBanner says what the server listens on.
func (s *server) printBanner(w io.Writer) {
	for _, pc := range s.tftpConn {
		fmt.Fprintf(w, "filemux: serving TFTP on %s\n", pc.LocalAddr())
	}
	for _, ln := range s.sshLn {
		fmt.Fprintf(w, "filemux: serving SFTP and SCP on %s\n", ln.Addr())
	}
	printHTTP(w, s.http, s.httpLn)
	s.printAdmin(w)
	if set := s.set.Load(); set != nil {
		fmt.Fprintf(w, "  %d routes from %s; SIGHUP reloads them\n", len(set.Routes()), s.path)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// printAdmin says where the metrics are, if anywhere.
func (s *server) printAdmin(w io.Writer) {
	if s.adminLn != nil {
		fmt.Fprintf(w, "filemux: metrics on http://%s/metrics\n", s.adminLn.Addr())
	}
}

// run serves until ctx ends (SIGINT, SIGTERM), the idle period passes or
// a daemon fails, reloading the routes on SIGHUP, then stops gracefully.
func (s *server) run(ctx context.Context) error {
	errs := s.serve()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var idle <-chan time.Time
	if s.opts.idleExit > 0 {
		t := time.NewTicker(min(s.opts.idleExit/4, time.Second))
		defer t.Stop()
		idle = t.C
	}
	for {
		select {
		case <-ctx.Done():
			s.logger.Info("shutting down", "grace", s.grace)
			return s.shutdown(nil)
		case <-hup:
			_ = s.reload()
		case err := <-errs:
			s.logger.Error("a listener failed", "err", err)
			return s.shutdown(err)
		case <-idle:
			if s.idle() {
				s.logger.Info("idle: no request", "for", s.opts.idleExit)
				return s.shutdown(nil)
			}
		}
	}
}

// serve starts every daemon and the admin server; a value on the channel
// means one stopped by itself.
func (s *server) serve() <-chan error {
	errs := make(chan error, len(s.tftp)+len(s.ssh)+len(s.http)+1)
	for i, d := range s.tftp {
		go func() { errs <- d.Serve(s.tftpConn[i]) }()
	}
	for i, d := range s.ssh {
		go func() { errs <- d.Serve(s.sshLn[i]) }()
	}
	for i, d := range s.http {
		go func() { errs <- d.Serve(s.httpLn[i]) }()
	}
	if s.admin != nil {
		go func() { errs <- s.admin.Serve(s.adminLn) }()
	}
	return errs
}

// idle reports whether nothing was asked for during the idle period and
// no transfer runs.
func (s *server) idle() bool {
	if time.Since(time.Unix(0, s.lastRequest.Load())) < s.opts.idleExit {
		return false
	}
	for _, d := range s.tftp {
		if len(d.Active()) > 0 {
			return false
		}
	}
	for _, d := range s.ssh {
		if len(d.Active()) > 0 {
			return false
		}
	}
	for _, d := range s.http {
		if len(d.Active()) > 0 {
			return false
		}
	}
	return true
}

// shutdown stops the daemons, letting their transfers finish within the
// grace period, waits (within it too) for the completion actions, then
// releases the routes and the admin address. It returns cause, unless
// cause only says that a daemon stopped.
func (s *server) shutdown(cause error) error {
	s.stopping.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	var wg sync.WaitGroup
	for _, d := range s.tftp {
		wg.Go(func() { _ = d.Shutdown(ctx) })
	}
	for _, d := range s.ssh {
		wg.Go(func() { _ = d.Shutdown(ctx) })
	}
	for _, d := range s.http {
		wg.Go(func() { _ = d.Shutdown(ctx) })
	}
	wg.Wait()
	s.waitActions(ctx)
	if set := s.set.Load(); set != nil {
		set.Retire()
	}
	s.closeState()
	if s.admin != nil {
		_ = s.admin.Close()
	}
	if errors.Is(cause, daemon.ErrServerClosed) || errors.Is(cause, http.ErrServerClosed) {
		return nil
	}
	return cause
}

func (s *server) waitActions(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.actions.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		select {
		case <-done: // both were ready
		default:
			s.logger.Warn("completion actions still running at exit")
		}
	}
}

// reload re-reads the configuration file and swaps the routes at once:
// running transfers keep the handlers they started with, and the old
// routes release what they opened once those end. The SSH servers read
// their authorized_keys and password files again, closing the connections
// of removed keys and users, and the HTTP servers their certificate,
// password and token files (reloadAuth). A file that does not load or
// build, or credentials that do not, refuse the reload, and the running
// routes keep serving. Changes to listeners and tunables need a restart;
// reload says so. Serving from flags, there is no file: reload reads the
// credentials only.
func (s *server) reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	switch {
	case s.path == "" && len(s.ssh)+len(s.http) == 0:
		s.logger.Warn("reload: serving from flags, there is no configuration file to read")
		return errors.New("serving from flags: nothing to reload")
	case s.stopping.Load():
		return errStopping
	}
	var err error
	if s.path == "" {
		if err = s.reloadAuth(); err == nil {
			s.logger.Info("credentials reloaded", "ssh_servers", len(s.ssh), "http_servers", len(s.http))
		}
	} else {
		err = s.swap()
	}
	s.metrics.Reloaded(err)
	if err != nil {
		s.logger.Error("reload refused: the running configuration keeps serving", "file", s.path, "err", err)
		return err
	}
	return nil
}

func (s *server) swap() error {
	f, err := config.Load(s.path)
	if err != nil {
		return err
	}
	if err := s.checkStateReload(f); err != nil {
		return err
	}
	set, err := f.Build(config.BuildOptions{Actions: s.actions, State: s.state})
	if err != nil {
		return err
	}
	if err := s.reloadAuth(); err != nil {
		set.Retire()
		return err
	}
	s.reg.MatchTimeout = time.Duration(f.MatchTimeout)
	if err := s.reg.SetRoutes(set.Routes()); err != nil {
		set.Retire()
		return err
	}
	if old := s.set.Swap(set); old != nil {
		old.Retire()
	}
	s.logger.Info("configuration reloaded", "file", s.path, "routes", len(set.Routes()))
	if !s.file.SameServers(f) {
		s.logger.Warn("reload: listeners, tunables, metrics, state and logs keep their settings until a restart", "file", s.path)
	}
	s.file = f
	return nil
}
