package daemon_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"golang.org/x/crypto/ssh"
)

// sshRefusals records what OnRefuse reports.
type sshRefusals struct {
	mu   sync.Mutex
	seen []string
	peer []netip.AddrPort
}

func (r *sshRefusals) add(peer netip.AddrPort, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, err.Error())
	r.peer = append(r.peer, peer)
}

// wait returns the refusals once there are n, failing after a while.
func (r *sshRefusals) wait(t *testing.T, n int) ([]string, []netip.AddrPort) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		r.mu.Lock()
		if len(r.seen) >= n {
			seen, peer := append([]string(nil), r.seen...), append([]netip.AddrPort(nil), r.peer...)
			r.mu.Unlock()
			return seen, peer
		}
		r.mu.Unlock()
	}
	t.Fatalf("OnRefuse saw %q, want %d refusals", r.seen, n)
	return nil, nil
}

// OnRefuse reports, over a real socket, a failed login, a channel that is
// not a session, a session over MaxSessions and a subsystem that is not
// sftp, each with the client's address and a reason.
func TestSSHOnRefuse(t *testing.T) {
	var r sshRefusals
	s := daemontest.NewSSH(t, handlers.NewMemory(), func(d *daemon.SSH) {
		d.MaxSessions = 1
		d.OnRefuse = r.add
	})
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(stranger)
	if err != nil {
		t.Fatal(err)
	}
	conf := s.ClientConfig()
	conf.Auth = []ssh.AuthMethod{ssh.PublicKeys(signer)}
	if c, err := ssh.Dial("tcp", s.Addr().String(), conf); err == nil {
		c.Close()
		t.Fatal("a stranger's key logged in")
	}
	r.wait(t, 1)
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.OpenChannel("direct-tcpip", nil); err == nil {
		t.Error("a direct-tcpip channel was accepted")
	}
	se, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer se.Close()
	if _, err := c.NewSession(); err == nil {
		t.Error("a session over MaxSessions was accepted")
	}
	if err := se.RequestSubsystem("shell"); err == nil {
		t.Error("subsystem shell was accepted")
	}
	seen, peers := r.wait(t, 4)
	want := []string{"authentication failed", "only session channels are served", "too many sessions", "only the sftp subsystem and scp are served"}
	for i, w := range want {
		if !strings.HasPrefix(seen[i], w) {
			t.Errorf("refusal %d: %q, want %q", i+1, seen[i], w)
		}
	}
	local := c.LocalAddr().(*net.TCPAddr).AddrPort()
	for i, p := range peers[1:] {
		if p != local {
			t.Errorf("refusal %d from %v, want the client's %v", i+2, p, local)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("refusals %q, want %d", seen, len(want))
	}
}
