package daemontest_test

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"golang.org/x/crypto/ssh"
)

// sshFatalT records a Fatalf instead of ending the test.
type sshFatalT struct {
	testing.TB
	msg string
}

func (t *sshFatalT) Helper()                           {}
func (t *sshFatalT) Cleanup(func())                    {}
func (t *sshFatalT) Fatalf(format string, args ...any) { t.msg = format; panic(t) }

func TestNewSSHFailsOnABadConfig(t *testing.T) {
	ft := &sshFatalT{TB: t}
	func() {
		defer func() { _ = recover() }()
		daemontest.NewSSH(ft, behaviour.Bytes(nil), func(d *daemon.SSH) { d.MaxHandles = -1 })
	}()
	if !strings.HasPrefix(ft.msg, "daemontest:") {
		t.Fatalf("NewSSH with a bad limit did not fail the test (msg %q)", ft.msg)
	}
}

func TestNewSSHServesAndClosesAtCleanup(t *testing.T) {
	var srv *daemontest.SSHServer
	t.Run("inner", func(t *testing.T) {
		srv = daemontest.NewSSH(t, behaviour.Bytes([]byte("x")))
		if !srv.Addr().IsValid() || srv.Addr().Port() == 0 {
			t.Fatalf("Addr() = %v", srv.Addr())
		}
		c, err := srv.Dial()
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		c.Close()
		key, err := os.ReadFile(srv.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ssh.ParsePrivateKey(key); err != nil {
			t.Errorf("KeyFile: %v", err)
		}
		kh, err := os.ReadFile(srv.KnownHostsFile)
		if err != nil || !strings.Contains(string(kh), srv.Addr().Addr().String()) {
			t.Errorf("KnownHostsFile %q, %v", kh, err)
		}
		if got := srv.URL("sftp", "a/b"); got != "sftp://tester@"+srv.Addr().String()+"/a/b" {
			t.Errorf("URL %q", got)
		}
	})
	// The port is free again: the server closed its listener.
	ln, err := net.Listen("tcp", srv.Addr().String())
	if err != nil {
		t.Fatalf("the server still holds its port after the cleanup: %v", err)
	}
	ln.Close()
}
