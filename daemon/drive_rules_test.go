package daemon_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/pkg/sftp"
)

// brokenRead is a read-only handler whose Read breaks the byte-count or
// the progress rule, counting its Aborts.
type brokenRead struct {
	behaviour.Base
	read   func(p []byte) (int, error)
	aborts atomic.Int32
}

func (b *brokenRead) Open(context.Context, *behaviour.Transfer) error { return nil }

func (b *brokenRead) Read(_ *behaviour.Transfer, p []byte) (int, error) { return b.read(p) }

func (b *brokenRead) Abort(*behaviour.Transfer, error) { b.aborts.Add(1) }

// brokenReads are the handlers every engine must fail the same way: an
// internal error for the peer, one Abort for the handler.
func brokenReads() map[string]func(p []byte) (int, error) {
	return map[string]func(p []byte) (int, error){
		"n > len(p)":   func(p []byte) (int, error) { return len(p) + 1, nil },
		"n < 0":        func([]byte) (int, error) { return -1, nil },
		"zero forever": func([]byte) (int, error) { return 0, nil },
	}
}

func TestTFTPFailsBrokenCounts(t *testing.T) {
	for name, read := range brokenReads() {
		t.Run(name, func(t *testing.T) {
			h := &brokenRead{read: read}
			srv := daemontest.NewTFTP(t, h)
			c := newRawClient(t, srv.Addr())
			c.rrq("f")
			if e := c.expectError(behaviour.CodeUndefined); e.Message != "internal error" {
				t.Errorf("ERROR message %q, want \"internal error\"", e.Message)
			}
			h.waitOneAbort(t)
		})
	}
}

// waitOneAbort waits for the Abort, then checks that no second one follows.
func (b *brokenRead) waitOneAbort(t *testing.T) {
	t.Helper()
	waitFor(t, "one Abort", func() bool { return b.aborts.Load() >= 1 })
	time.Sleep(20 * time.Millisecond)
	if n := b.aborts.Load(); n != 1 {
		t.Errorf("%d Aborts, want exactly 1", n)
	}
}

func TestSFTPFailsBrokenCounts(t *testing.T) {
	for name, read := range brokenReads() {
		t.Run(name, func(t *testing.T) {
			h := &brokenRead{read: read}
			c := sftpClient(t, daemontest.NewSSH(t, h))
			f, err := c.Open("f")
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.ReadAll(f)
			var st *sftp.StatusError
			if !errors.As(err, &st) || st.FxCode() != sftp.ErrSSHFxFailure || !strings.Contains(err.Error(), "internal error") {
				t.Errorf("read: %v, want SSH_FX_FAILURE \"internal error\"", err)
			}
			f.Close()
			h.waitOneAbort(t)
		})
	}
}

func TestSCPFailsBrokenCounts(t *testing.T) {
	for name, read := range brokenReads() {
		t.Run(name, func(t *testing.T) {
			h := &brokenRead{read: read}
			r := newSCPRaw(t, daemontest.NewSSH(t, h), "scp -f f")
			r.send("\x00")
			if a := r.answer(); !strings.Contains(a, "internal error") {
				t.Errorf("answer %q, want the internal error", a)
			}
			if code := r.exit(); code == 0 {
				t.Error("scp -f succeeded")
			}
			h.waitOneAbort(t)
		})
	}
}
