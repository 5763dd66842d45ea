package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/filemux/filemux/daemon"
)

// servers runs a TFTP daemon and an optional SSH server side by side: both
// start, both stop when ctx is done or either fails.
type servers struct {
	tftp  *daemon.TFTP
	ssh   *daemon.SSH
	grace time.Duration
}

// run listens on udpAddr (and tcpAddr for SSH), calls ready with the bound
// addresses, and serves until ctx is done or a server fails; it then shuts
// both down, letting running transfers finish for the grace period.
func (s servers) run(ctx context.Context, udpAddr, tcpAddr string, ready func(udp, tcp netip.AddrPort)) error {
	pc, err := net.ListenPacket("udp", udpAddr)
	if err != nil {
		return err
	}
	var ln net.Listener
	if s.ssh != nil {
		if ln, err = net.Listen("tcp", tcpAddr); err != nil {
			pc.Close()
			return err
		}
	}
	done := make(chan error, 2)
	go func() { done <- s.tftp.Serve(pc) }()
	if ln != nil {
		go func() { done <- s.ssh.Serve(ln) }()
	}
	if ready != nil {
		ready(pc.LocalAddr().(*net.UDPAddr).AddrPort(), tcpAddrPort(ln))
	}
	var first error
	select {
	case first = <-done:
	case <-ctx.Done():
	}
	return errors.Join(ignoreClosed(first), s.shutdown(done, ln != nil, first != nil))
}

// shutdown stops both servers and collects what they returned (one already
// returned when failed is set).
func (s servers) shutdown(done chan error, withSSH, failed bool) error {
	grace := s.grace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	running := 1
	if withSSH {
		running++
		go func() { _ = s.ssh.Shutdown(ctx) }()
	}
	_ = s.tftp.Shutdown(ctx) // transfers still running are aborted: nothing to report
	if failed {
		running--
	}
	var errs []error
	for range running {
		errs = append(errs, ignoreClosed(<-done))
	}
	return errors.Join(errs...)
}

func ignoreClosed(err error) error {
	if errors.Is(err, daemon.ErrServerClosed) {
		return nil
	}
	return err
}

// tcpAddrPort returns the address ln listens on, or the zero address.
func tcpAddrPort(ln net.Listener) netip.AddrPort {
	if ln == nil {
		return netip.AddrPort{}
	}
	return ln.Addr().(*net.TCPAddr).AddrPort()
}
