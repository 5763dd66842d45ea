package daemon_test

import (
	"encoding/binary"
	"io"
	"os"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// A client that read a file to its end and drops the connection without
// CLOSE (lftp does) succeeded; one that drops it halfway aborts.
func TestSFTPConnectionLostEndings(t *testing.T) {
	for _, seq := range []bool{false, true} {
		m := handlers.NewMemory()
		m.Put("file", sshRandom(300<<10))
		var h behaviour.Handler = m
		if seq {
			h = sequential(m)
		}
		spy := newSSHSpy(h)
		s := daemontest.NewSSH(t, spy)
		for _, whole := range []bool{true, false} {
			conn, err := s.Dial()
			if err != nil {
				t.Fatal(err)
			}
			c, err := sftp.NewClient(conn)
			if err != nil {
				t.Fatal(err)
			}
			f, err := c.Open("file")
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 32<<10)
			if whole {
				_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf)
			} else {
				_, err = io.ReadFull(f, buf)
			}
			if err != nil {
				t.Fatal(err)
			}
			conn.Close() // no CLOSE
			if whole {
				spy.waitCounts(t, 1, 0)
			} else {
				spy.waitCounts(t, 1, 1)
			}
		}
		spy.check(t)
	}
}

// SETSTAT accepts a size equal to the file's and refuses other sizes and
// owners; permissions and times reach the handler (sftp_setstat_test.go).
// A virtual file of unknown size is a regular file of size 0.
func TestSFTPSetstatAndStat(t *testing.T) {
	d, root := sshDir(t)
	sshWriteFile(t, root, "f", []byte("12345"))
	s := daemontest.NewSSH(t, d)
	c := sftpClient(t, s)
	if err := c.Chmod("f", 0o600); err != nil {
		t.Errorf("chmod: %v", err)
	}
	if err := c.Chtimes("f", time.Now(), time.Now()); err != nil {
		t.Errorf("chtimes: %v", err)
	}
	if err := c.Truncate("f", 5); err != nil {
		t.Errorf("truncate to the same size: %v", err)
	}
	if err := c.Truncate("f", 2); !sshStatusIs(err, 8) {
		t.Errorf("truncate to another size: %v, want OP_UNSUPPORTED", err)
	}
	if err := c.Chown("f", 0, 0); !sshStatusIs(err, 8) {
		t.Errorf("chown: %v, want OP_UNSUPPORTED", err)
	}
	if err := c.Chmod("missing", 0o600); !os.IsNotExist(err) {
		t.Errorf("chmod of a missing file: %v", err)
	}
	if b, _ := os.ReadFile(root + "/f"); string(b) != "12345" {
		t.Errorf("the file changed: %q", b)
	}

	v := daemontest.NewSSH(t, newSSHVirtual(map[string][]byte{"gen": []byte("generated")}).handler())
	vc := sftpClient(t, v)
	fi, err := vc.Stat("gen")
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 || fi.Mode().Perm() == 0 {
		t.Errorf("stat of a virtual file: %v, %v", fi, err)
	}
	if _, err := vc.Stat("absent"); !os.IsNotExist(err) {
		t.Errorf("stat of a missing virtual file: %v", err)
	}
	if fi, err := vc.Stat("/"); err != nil || !fi.IsDir() {
		t.Errorf("stat of the root: %v, %v", fi, err)
	}
}

// Malformed SFTP packets end the session, never the server.
func TestSFTPMalformedPackets(t *testing.T) {
	s := daemontest.NewSSH(t, handlers.NewMemory())
	packet := func(typ byte, body ...byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(1+len(body)))
		return append(append(b, typ), body...)
	}
	for name, raw := range map[string][]byte{
		"huge length":       {0xff, 0xff, 0xff, 0xff, 1},
		"zero length":       {0, 0, 0, 0},
		"truncated open":    append(packet(1, 0, 0, 0, 3), packet(3, 0, 0, 0, 1, 0xff, 0xff)...),
		"unknown type":      append(packet(1, 0, 0, 0, 3), packet(99, 0, 0, 0, 1)...),
		"read without open": append(packet(1, 0, 0, 0, 3), packet(5, 0, 0, 0, 1, 0, 0, 0, 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0)...),
		"string too long":   append(packet(1, 0, 0, 0, 3), packet(17, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff)...),
	} {
		c, err := s.Dial()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		se, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		w, _ := se.StdinPipe()
		r, _ := se.StdoutPipe()
		if err := se.RequestSubsystem("sftp"); err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(raw)
		w.Close()
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, r); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: the session did not end", name)
		}
		c.Close()
	}
	if b := sshSFTPReadOr(t, s, "absent"); b != "" {
		t.Errorf("the server answers oddly after the malformed packets: %q", b)
	}
}

// sshSFTPReadOr checks the server still serves: it returns the file's
// content, or "" when it does not exist.
func sshSFTPReadOr(t *testing.T, s *daemontest.SSHServer, name string) string {
	t.Helper()
	c := sftpClient(t, s)
	b, err := sftpReadAll(c, name)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("the server no longer serves: %v", err)
	}
	return string(b)
}

// MaxAuthTries ends a connection that keeps offering wrong keys. Since
// x/crypto v0.59.0 the first MaxAuthTries refused key offers are free (so
// that a client with many keys gets to the right one), and MaxAuthTries
// more end the connection.
func TestSSHMaxAuthTries(t *testing.T) {
	s := daemontest.NewSSH(t, behaviour.Bytes(nil), func(d *daemon.SSH) { d.MaxAuthTries = 2 })
	wrong := []ssh.Signer{newExampleSigner(), newExampleSigner(), newExampleSigner(), newExampleSigner()}
	if c, err := sshDialAs(s, "tester", ssh.PublicKeys(append(wrong, s.Signer)...)); err == nil {
		c.Close()
		t.Errorf("the right key after four wrong ones logged in with MaxAuthTries 2")
	}
	if c, err := sshDialAs(s, "tester", ssh.PublicKeys(append(wrong[:3:3], s.Signer)...)); err != nil {
		t.Errorf("the right key after three wrong ones (two free, one counted) with MaxAuthTries 2: %v", err)
	} else {
		c.Close()
	}
	if c, err := sshDialAs(s, "tester", ssh.PublicKeys(wrong[0], s.Signer)); err != nil {
		t.Errorf("the right key after one wrong one: %v", err)
	} else {
		c.Close()
	}
}
