package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/cmd/filemux/internal/metrics"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/pgstate"
	"github.com/filemux/filemux/registry"
)

// server is a running filemux serve: TFTP, SSH and HTTP daemons over one
// registry, the admin address, the logs, and what reloads and stops them.
type server struct {
	opts    serveOptions
	path    string       // the configuration file; "" when serving from flags
	file    *config.File // its last version that loaded; guarded by reloadMu
	logs    slog.Handler
	logger  *slog.Logger
	reg     *registry.Registry
	set     atomic.Pointer[config.RouteSet]
	metrics *metrics.Metrics
	actions *handlers.Actions
	grace   time.Duration

	// The shared state in PostgreSQL, when the file configures it;
	// opened once, at start.
	state             *pgstate.State
	history           *pgstate.History
	stopClusterReload func()

	tftp     []*daemon.TFTP
	tftpConn []net.PacketConn
	ssh      []*daemon.SSH
	sshLn    []net.Listener
	http     []*daemon.HTTP
	httpLn   []net.Listener
	admin    *http.Server
	adminLn  net.Listener

	reloadMu    sync.Mutex
	stopping    atomic.Bool
	lastRequest atomic.Int64 // unix nanoseconds
}

// newServer sets up what every server has: logs, metrics, actions.
func newServer(opts serveOptions, logCfg config.Log, stderr io.Writer, reg *registry.Registry) *server {
	if opts.logFormat != "" {
		_ = logCfg.Format.UnmarshalText([]byte(opts.logFormat)) // checked by serveOptions.check
	}
	s := &server{opts: opts, logs: logCfg.NewHandler(stderr), reg: reg}
	s.logger = slog.New(s.logs)
	s.metrics = metrics.New(metrics.Options{Route: s.routeName})
	s.actions = &handlers.Actions{Logger: s.logger}
	s.lastRequest.Store(time.Now().UnixNano())
	return s
}

// loadServer builds a server from the configuration file at path and
// opens its listeners, or takes the inherited sockets in their place.
func loadServer(path string, opts serveOptions, inherited *sockets, stderr io.Writer) (*server, error) {
	f, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	reg := &registry.Registry{MatchTimeout: time.Duration(f.MatchTimeout)}
	s := newServer(opts, f.Log, stderr, reg)
	s.path, s.file = path, f
	s.grace = cmpOr(opts.shutdown, time.Duration(f.ShutdownTimeout))
	if err := s.openState(f); err != nil {
		return nil, err
	}
	set, err := f.Build(config.BuildOptions{Actions: s.actions, State: s.state})
	if err != nil {
		s.closeState()
		return nil, err
	}
	if err := reg.SetRoutes(set.Routes()); err != nil {
		set.Retire()
		s.closeState()
		return nil, err
	}
	s.set.Store(set)
	s.metrics.WatchS3(func() map[string]handlers.S3Stats { return s.set.Load().S3Stats() })
	abortCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	set.AbortStale(abortCtx, s.logger)
	err = set.CheckConditional(abortCtx)
	cancel()
	if err != nil {
		set.Retire()
		s.closeState()
		return nil, err
	}
	adminAddr := opts.metrics
	if adminAddr == "" && f.Metrics != nil {
		adminAddr = f.Metrics.Listen
	}
	g, err := withInherited(f, inherited)
	if err == nil {
		err = s.listen(g.TFTPDaemons(reg, s.daemonLogger()), g.SSHDaemons(reg, s.daemonLogger()),
			g.HTTPDaemons(reg, s.daemonLogger()), inherited, adminAddr)
	}
	if err != nil {
		set.Retire()
		s.closeState()
		return nil, err
	}
	return s, nil
}

// flagServer builds a server for routes made from flags, serving on
// sockets already open.
func flagServer(l *listeners, reg *registry.Registry, f serveFlags, stderr io.Writer) (*server, error) {
	opts := f.opts
	s := newServer(opts, config.Log{}, stderr, reg)
	s.grace = cmpOr(opts.shutdown, shutdownGrace)
	for _, pc := range l.tftp {
		d := &daemon.TFTP{Handler: reg, Logger: s.daemonLogger(), Ports: f.ports, TrustedNetworks: f.trusted}
		s.hookTFTP(d)
		s.tftp, s.tftpConn = append(s.tftp, d), append(s.tftpConn, pc)
	}
	for _, ln := range l.ssh {
		d := l.plan.daemon(ln)
		d.Handler, d.Logger = reg, s.daemonLogger()
		s.hookSSH(d)
		s.ssh, s.sshLn = append(s.ssh, d), append(s.sshLn, ln)
	}
	for _, ln := range l.http {
		d := f.http.daemon(ln)
		d.Handler, d.Logger = reg, s.daemonLogger()
		s.hookHTTP(d)
		s.http, s.httpLn = append(s.http, d), append(s.httpLn, ln)
	}
	if err := s.listenAdmin(opts.metrics); err != nil {
		return nil, err
	}
	return s, nil
}

func cmpOr(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// daemonLogger is the daemons' logger: their own line per transfer is left
// out, since the server writes a fuller one (with the route) from the hooks.
func (s *server) daemonLogger() *slog.Logger {
	return slog.New(dropTransferLines{s.logs})
}

// listen opens the sockets of the daemons and of the admin address,
// closing all of them when one fails. The i-th inherited socket of a
// kind serves the i-th daemon of that kind, which then binds nothing.
func (s *server) listen(tftp []*daemon.TFTP, ssh []*daemon.SSH, http []*daemon.HTTP, inherited *sockets, admin string) error {
	for i, d := range tftp {
		pc, err := listenPacket(d.ListenAddr, i, inherited.udp)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("tftp: %w", err)
		}
		s.hookTFTP(d)
		s.tftp, s.tftpConn = append(s.tftp, d), append(s.tftpConn, pc)
	}
	for i, d := range ssh {
		ln, err := listenStream(d.ListenAddr, i, inherited.tcp)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("sftp: %w", err)
		}
		s.hookSSH(d)
		s.ssh, s.sshLn = append(s.ssh, d), append(s.sshLn, ln)
	}
	for i, d := range http {
		ln, err := listenStream(d.ListenAddr, i, inherited.http)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("http: %w", err)
		}
		configureHTTP(d, s.reg)
		s.hookHTTP(d)
		s.http, s.httpLn = append(s.http, d), append(s.httpLn, ln)
	}
	if err := s.listenAdmin(admin); err != nil {
		s.closeListeners()
		return err
	}
	return nil
}

func (s *server) listenAdmin(addr string) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	endpoints := metrics.Endpoints{Health: s.health, Reload: s.reload}
	s.admin = &http.Server{Handler: s.metrics.Handler(endpoints), ReadHeaderTimeout: 10 * time.Second}
	s.adminLn = ln
	return nil
}

func (s *server) closeListeners() {
	for _, pc := range s.tftpConn {
		pc.Close()
	}
	for _, ln := range s.sshLn {
		ln.Close()
	}
	for _, ln := range s.httpLn {
		ln.Close()
	}
	if s.adminLn != nil {
		s.adminLn.Close()
	}
}

var errStopping = errors.New("shutting down")

func (s *server) health() error {
	if s.stopping.Load() {
		return errStopping
	}
	return nil
}

// routeName names the route a file name goes to now, for logs and
// metrics.
func (s *server) routeName(name string) string {
	m, err := s.reg.Match(name)
	if err != nil {
		return ""
	}
	if set := s.set.Load(); set != nil {
		if n := set.Name(m.Pattern); n != "" {
			return n
		}
	}
	return m.Pattern
}

func (s *server) touch() { s.lastRequest.Store(time.Now().UnixNano()) }
