package peers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// ServerKind names a real TFTP server implementation.
type ServerKind uint8

// The TFTP servers a test can start.
const (
	// TFTPDHPA is tftpd-hpa's in.tftpd: lock-step, blksize up to 65464, no
	// windowsize; forks a process per transfer.
	TFTPDHPA ServerKind = iota + 1
	// ATFTPD is atftpd 0.8: threads, windowsize (RFC 7440), at most 100
	// transfers unless --maxthread says otherwise.
	ATFTPD
	// Dnsmasq is dnsmasq's read-only TFTP server; it listens on port 69 only,
	// so it gets a loopback address of its own (127.0.0.X).
	Dnsmasq
	// ErlangServer is Erlang/OTP's tftp daemon with the tftp_file callback.
	ErlangServer
	// NodeServer is the npm tftp package's server (windowsize, rollover).
	NodeServer
	// PinServer is github.com/pin/tftp/v3's server, in the test's process.
	PinServer
)

// ServerKinds lists every server, for table-driven tests.
var ServerKinds = []ServerKind{TFTPDHPA, ATFTPD, Dnsmasq, ErlangServer, NodeServer, PinServer}

var serverNames = [...]string{
	TFTPDHPA:     "tftpd-hpa",
	ATFTPD:       "atftpd",
	Dnsmasq:      "dnsmasq",
	ErlangServer: "erlang",
	NodeServer:   "node-tftp",
	PinServer:    "pin-tftp",
}

// String returns the server's usual name, such as "tftpd-hpa".
func (k ServerKind) String() string {
	if int(k) < len(serverNames) && serverNames[k] != "" {
		return serverNames[k]
	}
	return fmt.Sprintf("ServerKind(%d)", k)
}

// Programs returns what Need must find before the server can start.
func (k ServerKind) Programs() []string {
	switch k {
	case TFTPDHPA:
		return []string{"in.tftpd", ProgRoot}
	case ATFTPD:
		return []string{ProgATFTPD}
	case Dnsmasq:
		return []string{"dnsmasq", ProgRoot}
	case ErlangServer:
		return []string{"erl"}
	case NodeServer:
		return []string{ProgNodeTFTP}
	}
	return nil
}

// Writable reports whether the server can accept uploads.
func (k ServerKind) Writable() bool { return k != Dnsmasq }

// ServerConfig says what a server serves and how.
type ServerConfig struct {
	// Root is the served directory (see ServedDir). Required.
	Root string
	// Writable lets clients create files by uploading (tftpd-hpa -c, Erlang
	// without {reject, write}, node without denyPUT). atftpd and pin/tftp
	// always accept uploads; dnsmasq never does, and refuses to start with
	// Writable set.
	Writable bool
	// WindowSize caps the node server's windowsize (0: its default, 4).
	WindowSize int
	// Args are extra command-line arguments for tftpd-hpa, atftpd and
	// dnsmasq, placed before the root directory (e.g. "-B", "1468").
	Args []string
}

// startAttempts bounds the retries when another process takes the port a
// server was given before it binds it.
const startAttempts = 5

// startTimeout bounds the wait for a server to answer its first request.
const startTimeout = 15 * time.Second

// Server is a running TFTP server.
type Server struct {
	// Kind says which server it is.
	Kind ServerKind
	// Addr is where it receives requests.
	Addr netip.AddrPort
	// Root is the directory it serves.
	Root string

	proc          *process // nil for in-process servers
	stopInProcess func() error
}

// URL returns the tftp:// URL of the named file, as curl takes it.
func (s *Server) URL(name string) string { return "tftp://" + s.Addr.String() + "/" + name }

// PID returns the server's process id (also its process group id), or 0 for
// an in-process server.
func (s *Server) PID() int {
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Output returns the end of what the server wrote to stdout and stderr.
func (s *Server) Output() string {
	if s.proc == nil {
		return ""
	}
	return s.proc.out.String()
}

// Exited reports whether the server process has ended by itself.
func (s *Server) Exited() bool { return s.proc != nil && s.proc.exited() }

// Close stops the server (its whole process group) and waits for it.
func (s *Server) Close() error {
	if s.proc == nil {
		return s.stopInProcess()
	}
	return s.proc.stop()
}

// Serve starts a server of kind k for the length of the test, skipping the
// test (or failing it under CI=true) when the program is missing. The
// server's output is logged when the test fails.
func Serve(t testing.TB, k ServerKind, cfg ServerConfig) *Server {
	t.Helper()
	Need(t, k.Programs()...)
	s, err := StartServer(context.Background(), k, cfg)
	if err != nil {
		t.Fatalf("peers: starting %v: %v", k, err)
	}
	t.Cleanup(func() {
		if t.Failed() && s.Output() != "" {
			t.Logf("%v (pid %d) output:\n%s", k, s.PID(), s.Output())
		}
		if err := s.Close(); err != nil {
			t.Errorf("peers: stopping %v: %v", k, err)
		}
	})
	return s
}

// StartServer starts a server of kind k and waits until it answers TFTP
// requests. The caller must Close it.
func StartServer(ctx context.Context, k ServerKind, cfg ServerConfig) (*Server, error) {
	if cfg.Root == "" {
		return nil, errors.New("ServerConfig.Root is empty")
	}
	if cfg.Writable && !k.Writable() {
		return nil, fmt.Errorf("%v serves files read-only", k)
	}
	for _, prog := range k.Programs() {
		if _, err := Lookup(prog); err != nil {
			return nil, err
		}
	}
	if k == PinServer {
		return startPin(cfg)
	}
	var errs []error
	for range startAttempts {
		s, err := startProcessServer(ctx, k, cfg)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
		if !errors.Is(err, errBind) {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// errBind marks a server that exited at start, most likely because its port
// was taken: the caller retries on another.
var errBind = errors.New("the server exited at start")

func startProcessServer(ctx context.Context, k ServerKind, cfg ServerConfig) (*Server, error) {
	l, err := launcherFor(k, cfg)
	if err != nil {
		return nil, err
	}
	p, err := startProcess(l.env, l.path, l.args...)
	if err != nil {
		return nil, err
	}
	s := &Server{Kind: k, Addr: l.addr, Root: cfg.Root, proc: p}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := s.waitReady(ctx, l.portFromOutput); err != nil {
		_ = p.stop()
		if p.exited() && ctx.Err() == nil {
			err = fmt.Errorf("%w: %v: %s", errBind, err, strings.TrimSpace(p.out.String()))
		} else {
			err = fmt.Errorf("%v: %s", err, strings.TrimSpace(p.out.String()))
		}
		return nil, err
	}
	return s, nil
}

// waitReady waits for the port the server prints (when it picks its own)
// and then for its answer to a probe request.
func (s *Server) waitReady(ctx context.Context, portFromOutput bool) error {
	if portFromOutput {
		port, err := waitPrintedPort(ctx, s.proc)
		if err != nil {
			return err
		}
		s.Addr = netip.AddrPortFrom(s.Addr.Addr(), port)
	}
	return waitServing(ctx, s.Addr, s.proc.exited)
}
