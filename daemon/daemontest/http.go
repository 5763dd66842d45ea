package daemontest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
)

// HTTPOption configures the HTTP server before it starts: any field of
// daemon.HTTP, such as timeouts, hooks, a logger or ListenAddr ("[::1]:0"
// for IPv6).
type HTTPOption func(*daemon.HTTP)

// HTTPServer is an HTTP server serving on loopback for the length of a
// test.
type HTTPServer struct {
	// HTTP is the running server, for Active, Shutdown and the like.
	HTTP *daemon.HTTP

	addr netip.AddrPort
	done chan error
}

// NewHTTP starts an HTTP server serving h on 127.0.0.1 on a free port,
// with the options applied, and closes it when the test ends (t.Cleanup);
// the cleanup fails the test if the server stopped with an unexpected
// error. A server that cannot start fails the test at once.
func NewHTTP(t testing.TB, h behaviour.Handler, opts ...HTTPOption) *HTTPServer {
	t.Helper()
	d := &daemon.HTTP{Handler: h, ListenAddr: DefaultAddr}
	for _, opt := range opts {
		opt(d)
	}
	ln, err := net.Listen("tcp", d.ListenAddr)
	if err != nil {
		t.Fatalf("daemontest: %v", err)
	}
	s := &HTTPServer{HTTP: d, done: make(chan error, 1)}
	go func() { s.done <- d.Serve(ln) }()
	if s.addr, err = waitStarted(d.Addr, s.done, "the HTTP server did not start"); err != nil {
		t.Fatalf("daemontest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.close(); err != nil {
			t.Errorf("daemontest: %v", err)
		}
	})
	return s
}

// Addr returns the address and port the server listens on.
func (s *HTTPServer) Addr() netip.AddrPort { return s.addr }

// URL returns the http:// URL of the named file on the server, https://
// when the server has TLSCertFile set. name is used as it is: escape what
// must be escaped.
func (s *HTTPServer) URL(name string) string {
	scheme := "http"
	if s.HTTP.TLSCertFile != "" {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s/%s", scheme, s.addr, name)
}

// Client returns an HTTP client for the server.
func (s *HTTPServer) Client() *http.Client {
	return &http.Client{Timeout: startTimeout}
}

// Close stops the server at once, aborting running transfers. The test's
// cleanup calls it; calling it earlier is allowed.
func (s *HTTPServer) Close() { _ = s.close() }

func (s *HTTPServer) close() error {
	_ = s.HTTP.Close()
	err := <-s.done
	s.done <- err
	if err != nil && !errors.Is(err, daemon.ErrServerClosed) {
		return fmt.Errorf("HTTP server stopped: %w", err)
	}
	return nil
}
