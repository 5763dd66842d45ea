// Package daemontest starts filemux daemons on loopback for tests, in one
// call, the way net/http/httptest starts HTTP servers.
package daemontest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
)

// DefaultAddr is the address a test daemon listens on unless an Option sets
// the daemon's ListenAddr: loopback, on a port the system picks.
const DefaultAddr = "127.0.0.1:0"

// startTimeout bounds the wait for a daemon to start serving.
const startTimeout = 10 * time.Second

// Option configures the daemon before it starts: any field of daemon.TFTP,
// such as limits, hooks, a logger, a port policy, or ListenAddr ("[::1]:0"
// for IPv6).
type Option func(*daemon.TFTP)

// TFTPServer is a TFTP daemon serving on loopback for the length of a test.
type TFTPServer struct {
	// TFTP is the running daemon, for Active, Shutdown and the like.
	TFTP *daemon.TFTP

	addr netip.AddrPort
	done chan error
}

// NewTFTP starts a TFTP daemon serving h on 127.0.0.1 on a free port, with
// the options applied, and closes it when the test ends (t.Cleanup); the
// cleanup fails the test if the daemon stopped with an unexpected error. A
// daemon that cannot start fails the test at once.
func NewTFTP(t testing.TB, h behaviour.Handler, opts ...Option) *TFTPServer {
	t.Helper()
	d := &daemon.TFTP{Handler: h, ListenAddr: DefaultAddr}
	for _, opt := range opts {
		opt(d)
	}
	pc, err := net.ListenPacket("udp", d.ListenAddr)
	if err != nil {
		t.Fatalf("daemontest: %v", err)
	}
	s := &TFTPServer{TFTP: d, done: make(chan error, 1)}
	go func() { s.done <- d.Serve(pc) }()
	if err := s.waitStarted(); err != nil {
		t.Fatalf("daemontest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.close(); err != nil {
			t.Errorf("daemontest: %v", err)
		}
	})
	return s
}

// waitStarted waits until Serve has taken the socket, or returned an
// error such as an invalid configuration.
func (s *TFTPServer) waitStarted() (err error) {
	s.addr, err = waitStarted(s.TFTP.Addr, s.done, "the daemon did not start")
	return err
}

// waitStarted polls addr until it is valid, the address Serve took, or
// until Serve returns an error on done (which it puts back), or gives up
// after startTimeout with the error late.
func waitStarted(addr func() netip.AddrPort, done chan error, late string) (netip.AddrPort, error) {
	deadline := time.Now().Add(startTimeout)
	for !addr().IsValid() {
		select {
		case err := <-done:
			done <- err
			return netip.AddrPort{}, err
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			return netip.AddrPort{}, errors.New(late)
		}
	}
	return addr(), nil
}

// Addr returns the address and port the daemon listens on.
func (s *TFTPServer) Addr() netip.AddrPort { return s.addr }

// URL returns the tftp:// URL of the named file on the daemon, as curl
// takes it.
func (s *TFTPServer) URL(name string) string {
	return fmt.Sprintf("tftp://%s/%s", s.addr, name)
}

// Close stops the daemon at once, aborting running transfers. The test's
// cleanup calls it; calling it earlier is allowed.
func (s *TFTPServer) Close() { _ = s.close() }

func (s *TFTPServer) close() error {
	_ = s.TFTP.Close()
	err := <-s.done
	s.done <- err
	if err != nil && !errors.Is(err, daemon.ErrServerClosed) && !errors.Is(err, daemon.ErrIdle) {
		return fmt.Errorf("daemon stopped: %w", err)
	}
	return nil
}
