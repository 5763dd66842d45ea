package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Bounds of the silent floods: each held connection is dialled again at
// most sshFloodRedials times, sshFloodPause after the server closed it.
const (
	sshFloodRedials = 40
	sshFloodPause   = 100 * time.Millisecond
)

// sshFlood holds silent TCP connections to an SSH server, as an attacker
// does: none ever sends a byte, and each one the server closes is dialled
// again after a pause, a bounded number of times. It stops, closing every
// connection, when the test ends.
type sshFlood struct {
	dialled atomic.Int64 // connections that reached the server's queue
	wg      sync.WaitGroup
}

// startSSHFlood holds n silent connections to addr, spread evenly over
// the source addresses, and returns once each has been dialled once.
func startSSHFlood(t *testing.T, addr netip.AddrPort, sources []string, n int) *sshFlood {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &sshFlood{}
	t.Cleanup(func() { cancel(); f.wg.Wait() })
	first := make(chan struct{}, n)
	for i := range n {
		f.wg.Add(1)
		go f.hold(ctx, addr, sources[i%len(sources)], first)
	}
	for range n {
		select {
		case <-first:
		case <-time.After(30 * time.Second):
			t.Fatalf("the flood dialled %d of %d connections in 30s", f.dialled.Load(), n)
		}
	}
	return f
}

// hold keeps one silent connection open from source until ctx is done.
func (f *sshFlood) hold(ctx context.Context, addr netip.AddrPort, source string, first chan<- struct{}) {
	defer f.wg.Done()
	for i := 0; i < sshFloodRedials && ctx.Err() == nil; i++ {
		nc, err := sshDialFrom(source, addr, 5*time.Second)
		if i == 0 {
			first <- struct{}{}
		}
		if err == nil {
			f.dialled.Add(1)
			stop := context.AfterFunc(ctx, func() { nc.Close() })
			_, _ = io.Copy(io.Discard, nc) // the server's version line, until it closes the connection
			stop()
			nc.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(sshFloodPause):
		}
	}
}

// sshDialFrom opens a TCP connection to addr from the loopback address
// source.
func sshDialFrom(source string, addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	return d.Dial("tcp", addr.String())
}

// sshLoginFrom logs in to s from source with cfg (the test key when nil),
// reads the file f over SFTP, and returns how long that took.
func sshLoginFrom(s *daemontest.SSHServer, source string, cfg *ssh.ClientConfig) (time.Duration, error) {
	if cfg == nil {
		cfg = s.ClientConfig()
	}
	start := time.Now()
	conn, err := sshClientFrom(s, source, cfg)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		return 0, fmt.Errorf("sftp: %w", err)
	}
	defer c.Close()
	if _, err := c.Stat("f"); err != nil {
		return 0, fmt.Errorf("stat: %w", err)
	}
	return time.Since(start), nil
}

// sshClientFrom runs the SSH handshake with s from source.
func sshClientFrom(s *daemontest.SSHServer, source string, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	nc, err := sshDialFrom(source, s.Addr(), cfg.Timeout)
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewClientConn(nc, s.Addr().String(), cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// sshFloodServer serves a file f with the default limits.
func sshFloodServer(t *testing.T, opts ...daemontest.SSHOption) *daemontest.SSHServer {
	m := handlers.NewMemory()
	m.Put("f", []byte("x"))
	return daemontest.NewSSH(t, m, opts...)
}

// checkLogin logs in from source and fails the test unless that took at
// most limit.
func checkLogin(t *testing.T, s *daemontest.SSHServer, source string, limit time.Duration) {
	t.Helper()
	took, err := sshLoginFrom(s, source, nil)
	switch {
	case err != nil:
		t.Errorf("login from %s during the flood: %v", source, err)
	case took > limit:
		t.Errorf("login from %s during the flood took %v, more than %v", source, took, limit)
	default:
		t.Logf("login from %s during the flood: %v", source, took)
	}
}

// 300 silent connections from one address (everyone behind one NAT)
// neither block a login from that address nor from another: the
// newcomer is never the one shed.
func TestSSHLoginDuringSilentFloodFromOneAddress(t *testing.T) {
	logs := &logRecorder{}
	s := sshFloodServer(t, func(d *daemon.SSH) { d.Logger = logs.logger() })
	f := startSSHFlood(t, s.Addr(), []string{"127.0.0.1"}, 300)
	checkLogin(t, s, "127.0.0.1", 2*time.Second)
	checkLogin(t, s, "127.0.0.2", 2*time.Second)
	g := s.SSH.Guard()
	if n := len(logs.atLeast(slog.LevelInfo)) - len(logs.find("ssh login")); n > 0 {
		t.Errorf("%d records at info level or above besides the logins, for %d shed connections: %+v", n, g.Shed, logs.atLeast(slog.LevelInfo))
	}
	if full := daemon.DefaultSSHMaxStartups.Full; g.Preauth > full || g.Shed == 0 {
		t.Errorf("after %d silent connections: %d unauthenticated held, %d shed; want at most %d held and some shed",
			f.dialled.Load(), g.Preauth, g.Shed, full)
	}
	if g.FailedLogins != 0 || g.Bans != 0 {
		t.Errorf("silent connections were scored as failed logins: %+v", g)
	}
}

// 300 silent connections from 30 addresses leave logins working, from a
// fresh address, from one of the flood's, and with OpenSSH's sftp.
func TestSSHLoginDuringSilentFloodFromManyAddresses(t *testing.T) {
	sftpProg := sshNeed(t, "sftp")
	s := sshFloodServer(t)
	var sources []string
	for i := range 30 {
		sources = append(sources, "127.0.0."+strconv.Itoa(10+i))
	}
	startSSHFlood(t, s.Addr(), sources, 300)
	checkLogin(t, s, "127.0.0.2", 10*time.Second)
	checkLogin(t, s, sources[7], 10*time.Second)
	start := time.Now()
	args := append(s.OpenSSHOptions(), "-o", "BindAddress=127.0.0.3", "-o", "ConnectTimeout=10", "-b", "-")
	args = append(args, append(sshOpenSSHPort(s), sshTarget(s))...)
	res := sshRun(t, t.TempDir(), "ls f\n", sftpProg, args...)
	if took := time.Since(start); res.code != 0 || took > 10*time.Second {
		t.Errorf("OpenSSH sftp during the flood (%v): %v", took, res)
	}
}

// MaxPerAddress and MaxConnections count logins, not connections that
// have yet to authenticate: silent connections take none of their slots,
// and a login over them is told why on its first channel, then closed.
func TestSSHLoginLimitsCountLogins(t *testing.T) {
	s := sshFloodServer(t, func(d *daemon.SSH) { d.MaxPerAddress, d.MaxConnections = 1, 2 })
	startSSHFlood(t, s.Addr(), []string{"127.0.0.1"}, 5)
	first := sshLogin(t, s, "127.0.0.1")
	checkRefusedLogin(t, s, "127.0.0.1", "too many connections from this address")
	second := sshLogin(t, s, "127.0.0.2")
	defer second.Close()
	checkRefusedLogin(t, s, "127.0.0.3", "too many connections")
	first.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := sshClientFrom(s, "127.0.0.1", s.ClientConfig())
		if err == nil {
			_, err = c.NewSession()
			c.Close()
		}
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a login after the first one ended: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sshLogin logs in from source and opens a session.
func sshLogin(t *testing.T, s *daemontest.SSHServer, source string) *ssh.Client {
	t.Helper()
	c, err := sshClientFrom(s, source, s.ClientConfig())
	if err != nil {
		t.Fatalf("login from %s: %v", source, err)
	}
	se, err := c.NewSession()
	if err != nil {
		c.Close()
		t.Fatalf("session from %s: %v", source, err)
	}
	se.Close()
	return c
}

// checkRefusedLogin logs in from source and checks that its session is
// refused with reason and the connection closed.
func checkRefusedLogin(t *testing.T, s *daemontest.SSHServer, source, reason string) {
	t.Helper()
	c, err := sshClientFrom(s, source, s.ClientConfig())
	if err != nil {
		t.Errorf("login from %s over the limits: the handshake failed (%v), want a refused session", source, err)
		return
	}
	defer c.Close()
	var oce *ssh.OpenChannelError
	if _, err := c.NewSession(); !errors.As(err, &oce) || oce.Reason != ssh.ResourceShortage || oce.Message != reason {
		t.Errorf("session from %s over the limits: %v, want resource shortage %q", source, err, reason)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Errorf("the login over the limits from %s was not closed", source)
	}
}
