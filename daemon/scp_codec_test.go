package daemon_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/daemon/daemontest"
)

// A record name with a C1 control character (0x85, 0x9b: a terminal acts
// on them as on C0) is refused as a fatal protocol error, as the client
// refuses it, for files and directories alike; nothing is written.
func TestSCPRawSinkRefusesC1(t *testing.T) {
	d, root := sshDir(t)
	s := daemontest.NewSSH(t, d)
	for _, tc := range []struct{ command, record string }{
		{"scp -t .", "C0644 5 a\u0085b\n"},
		{"scp -t .", "C0644 5 x\u009b2J\n"},
		{"scp -r -t .", "D0755 0 d\u009b\n"},
	} {
		r := newSCPRaw(t, s, tc.command)
		if a := r.answer(); a != "" {
			t.Fatalf("first answer %q", a)
		}
		r.send(tc.record)
		if a := r.answer(); !strings.HasPrefix(a, "2scp: protocol error") {
			t.Errorf("%q: answer %q, want a fatal protocol error", tc.record, a)
		}
		if code := r.exit(); code == 0 {
			t.Errorf("%q: exit 0", tc.record)
		}
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("files appeared in the root: %v", entries)
	}
}

// A warning or error byte after a file's data that the client cuts off
// before its line is not the clean end libssh2's missing status byte is:
// the file is not committed and the exit status says so.
func TestSCPRawSinkCutStatusLine(t *testing.T) {
	d, root := sshDir(t)
	s := daemontest.NewSSH(t, d)
	for _, status := range []string{"\x01", "\x02scp: half"} {
		r := newSCPRaw(t, s, "scp -t cut")
		r.answer()
		r.send("C0644 4 cut\n")
		r.answer()
		r.send("data" + status)
		if code := r.exit(); code == 0 {
			t.Errorf("status %q: exit 0", status)
		}
		if _, err := os.Stat(filepath.Join(root, "cut")); err == nil {
			t.Errorf("status %q: the upload was committed", status)
		}
	}
}

// scp -r skips a listed entry whose name holds a C1 control character, as
// it skips one with C0, so a client never sees it in a record; a requested
// path with one is echoed in the warning without it.
func TestSCPRawSourceC1Names(t *testing.T) {
	d, root := sshDir(t)
	sshWriteFile(t, root, "dir/ok", []byte("ok"))
	sshWriteFile(t, root, "dir/x\u009b2J", []byte("no"))
	s := daemontest.NewSSH(t, d)
	r := newSCPRaw(t, s, "scp -rf dir")
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
			data := make([]byte, 3)
			if _, err := io.ReadFull(r.r, data); err != nil || string(data) != "ok\x00" {
				t.Fatalf("data %q, %v", data, err)
			}
			r.send("\x00")
		}
	}
	if want := "D0755 0 dir|C0644 2 ok|E"; strings.Join(records, "|") != want {
		t.Errorf("records %q, want %q", strings.Join(records, "|"), want)
	}
	if code := r.exit(); code != 0 {
		t.Errorf("exit %d", code)
	}

	r = newSCPRaw(t, s, "scp -f 'x\u009b2J'")
	r.send("\x00")
	if a := r.answer(); !strings.HasPrefix(a, "1scp: x?2J: ") {
		t.Errorf("warning %q, want the name without C1", a)
	}
	r.exit()
}
