package daemon_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"golang.org/x/crypto/ssh"
)

const sshGateSize = 1 << 20

// sshGate serves files of 1 MiB whose reading stops halfway until the gate
// opens, or (unless stubborn) the transfer's context ends.
type sshGate struct {
	behaviour.Base
	stubborn bool
	gate     chan struct{}
	waiting  chan struct{}
	once     sync.Once
}

func newSSHGate(stubborn bool) *sshGate {
	return &sshGate{stubborn: stubborn, gate: make(chan struct{}), waiting: make(chan struct{})}
}

func (g *sshGate) Open(_ context.Context, t *behaviour.Transfer) error {
	t.SetSize(sshGateSize)
	t.State = new(int)
	return nil
}

func (g *sshGate) Stat(_ context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	return behaviour.FileInfo{FileName: path.Base(t.Name), FileSize: sshGateSize, FileMode: 0o644}, nil
}

func (g *sshGate) Read(t *behaviour.Transfer, p []byte) (int, error) {
	done := t.State.(*int)
	if *done >= sshGateSize {
		return 0, io.EOF
	}
	if *done >= sshGateSize/2 {
		g.once.Do(func() { close(g.waiting) })
		if err := g.wait(t.Context()); err != nil {
			return 0, err
		}
	}
	n := min(len(p), sshGateSize-*done)
	clear(p[:n])
	*done += n
	return n, nil
}

func (g *sshGate) wait(ctx context.Context) error {
	if g.stubborn {
		<-g.gate
		return nil
	}
	select {
	case <-g.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sshHookLog records the statistics the hooks receive.
type sshHookLog struct {
	mu                  sync.Mutex
	successes, failures []daemon.Stats
}

func (l *sshHookLog) install(d *daemon.SSH) {
	d.OnSuccess = func(s daemon.Stats) { l.mu.Lock(); l.successes = append(l.successes, s); l.mu.Unlock() }
	d.OnFailure = func(s daemon.Stats) { l.mu.Lock(); l.failures = append(l.failures, s); l.mu.Unlock() }
}

func (l *sshHookLog) get() (successes, failures []daemon.Stats) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]daemon.Stats(nil), l.successes...), append([]daemon.Stats(nil), l.failures...)
}

// sshStartGet starts a download of name with pkg/sftp's client and returns
// its result channel.
func sshStartGet(t *testing.T, s *daemontest.SSHServer, name string) <-chan error {
	t.Helper()
	c := sftpClient(t, s)
	done := make(chan error, 1)
	go func() {
		b, err := sftpReadAll(c, name)
		if err == nil && len(b) != sshGateSize {
			err = errors.New("short download")
		}
		done <- err
	}()
	return done
}

func TestSSHShutdownLetsTransfersFinish(t *testing.T) {
	g := newSSHGate(false)
	spy := newSSHSpy(g)
	var hooks sshHookLog
	s := daemontest.NewSSH(t, spy, hooks.install)
	done := sshStartGet(t, s, "file")
	<-g.waiting
	if n := len(s.SSH.Active()); n != 1 {
		t.Fatalf("%d active transfers, want 1", n)
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- s.SSH.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond)
	if c, err := s.Dial(); err == nil {
		c.Close()
		t.Errorf("a new connection was accepted while shutting down")
	}
	close(g.gate)
	if err := <-done; err != nil {
		t.Errorf("the running download failed: %v", err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	spy.waitCounts(t, 1, 0)
	if ok, _ := hooks.get(); len(ok) != 1 || ok[0].Bytes != sshGateSize || ok[0].User != daemontest.SSHUser ||
		ok[0].Protocol != behaviour.SFTP || ok[0].Outcome != daemon.OutcomeSuccess {
		t.Errorf("OnSuccess got %+v", ok)
	}
}

func TestSSHShutdownAbortsAtTheDeadline(t *testing.T) {
	for _, stubborn := range []bool{false, true} {
		g := newSSHGate(stubborn)
		spy := newSSHSpy(g)
		var hooks sshHookLog
		s := daemontest.NewSSH(t, spy, hooks.install)
		done := sshStartGet(t, s, "file")
		<-g.waiting
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := s.SSH.Shutdown(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Errorf("stubborn %v: Shutdown returned %v after %v", stubborn, err, time.Since(start))
		}
		if err := <-done; err == nil {
			t.Errorf("stubborn %v: the aborted download succeeded", stubborn)
		}
		close(g.gate) // a stubborn handler's call returns only now
		spy.waitCounts(t, 0, 1)
		spy.check(t)
		if _, failed := hooks.get(); len(failed) != 1 || failed[0].Outcome != daemon.OutcomeShutdown {
			t.Errorf("stubborn %v: OnFailure got %+v", stubborn, failed)
		}
	}
}

func TestSSHServeAfterClose(t *testing.T) {
	s := daemontest.NewSSH(t, behaviour.Bytes(nil))
	s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SSH.Serve(ln); !errors.Is(err, daemon.ErrServerClosed) {
		t.Errorf("Serve after Close: %v", err)
	}
}

func TestSSHServeValidates(t *testing.T) {
	signer := newExampleSigner()
	for name, d := range map[string]*daemon.SSH{
		"no handler":   {HostKeys: []ssh.Signer{signer}, AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}},
		"no host key":  {Handler: behaviour.Bytes(nil), AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}},
		"no auth":      {Handler: behaviour.Bytes(nil), HostKeys: []ssh.Signer{signer}},
		"bad limit":    {Handler: behaviour.Bytes(nil), HostKeys: []ssh.Signer{signer}, AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}, MaxHandles: -1},
		"missing file": {Handler: behaviour.Bytes(nil), HostKeys: []ssh.Signer{signer}, AuthorizedKeysFile: "/nonexistent/authorized_keys"},
		"bad hash":     {Handler: behaviour.Bytes(nil), HostKeys: []ssh.Signer{signer}, Passwords: map[string]string{"alice": "plain"}},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Serve(ln); err == nil || errors.Is(err, daemon.ErrServerClosed) {
			t.Errorf("%s: Serve returned %v", name, err)
		}
	}
}

// A connection without traffic is closed after IdleTimeout; keepalives
// alone do not keep it open.
func TestSSHIdleTimeout(t *testing.T) {
	s := daemontest.NewSSH(t, behaviour.Bytes(nil), func(d *daemon.SSH) {
		d.IdleTimeout = 200 * time.Millisecond
		d.KeepAliveInterval = 20 * time.Millisecond
	})
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sshWaitClosed(t, c, 5*time.Second)
}

// A client that leaves keepalives unanswered is disconnected; one that
// answers them is not.
func TestSSHKeepAlive(t *testing.T) {
	s := daemontest.NewSSH(t, behaviour.Bytes(nil), func(d *daemon.SSH) {
		d.KeepAliveInterval = 30 * time.Millisecond
		d.KeepAliveMax = 2
	})
	answering, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer answering.Close()

	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn, _, reqs, err := ssh.NewClientConn(nc, s.Addr().String(), s.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		for range reqs { // never answered
		}
	}()
	sshWaitClosed(t, conn, 5*time.Second)
	if _, _, err := answering.SendRequest("still-there", true, nil); err != nil {
		t.Errorf("the answering client was disconnected: %v", err)
	}
}

// sshWaitClosed waits until the server closes c.
func sshWaitClosed(t *testing.T, c ssh.Conn, limit time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("the server did not close the connection within %v", limit)
	}
}

// A peer that never finishes the handshake is cut off.
func TestSSHHandshakeTimeout(t *testing.T) {
	s := daemontest.NewSSH(t, behaviour.Bytes(nil), func(d *daemon.SSH) { d.HandshakeTimeout = 200 * time.Millisecond })
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(nc); err != nil {
		t.Errorf("the server did not close the silent connection: %v", err)
	}
}

// Channel types other than session and requests other than sftp and scp
// are refused, and the connection survives them.
func TestSSHRefusesOtherChannelsAndRequests(t *testing.T) {
	s := daemontest.NewSSH(t, behaviour.Bytes([]byte("x")))
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var oce *ssh.OpenChannelError
	if _, _, err := c.OpenChannel("direct-tcpip", nil); !errors.As(err, &oce) || oce.Reason != ssh.UnknownChannelType {
		t.Errorf("direct-tcpip: %v", err)
	}
	for name, try := range map[string]func(*ssh.Session) error{
		"shell":      func(se *ssh.Session) error { return se.Shell() },
		"exec ls":    func(se *ssh.Session) error { return se.Start("ls /") },
		"exec sh -c": func(se *ssh.Session) error { return se.Start("sh -c 'scp -t x'") },
		"subsystem":  func(se *ssh.Session) error { return se.RequestSubsystem("netconf") },
		"pty":        func(se *ssh.Session) error { return se.RequestPty("xterm", 80, 24, nil) },
		"x11":        func(se *ssh.Session) error { return sshRequest(se, "x11-req") },
		"env":        func(se *ssh.Session) error { return se.Setenv("LD_PRELOAD", "/tmp/x.so") },
	} {
		se, err := c.NewSession()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := try(se); err == nil {
			t.Errorf("%s was accepted", name)
		}
		se.Close()
	}
	if ok, _, err := c.SendRequest("tcpip-forward", true, nil); ok || err != nil {
		t.Errorf("tcpip-forward: %v, %v", ok, err)
	}
}

// sshRequest sends a request and turns a refusal into an error.
func sshRequest(se *ssh.Session, name string) error {
	ok, err := se.SendRequest(name, true, nil)
	if err == nil && !ok {
		err = errors.New("refused")
	}
	return err
}
