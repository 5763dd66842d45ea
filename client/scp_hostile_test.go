package client_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/filemux/filemux/behaviour"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/internal/sshtest"
	"golang.org/x/crypto/ssh"
)

// hostileSCP starts a scripted SSH server (sshtest.Server) and returns a
// client for it.
func hostileSCP(t *testing.T, script sshtest.Script) *client.SCP {
	t.Helper()
	addr, kh := sshtest.Server(t, script)
	return &client.SCP{SSH: client.SSH{Addr: addr, User: "u", Password: "p", KnownHostsFile: kh}}
}

// A server that names another file, a path, or an unusable name, that
// sends a directory, an oversized or absurd size, a cut stream or an error
// after the data: each download is refused, and nothing is written at the
// local path or anywhere near it.
func TestSCPHostileServer(t *testing.T) {
	cases := map[string]string{
		"parent":         "C0644 5 ../evil\nhello\x00",
		"path":           "C0644 5 x/y\nhello\x00",
		"dot":            "C0644 5 .\nhello\x00",
		"empty name":     "C0644 5 \nhello\x00",
		"other name":     "C0644 5 other.cfg\nhello\x00",
		"control":        "C0644 5 x.cfg\x1b[2J\nhello\x00",
		"backslash":      "C0644 5 ..\\x.cfg\nhello\x00",
		"directory":      "D0755 0 x.cfg\nC0644 5 x.cfg\nhello\x00E\n",
		"end":            "E\n",
		"oversized":      "C0644 2000000 x.cfg\n" + strings.Repeat("z", 2000000) + "\x00",
		"absurd":         "C0644 99999999999999999 x.cfg\n",
		"negative":       "C0644 -5 x.cfg\nhello\x00",
		"plus":           "C0644 +5 x.cfg\nhello\x00",
		"bad mode":       "C9999 5 x.cfg\nhello\x00",
		"truncated":      "C0644 100 x.cfg\n" + strings.Repeat("z", 50),
		"no status":      "C0644 5 x.cfg\nhello",
		"error status":   "C0644 5 x.cfg\nhello\x02scp: read error\n",
		"two times":      "T1 0 1 0\nT1 0 1 0\nC0644 5 x.cfg\nhello\x00",
		"endless line":   "C0644 5 " + strings.Repeat("x", 5000) + "\n",
		"nothing at all": "",
	}
	for name, out := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := hostileSCP(t, sshtest.Sends(out))
			c.MaxSize = 1 << 20
			base := t.TempDir()
			target := filepath.Join(base, "t", "x.cfg")
			if err := os.Mkdir(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			_, err := c.ReadFile(context.Background(), "dir/x.cfg", target)
			se := assertClass(t, err, client.ErrOther)
			if name == "oversized" && !errors.Is(err, client.ErrTooLarge) {
				t.Errorf("err = %v, want ErrTooLarge", err)
			}
			if strings.ContainsAny(se.Error(), "\x1b\n") {
				t.Errorf("the error passes control characters on: %q", se.Error())
			}
			assertNothingAt(t, target)
			if entries, _ := os.ReadDir(base); len(entries) != 1 {
				t.Fatalf("written next to the target: %v", entries)
			}
			var buf bytes.Buffer
			_, err = c.ReadTo(context.Background(), "dir/x.cfg", &buf)
			assertClass(t, err, client.ErrOther)
			if name != "truncated" && name != "no status" && name != "error status" && buf.Len() != 0 {
				t.Fatalf("%d bytes reached the writer of a refused file", buf.Len())
			}
		})
	}
}

// The same server with a well-formed answer delivers: the refusals above
// are about what they send, not about the server. It also shows that the
// remote path reaches the remote shell quoted.
func TestSCPHostileServerControl(t *testing.T) {
	commands := make(chan string, 1)
	c := hostileSCP(t, func(command string, ch ssh.Channel) {
		commands <- command
		if strings.Contains(command, "-x.cfg") {
			sshtest.Sends("C0600 5 -x.cfg\nhello\x00")(command, ch)
			return
		}
		sshtest.Sends("T1700000000 0 1700000000 0\nC0600 5 it's x.cfg\nhello\x00")(command, ch)
	})
	target := filepath.Join(t.TempDir(), "got.cfg")
	n, err := c.ReadFile(context.Background(), "d i/it's x.cfg", target)
	if err != nil || n.Bytes != 5 {
		t.Fatalf("ReadFile = %d, %v", n.Bytes, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "hello" {
		t.Fatalf("got %q", b)
	}
	if got, want := <-commands, `scp -f 'd i/it'\''s x.cfg'`; got != want {
		t.Fatalf("command %q, want %q", got, want)
	}

	if _, _, err := c.ReadBytes(context.Background(), "-x.cfg"); err != nil {
		t.Fatal(err)
	}
	if got, want := <-commands, `scp -f -- '-x.cfg'`; got != want {
		t.Fatalf("command %q, want %q", got, want)
	}
}

// The server's warning reaches the error as its Message, without the
// control characters it held, and picks the class.
func TestSCPServerMessage(t *testing.T) {
	c := hostileSCP(t, sshtest.Sends("\x01scp: dir/x.cfg: No such file or directory\x1b[0m\n"))
	local := filepath.Join(t.TempDir(), "x.cfg")
	_, err := c.ReadFile(context.Background(), "dir/x.cfg", local)
	se := assertClass(t, err, behaviour.ErrNotFound)
	if se.Message != "scp: dir/x.cfg: No such file or directory?[0m" {
		t.Fatalf("Message = %q", se.Message)
	}
	assertNothingAt(t, local)

	c = hostileSCP(t, func(_ string, ch ssh.Channel) { // scp -t speaks first
		_, _ = io.WriteString(ch, "\x01scp: /etc/x.cfg: Permission denied\n")
	})
	_, err = c.WriteBytes(context.Background(), "/etc/x.cfg", []byte("x"))
	assertClass(t, err, behaviour.ErrAccessViolation)

	c = hostileSCP(t, func(_ string, ch ssh.Channel) {
		_, _ = io.WriteString(ch.Stderr(), "sh: 1: scp: not found\n")
	})
	_, _, err = c.ReadBytes(context.Background(), "x.cfg")
	se = assertClass(t, err, client.ErrOther)
	if se.Message != "sh: 1: scp: not found" {
		t.Fatalf("a server without scp: Message = %q", se.Message)
	}
}

// A download stalled after its file record ends with ErrTimeout after
// IdleTimeout or TransferTimeout, and a cancelled context ends it at once;
// none leaves a file.
func TestSCPStalledServer(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	c := hostileSCP(t, func(_ string, ch ssh.Channel) {
		var b [1]byte
		_, _ = io.ReadFull(ch, b[:])
		_, _ = io.WriteString(ch, "C0644 100 x.cfg\nabc")
		<-release
	})
	c.IdleTimeout = 200 * time.Millisecond
	local := filepath.Join(t.TempDir(), "x.cfg")
	_, err := c.ReadFile(context.Background(), "x.cfg", local)
	assertClass(t, err, client.ErrTimeout)
	assertNothingAt(t, local)

	c.IdleTimeout, c.TransferTimeout = 0, 300*time.Millisecond
	_, err = c.ReadFile(context.Background(), "x.cfg", local)
	assertClass(t, err, client.ErrTimeout)
	assertNothingAt(t, local)

	c.TransferTimeout = 0
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err = c.ReadFile(ctx, "x.cfg", local)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("cancelled: %v after %v", err, time.Since(start))
	}
	assertNothingAt(t, local)
}

// A refused file record is answered with a fatal error line, never with
// the \0 that would ask for the data, as OpenSSH's scp answers one.
func TestSCPRefusalReachesServer(t *testing.T) {
	answers := make(chan string, 1)
	c := hostileSCP(t, func(_ string, ch ssh.Channel) {
		var b [1]byte
		_, _ = io.ReadFull(ch, b[:])
		_, _ = io.WriteString(ch, "C0644 5 ../evil\n")
		got, _ := io.ReadAll(io.LimitReader(ch, 200))
		answers <- string(got)
	})
	_, _, err := c.ReadBytes(context.Background(), "x.cfg")
	assertClass(t, err, client.ErrOther)
	got := <-answers
	if !strings.HasPrefix(got, "\x02scp: ") || !strings.Contains(got, "not a plain name") || !strings.HasSuffix(got, "\n") {
		t.Fatalf("the client answered %q", got)
	}
}
