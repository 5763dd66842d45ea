package daemontest_test

import (
	"net"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
)

// fatalT records a Fatalf instead of ending the test.
type fatalT struct {
	testing.TB
	msg string
}

func (t *fatalT) Helper()                           {}
func (t *fatalT) Cleanup(func())                    {}
func (t *fatalT) Fatalf(format string, args ...any) { t.msg = format; panic(t) }

func TestNewTFTPFailsOnABadConfig(t *testing.T) {
	ft := &fatalT{TB: t}
	func() {
		defer func() { _ = recover() }()
		daemontest.NewTFTP(ft, nil)
	}()
	if !strings.HasPrefix(ft.msg, "daemontest:") {
		t.Fatalf("NewTFTP with a nil handler did not fail the test (msg %q)", ft.msg)
	}
}

func TestNewTFTPClosesAtCleanup(t *testing.T) {
	var srv *daemontest.TFTPServer
	t.Run("inner", func(t *testing.T) {
		srv = daemontest.NewTFTP(t, behaviour.Bytes([]byte("x")), func(d *daemon.TFTP) { d.ListenAddr = "127.0.0.1:0" })
		if !srv.Addr().IsValid() || srv.Addr().Port() == 0 {
			t.Fatalf("Addr() = %v", srv.Addr())
		}
	})
	// The port is free again: the daemon closed its socket.
	pc, err := net.ListenPacket("udp", srv.Addr().String())
	if err != nil {
		t.Fatalf("the daemon still holds its port after the cleanup: %v", err)
	}
	pc.Close()
}
