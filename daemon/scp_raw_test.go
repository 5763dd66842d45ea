package daemon_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"golang.org/x/crypto/ssh"
)

// scpRaw is an scp exec session spoken by hand, as the clients OpenSSH
// does not cover (go-scp, SSH.NET, broken or hostile ones) speak it.
type scpRaw struct {
	t  *testing.T
	c  *ssh.Client
	se *ssh.Session
	w  io.WriteCloser
	r  *bufio.Reader
}

func newSCPRaw(t *testing.T, s *daemontest.SSHServer, command string) *scpRaw {
	t.Helper()
	c, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	se, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	w, err := se.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := se.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := se.Start(command); err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	return &scpRaw{t: t, c: c, se: se, w: w, r: bufio.NewReader(out)}
}

func (r *scpRaw) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.w, s); err != nil {
		r.t.Fatalf("send %q: %v", s, err)
	}
}

// answer reads one acknowledgement: "" for \0, the line of an error.
func (r *scpRaw) answer() string {
	r.t.Helper()
	c, err := r.r.ReadByte()
	if err != nil {
		r.t.Fatalf("no answer: %v", err)
	}
	if c == 0 {
		return ""
	}
	line, _ := r.r.ReadString('\n')
	return string(rune('0'+c)) + line
}

// exit closes the input and returns the exit status; the connection
// closes afterwards.
func (r *scpRaw) exit() int {
	r.t.Helper()
	defer r.c.Close()
	r.w.Close()
	_, _ = io.Copy(io.Discard, r.r)
	done := make(chan error, 1)
	go func() { done <- r.se.Wait() }()
	select {
	case err := <-done:
		var exit *ssh.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &exit):
			return exit.ExitStatus()
		}
		r.t.Fatalf("session ended without an exit status: %v", err)
	case <-time.After(10 * time.Second):
		r.t.Fatal("the session did not end")
	}
	return -1
}

// Uploads as go-scp (scp -qt "PATH"), SSH.NET (scp -t -d DIR) and a quoted
// OpenSSH path with a space send them.
func TestSCPRawSinkDialects(t *testing.T) {
	d, root := sshDir(t)
	if err := os.Mkdir(filepath.Join(root, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := daemontest.NewSSH(t, d)
	for command, where := range map[string]string{
		`scp -qt "in/go scp.txt"`:      "in/go scp.txt",
		`scp -t -d in`:                 "in/sent",
		`scp -v -p -t -- 'in/it'\''s'`: "in/it's",
		`scp -t in/`:                   "in/sent",
	} {
		r := newSCPRaw(t, s, command)
		if a := r.answer(); a != "" {
			t.Fatalf("%s: first answer %q", command, a)
		}
		r.send("T1700000000 0 1700000000 0\n")
		if a := r.answer(); a != "" {
			t.Fatalf("%s: T answer %q", command, a)
		}
		r.send("C0600 5 sent\n")
		if a := r.answer(); a != "" {
			t.Fatalf("%s: C answer %q", command, a)
		}
		r.send("hello\x00")
		if a := r.answer(); a != "" {
			t.Errorf("%s: data answer %q", command, a)
		}
		if code := r.exit(); code != 0 {
			t.Errorf("%s: exit %d", command, code)
		}
		if b, err := os.ReadFile(filepath.Join(root, where)); err != nil || string(b) != "hello" {
			t.Errorf("%s: %s holds %q, %v", command, where, b, err)
		}
		os.Remove(filepath.Join(root, where))
	}
}

// Hostile records are refused before anything is written: names that
// climb or separate, bad modes, absurd sizes, directories without -r.
func TestSCPRawSinkRefuses(t *testing.T) {
	d, root := sshDir(t)
	s := daemontest.NewSSH(t, d)
	for _, tc := range []struct {
		command, record string
		fatal           bool
	}{
		{"scp -t .", "C0644 5 ../escape\n", true},
		{"scp -t .", "C0644 5 a/b\n", true},
		{"scp -t .", "C0644 5 ..\n", true},
		{"scp -t .", "C0644 5 .\n", true},
		{"scp -t .", "C0644 5 \n", true},
		{"scp -t .", "C10644 5 x\n", true},
		{"scp -t .", "C0644 -5 x\n", true},
		{"scp -t .", "C0644 99999999999999999999 x\n", true},
		{"scp -t .", "D0755 0 dir\n", true},
		{"scp -t .", "E\n", true},
		{"scp -t .", "Z\n", true},
		{"scp -t .", strings.Repeat("C", 5000) + "\n", true},
		{"scp -r -t .", "D0755 0 ../up\n", true},
	} {
		r := newSCPRaw(t, s, tc.command)
		if a := r.answer(); a != "" {
			t.Fatalf("first answer %q", a)
		}
		r.send(tc.record)
		a := r.answer()
		if tc.fatal && !strings.HasPrefix(a, "2scp: ") {
			t.Errorf("%q: answer %q, want a fatal error", tc.record, a)
		}
		if code := r.exit(); code == 0 {
			t.Errorf("%q: exit 0", tc.record)
		}
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("files appeared in the root: %v", entries)
	}
	for _, name := range []string{"escape", "up"} {
		if _, err := os.Stat(filepath.Join(root, "..", name)); err == nil {
			t.Errorf("%s appeared beside the root", name)
		}
	}
}

// libssh2 (curl) sends no status byte after a file's data and closes
// instead: the file is committed once all its bytes arrived. A client that
// closes before all the bytes arrived commits nothing.
func TestSCPRawSinkWithoutStatusByte(t *testing.T) {
	d, root := sshDir(t)
	s := daemontest.NewSSH(t, d)
	r := newSCPRaw(t, s, "scp -t 'done'")
	r.answer()
	r.send("C0644 4 done\n")
	r.answer()
	r.send("data")
	if code := r.exit(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if b, err := os.ReadFile(filepath.Join(root, "done")); err != nil || string(b) != "data" {
		t.Errorf("committed %q, %v", b, err)
	}
	r = newSCPRaw(t, s, "scp -t 'cut'")
	r.answer()
	r.send("C0644 10 cut\n")
	r.answer()
	r.send("dat")
	if code := r.exit(); code == 0 {
		t.Errorf("a cut upload exited 0")
	}
	if _, err := os.Stat(filepath.Join(root, "cut")); err == nil {
		t.Errorf("a cut upload was committed")
	}
}

// The source sends the base name of what was asked, a T record with -p, a
// D/E pair with -r, and a warning for each missing file.
func TestSCPRawSource(t *testing.T) {
	d, root := sshDir(t)
	sshWriteFile(t, root, "dir/sub/x.bin", []byte("xx"))
	s := daemontest.NewSSH(t, d)
	r := newSCPRaw(t, s, "scp -pf 'dir/sub/x.bin' missing")
	r.send("\x00")
	var got bytes.Buffer
	for range 2 {
		line, _ := r.r.ReadString('\n')
		got.WriteString(line)
		r.send("\x00")
	}
	data := make([]byte, 3)
	if _, err := io.ReadFull(r.r, data); err != nil || string(data) != "xx\x00" {
		t.Fatalf("data %q, %v", data, err)
	}
	r.send("\x00")
	if a := r.answer(); !strings.HasPrefix(a, "1scp: missing: No such file or directory") {
		t.Errorf("missing file: %q", a)
	}
	if code := r.exit(); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := strings.Split(got.String(), "\n")
	if !strings.HasPrefix(lines[0], "T") || lines[1] != "C0644 2 x.bin" {
		t.Errorf("records %q", got.String())
	}

	r = newSCPRaw(t, s, "scp -rf dir")
	r.send("\x00")
	var records []string
	for {
		line, err := r.r.ReadString('\n')
		if err != nil {
			break
		}
		records = append(records, strings.TrimSuffix(line, "\n"))
		r.send("\x00")
		if strings.HasPrefix(line, "C") {
			io.ReadFull(r.r, make([]byte, 3))
			r.send("\x00")
		}
	}
	if want := "D0755 0 dir|D0755 0 sub|C0644 2 x.bin|E|E"; strings.Join(records, "|") != want {
		t.Errorf("records %q, want %q", strings.Join(records, "|"), want)
	}
	if code := r.exit(); code != 0 {
		t.Errorf("scp -rf exit %d", code)
	}
	for _, cmd := range []string{"scp -f dir", "scp -rf ."} {
		r = newSCPRaw(t, s, cmd)
		r.send("\x00")
		if a := r.answer(); !strings.HasPrefix(a, "1scp: ") {
			t.Errorf("%s: %q, want a warning", cmd, a)
		}
		if code := r.exit(); code != 1 {
			t.Errorf("%s: exit %d, want 1", cmd, code)
		}
	}
}

// A download of unknown size is spooled: beyond SpoolMemory to a
// temporary file that leaves nothing behind, and refused beyond MaxSpool.
func TestSCPRawSpool(t *testing.T) {
	spoolDir := t.TempDir()
	small, big := sshRandom(500), sshRandom(5000)
	v := newSSHVirtual(map[string][]byte{"small": small, "big": big})
	s := daemontest.NewSSH(t, v.handler(), func(d *daemon.SSH) {
		d.SpoolMemory = 16
		d.MaxSpool = 1000
		d.SpoolDir = spoolDir
	})
	r := newSCPRaw(t, s, "scp -f small big")
	r.send("\x00")
	if line, _ := r.r.ReadString('\n'); line != "C0644 500 small\n" {
		t.Fatalf("C record %q", line)
	}
	r.send("\x00")
	got := make([]byte, 501)
	if _, err := io.ReadFull(r.r, got); err != nil || !bytes.Equal(got[:500], small) || got[500] != 0 {
		t.Fatalf("spooled data differs: %v", err)
	}
	r.send("\x00")
	if a := r.answer(); !strings.Contains(a, "big: file too large") {
		t.Errorf("a file over MaxSpool: %q", a)
	}
	if code := r.exit(); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if left, _ := os.ReadDir(spoolDir); len(left) != 0 {
		t.Errorf("spool files left: %v", left)
	}
}
