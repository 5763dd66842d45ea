package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"golang.org/x/crypto/ssh"
)

// OnRequest sees every transfer before Open and may refuse it; OnSuccess
// and OnFailure report each ending once, with the user.
func TestSSHHooks(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("ok", []byte("fine"))
	m.Put("secret", []byte("no"))
	var hooks sshHookLog
	var requests []daemon.Stats
	s := daemontest.NewSSH(t, m, hooks.install, func(d *daemon.SSH) {
		d.OnRequest = func(st daemon.Stats) error {
			requests = append(requests, st)
			if strings.HasPrefix(st.Name, "secret") {
				return behaviour.NewError(behaviour.CodeAccessViolation, "not for you")
			}
			return nil
		}
	})
	c := sftpClient(t, s)
	if b, err := sftpReadAll(c, "ok"); err != nil || string(b) != "fine" {
		t.Fatalf("read ok: %q, %v", b, err)
	}
	if _, err := c.Open("secret"); !errors.Is(err, os.ErrPermission) {
		t.Errorf("refused read: %v, want permission denied", err)
	}
	if err := sftpPut(c, "up", []byte("12345")); err != nil {
		t.Fatal(err)
	}
	ok, failed := hooks.get()
	if len(requests) != 3 || requests[0].User != daemontest.SSHUser || requests[0].Name != "ok" {
		t.Errorf("OnRequest saw %+v", requests)
	}
	if len(ok) != 2 || ok[0].Bytes != 4 || ok[1].Bytes != 5 || ok[1].Access != behaviour.Write || ok[1].User != daemontest.SSHUser {
		t.Errorf("OnSuccess saw %+v", ok)
	}
	if len(failed) != 1 || failed[0].Outcome != daemon.OutcomeRefused || failed[0].Code != behaviour.CodeAccessViolation {
		t.Errorf("OnFailure saw %+v", failed)
	}
	if got, _ := m.Get("up"); string(got) != "12345" {
		t.Errorf("upload: %q", got)
	}
}

// sshPanicky panics in the call its file name names.
type sshPanicky struct{ m *handlers.Memory }

func (p sshPanicky) Prepare(context.Context, *behaviour.Transfer) error { return nil }

func (p sshPanicky) Open(ctx context.Context, t *behaviour.Transfer) error {
	if t.Name == "open" {
		panic("boom in Open")
	}
	return p.m.Open(ctx, t)
}

func (p sshPanicky) Read(t *behaviour.Transfer, b []byte) (int, error) {
	if t.Name == "read" {
		panic("boom in Read")
	}
	return p.m.Read(t, b)
}

func (p sshPanicky) Write(t *behaviour.Transfer, b []byte, last bool) error {
	if t.Name == "write" {
		panic("boom in Write")
	}
	return p.m.Write(t, b, last)
}

func (p sshPanicky) Abort(t *behaviour.Transfer, err error) {
	if t.Name == "abort" {
		panic("boom in Abort")
	}
	p.m.Abort(t, err)
}

func (p sshPanicky) Stat(_ context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	if t.Name == "stat" {
		panic("boom in Stat")
	}
	return behaviour.FileInfo{FileName: t.Name, FileMode: 0o644}, nil
}

// A panicking handler costs one request, never the server: the client gets
// an error, Abort runs once, and the next transfer works.
func TestSSHPanicsAreContained(t *testing.T) {
	m := handlers.NewMemory()
	for _, name := range []string{"read", "abort", "fine"} {
		m.Put(name, bytes.Repeat([]byte(name), 1000))
	}
	spy := newSSHSpy(sequential(sshPanicky{m}))
	s := daemontest.NewSSH(t, spy)
	c := sftpClient(t, s)
	for _, name := range []string{"open", "read", "stat"} {
		if _, err := sftpReadAll(c, name); err == nil && name != "stat" {
			t.Errorf("read %s succeeded", name)
		}
	}
	if _, err := c.Stat("stat"); err == nil {
		t.Errorf("stat succeeded")
	}
	if err := sftpPut(c, "write", []byte("data")); err == nil {
		t.Errorf("write succeeded")
	}
	// Abort panics after a read the client gives up on.
	f, err := c.Open("abort")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Read(make([]byte, 10))
	f.Close()
	if b, err := sftpReadAll(c, "fine"); err != nil || len(b) != 4000 {
		t.Errorf("after the panics: %d bytes, %v", len(b), err)
	}
	spy.check(t)
	if o, ok, ab := spy.counts(); o != 4 || ok != 1 || ab != 3 {
		t.Errorf("%d opens, %d successes, %d aborts; want 4, 1, 3", o, ok, ab)
	}
	// SCP too.
	if res := scpRun(t, s, t.TempDir(), true, sshRemote(s, "read"), "x"); res.code == 0 {
		t.Errorf("scp of a panicking read exited 0")
	}
	if b, err := sftpReadAll(c, "fine"); err != nil || len(b) != 4000 {
		t.Errorf("after the scp panic: %d bytes, %v", len(b), err)
	}
}

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
	conf := s.ClientConfig()
	conf.Auth = []ssh.AuthMethod{ssh.PublicKeys(newExampleSigner())}
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
