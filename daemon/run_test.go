package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/tftp"
	"golang.org/x/crypto/ssh"
)

// runPair is a TFTP daemon and an SSH server run together by daemon.Run.
type runPair struct {
	udp, tcp netip.AddrPort
	client   *ssh.ClientConfig
	done     chan error
}

// startRun runs d and an SSH server, both serving h, under daemon.Run with
// grace until ctx is done.
func startRun(t *testing.T, ctx context.Context, grace time.Duration, d *daemon.TFTP, h behaviour.Handler) *runPair {
	t.Helper()
	d.Handler = h
	host, user := newExampleSigner(), newExampleSigner()
	s := &daemon.SSH{Handler: h, HostKeys: []ssh.Signer{host}, AuthorizedKeys: []ssh.PublicKey{user.PublicKey()}}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &runPair{
		udp:  pc.LocalAddr().(*net.UDPAddr).AddrPort(),
		tcp:  ln.Addr().(*net.TCPAddr).AddrPort(),
		done: make(chan error, 1),
		client: &ssh.ClientConfig{
			User:            "tester",
			Auth:            []ssh.AuthMethod{ssh.PublicKeys(user)},
			HostKeyCallback: ssh.FixedHostKey(host.PublicKey()),
			Timeout:         5 * time.Second,
		},
	}
	go func() { p.done <- daemon.Run(ctx, grace, daemon.TFTPService(d, pc), daemon.SSHService(s, ln)) }()
	t.Cleanup(func() { d.Close(); s.Close() })
	return p
}

// sshServes reports whether the SSH server accepts a login.
func (p *runPair) sshServes() bool {
	c, err := ssh.Dial("tcp", p.tcp.String(), p.client)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// wait returns what Run returned, failing the test when it takes longer
// than limit.
func (p *runPair) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(limit):
		t.Fatalf("Run did not return within %v", limit)
		return nil
	}
}

// Run serves both daemons until its context is done, then lets a running
// transfer finish, refuses new ones, and returns nil with both stopped.
func TestRunServesUntilContextDone(t *testing.T) {
	data := bytes.Repeat([]byte("r"), 20*tftp.DefaultBlockSize+3)
	h := newMemory(data)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := startRun(t, ctx, 10*time.Second, &daemon.TFTP{}, h)
	if !p.sshServes() {
		t.Fatal("the SSH server does not serve")
	}
	if got, _ := newRawClient(t, p.udp).get("f"); !bytes.Equal(got, data) {
		t.Fatal("the TFTP daemon does not serve")
	}

	c := newRawClient(t, p.udp)
	c.rrq("f")
	got := c.expect(tftp.OpData).Payload
	cancel()
	waitFor(t, "new requests refused", func() bool {
		late := newRawClient(t, p.udp)
		late.rrq("f")
		r, ok := late.recv(time.Second)
		return ok && r.Op == tftp.OpError && r.Message == "server shutting down"
	})
	c.ack(1)
	for {
		r := c.expect(tftp.OpData)
		got = append(got, r.Payload...)
		c.ack(r.Block)
		if len(r.Payload) < tftp.DefaultBlockSize {
			break
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the running transfer did not finish intact")
	}
	if err := p.wait(t, 10*time.Second); err != nil {
		t.Fatalf("Run: %v, want nil", err)
	}
	if p.sshServes() {
		t.Fatal("the SSH server still serves after Run returned")
	}
}

// When one service stops by itself (here the TFTP daemon's idle timeout),
// Run shuts the others down and returns its error.
func TestRunStopsAllWhenOneStops(t *testing.T) {
	p := startRun(t, context.Background(), time.Second, &daemon.TFTP{IdleTimeout: 300 * time.Millisecond}, newMemory(big))
	if err := p.wait(t, 10*time.Second); !errors.Is(err, daemon.ErrIdle) {
		t.Fatalf("Run: %v, want ErrIdle", err)
	}
	if p.sshServes() {
		t.Fatal("the SSH server still serves after the TFTP daemon stopped")
	}
}

// A transfer still running at the end of the grace period is aborted with
// an ERROR to its peer, and Run returns nil soon after.
func TestRunAbortsAfterGrace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := startRun(t, ctx, 200*time.Millisecond, &daemon.TFTP{Timeout: 10 * time.Second}, newMemory(big))
	c := newRawClient(t, p.udp)
	c.rrq("f")
	c.expect(tftp.OpData) // and then the reader stalls
	start := time.Now()
	cancel()
	if err := p.wait(t, 5*time.Second); err != nil {
		t.Fatalf("Run: %v, want nil", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("Run returned after %v, before the grace period ended", d)
	}
	if e := c.expectError(behaviour.CodeUndefined); e.Message != "server shutting down" {
		t.Errorf("message %q", e.Message)
	}
}
