package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/internal/sshtest"
)

// A server that sends another file than the one asked for: the command
// refuses it with the status of a server that broke the protocol, and
// writes nothing, neither at the local path nor where the name points.
func TestGetSCPHostileServer(t *testing.T) {
	for _, out := range []string{"C0644 5 ../evil.cfg\nhello\x00", "C0644 5 other.cfg\nhello\x00", "D0755 0 x.cfg\n", "C0644 5 x.cfg\x1b[2J\nhello\x00"} {
		addr, kh := sshtest.Server(t, sshtest.Sends(out))
		base := t.TempDir()
		work := filepath.Join(base, "work")
		if err := os.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		pw := filepath.Join(t.TempDir(), "password")
		writeFile(t, pw, []byte("any\n"))
		o := filemux(t, work, nil, "get", "--password-file", pw, "--known-hosts", kh, "scp://u@"+addr+"/dir/x.cfg").expect(t, statusServer)
		if strings.ContainsRune(o.stderr, '\x1b') {
			t.Errorf("stderr passes control characters on: %q", o.stderr)
		}
		for _, dir := range []string{base, work} {
			entries, _ := os.ReadDir(dir)
			if want := map[string]int{base: 1, work: 0}[dir]; len(entries) != want {
				t.Fatalf("%q: left in %s: %v", out, dir, entries)
			}
		}
	}
}
