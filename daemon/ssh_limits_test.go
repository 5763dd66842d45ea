package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// An SFTP session holds at most MaxHandles open files and listings.
func TestSSHMaxHandles(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("f", []byte("x"))
	s := daemontest.NewSSH(t, m, func(d *daemon.SSH) { d.MaxHandles = 3 })
	c := sftpClient(t, s)
	var open []interface{ Close() error }
	for range 3 {
		f, err := c.Open("f")
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, f)
	}
	if f, err := c.Open("f"); err == nil {
		f.Close()
		t.Errorf("a fourth file opened")
	}
	if _, err := c.ReadDir("/"); err == nil {
		t.Errorf("a listing opened beyond the limit")
	}
	open[0].Close()
	if f, err := c.Open("f"); err != nil {
		t.Errorf("after a close: %v", err)
	} else {
		f.Close()
	}
	for _, f := range open[1:] {
		f.Close()
	}
	if _, err := c.ReadDir("/"); err != nil {
		t.Errorf("listing after the closes: %v", err)
	}
}

// A connection has at most MaxSessions sessions; an address at most
// MaxPerAddress logged-in connections: a login over it authenticates, but
// its session is refused with the reason.
func TestSSHMaxSessionsAndConnections(t *testing.T) {
	s := daemontest.NewSSH(t, handlers.NewMemory(), func(d *daemon.SSH) {
		d.MaxSessions = 2
		d.MaxPerAddress = 1
	})
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		se, err := c.NewSession()
		if (err == nil) != (i < 2) {
			t.Errorf("session %d: %v", i+1, err)
		}
		if err == nil {
			defer se.Close()
		}
	}
	checkRefusedLogin(t, s, "127.0.0.1", "too many connections from this address")
}

// Names longer than MaxNameLen and uploads larger than MaxSize are refused.
func TestSSHMaxNameLenAndSize(t *testing.T) {
	d, root := sshDir(t)
	s := daemontest.NewSSH(t, d, func(d *daemon.SSH) {
		d.MaxNameLen = 64
		d.MaxSize = 1 << 20
	})
	c := sftpClient(t, s)
	if err := sftpPut(c, strings.Repeat("n", 100), []byte("x")); err == nil {
		t.Errorf("an over-long name was accepted")
	}
	if err := sftpPut(c, "big", sshRandom(1<<20+1)); err == nil {
		t.Errorf("an upload over MaxSize was accepted")
	}
	if err := sftpPut(c, "fits", sshRandom(1<<20)); err != nil {
		t.Errorf("an upload of exactly MaxSize: %v", err)
	}
	local := t.TempDir()
	big := sshWriteFile(t, local, "big", sshRandom(1<<20+1))
	if res := scpRun(t, s, local, true, big, sshRemote(s, "big-scp")); res.code == 0 || !strings.Contains(res.stderr, "too large") {
		t.Errorf("scp -O of a file over MaxSize: %v", res)
	}
	for _, name := range []string{"big", "big-scp"} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			t.Errorf("%s was committed", name)
		}
	}
}
