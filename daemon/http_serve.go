package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
)

// httpServer is one run of Serve: the net/http server and the running
// transfers, which are serving's live sessions.
type httpServer struct {
	cfg  *httpSettings
	ln   net.Listener
	addr netip.AddrPort
	srv  *http.Server
	ctx  context.Context // parent of every transfer's context
	stop context.CancelFunc
	// defender bans addresses after failed logins, as SSH's does.
	defender *sshDefender
	// shed counts the idle connections closed for newcomers over the
	// connection limits.
	shed atomic.Uint64

	serving[*httpTransfer]
}

// errHTTPServing is Serve's error while a run serves already.
var errHTTPServing = errors.New("daemon: HTTP is already serving")

// errHTTPShutdown is the reason of a request refused while shutting down.
var errHTTPShutdown = errors.New("shutting down")

// Serve serves HTTP requests arriving on ln, which it closes when it
// returns. It validates the configuration first and returns its errors.
//
// Serve returns ErrServerClosed after Shutdown or Close, once the running
// transfers have ended, and otherwise the error that ended accepting
// connections (after aborting every transfer).
func (d *HTTP) Serve(ln net.Listener) error {
	return serve(&d.run, ln, errHTTPServing, d, newHTTPServer)
}

func newHTTPServer(cfg *httpSettings, ln net.Listener) *httpServer {
	s := &httpServer{cfg: cfg, ln: ln, addr: sshAddrOf(ln.Addr()), serving: newServing[*httpTransfer]()}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.defender = newSSHDefender(cfg.ban.banThreshold, cfg.ban.banWindow, cfg.ban.banFor)
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: cfg.readHeader,
		IdleTimeout:       cfg.idle,
		ErrorLog:          slog.NewLogLogger(cfg.log.Handler(), slog.LevelWarn),
		ConnContext:       withConn,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	if cfg.cert != nil {
		s.srv.TLSConfig = cfg.cert.config()
	}
	return s
}

// connKey is the context key of a request's connection, which a shutdown
// closes to abort its transfer.
type connKey struct{}

func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// Addr returns the address the server listens on (with the port the
// system picked for port 0), or the zero AddrPort before Serve has started.
func (d *HTTP) Addr() netip.AddrPort { return d.run.addr() }

// Active returns a snapshot of the running transfers, oldest first.
func (d *HTTP) Active() []Stats { return d.run.active() }

// Shutdown stops the server gracefully: it stops accepting connections,
// answers new requests 503, lets running transfers finish until ctx is
// done and then aborts those left (their connections are closed, their
// handlers' Abort runs). It returns when every transfer has ended, except
// one whose handler call does not return; nil when every transfer finished
// by itself, ctx's error when some had to be aborted.
func (d *HTTP) Shutdown(ctx context.Context) error { return d.run.shutdown(ctx) }

// Close stops the server at once: it is Shutdown with a context that is
// already done, and returns nil.
func (d *HTTP) Close() error { return d.run.close() }

func (s *httpServer) local() netip.AddrPort { return s.addr }

func (s *httpServer) active() []Stats { return snapshots(&s.mu, s.live, (*httpTransfer).snapshot) }

// serve runs net/http's accept loop.
func (s *httpServer) serve() error {
	var err error
	if s.srv.TLSConfig != nil {
		err = s.srv.ServeTLS(newHTTPLimiter(s.ln, s), "", "")
	} else {
		err = s.srv.Serve(newHTTPLimiter(s.ln, s))
	}
	if s.isDraining() {
		<-s.done
		return ErrServerClosed
	}
	s.abortAll(s.ending())
	s.srv.Close()
	s.stop()
	close(s.done)
	return err
}

func (s *httpServer) shutdown(ctx context.Context) error {
	if s.drain() {
		<-s.done
		return nil
	}
	s.srv.SetKeepAlivesEnabled(false)
	s.ln.Close()
	err := s.serving.shutdown(ctx, s.ending())
	s.srv.Close() // the idle connections and those still sending a header
	s.stop()
	close(s.done)
	return err
}

// ending is how transfers end at a shutdown: when they have finished, or
// at the deadline, by closing their connection.
func (s *httpServer) ending() ending[*httpTransfer] {
	return ending[*httpTransfer]{abort: (*httpTransfer).cut, stuck: (*httpTransfer).stuck}
}

// track registers a new transfer, unless the server drains.
func (s *httpServer) track(x *httpTransfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return errHTTPShutdown
	}
	s.live[x] = struct{}{}
	return nil
}

func (s *httpServer) untrack(x *httpTransfer) {
	s.mu.Lock()
	delete(s.live, x)
	s.mu.Unlock()
}

func (s *httpServer) refused(peer netip.AddrPort, err error) {
	callRefuse(s.cfg.log, s.cfg.onRefuse, peer, err)
}
