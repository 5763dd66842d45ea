package daemon_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/daemon/daemontest"
)

// TestSFTPWriteWithoutTruncate: an upload opened on an existing file
// without TRUNC continues the file when its first write is at or past the
// old end (a resume at an offset, as pkg/sftp clients write), and replaces it
// when it starts at 0 (OpenSSH's scp in SFTP mode), with pkg/sftp's writes
// in flight out of order. The old bytes are never lost or read as zeros.
func TestSFTPWriteWithoutTruncate(t *testing.T) {
	d, root := sshDir(t)
	s := daemontest.NewSSH(t, d)
	c := sftpClient(t, s)
	old := sshRandom(300_000)
	more := sshRandom(200_000)
	shorter := sshRandom(50_000)
	write := func(data []byte, off int64, flags int) {
		t.Helper()
		f, err := c.OpenFile("/f", flags)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, want []byte) {
		t.Helper()
		got, err := os.ReadFile(filepath.Join(root, "f"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes on disk, want %d (same length: %v)", what, len(got), len(want), len(got) == len(want))
		}
	}
	write(old, 0, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	check("first upload", old)

	write(more, int64(len(old)), os.O_WRONLY)
	check("resume at the old end", append(append([]byte(nil), old...), more...))

	write(shorter, 0, os.O_WRONLY|os.O_CREATE)
	check("rewrite from 0 without TRUNC", shorter)

	gap := int64(len(shorter)) + 1000
	write(more, gap, os.O_WRONLY)
	want := append(append(append([]byte(nil), shorter...), make([]byte, 1000)...), more...)
	check("write past the old end", want)
}

// OpenSSH's sftp reput sends the rest of a local file that the server holds
// the start of (it opens with APPEND and writes from the remote size): the
// file on disk is whole afterwards.
func TestOpenSSHSFTPReput(t *testing.T) {
	d, root := sshDir(t)
	s := daemontest.NewSSH(t, d)
	local := t.TempDir()
	full := sshRandom(3<<20 + 123)
	if err := os.WriteFile(filepath.Join(local, "big.bin"), full, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "big.bin"), full[:1<<20], 0o644); err != nil {
		t.Fatal(err)
	}
	if res := sftpBatch(t, s, local, "reput big.bin /big.bin\n"); res.code != 0 {
		t.Fatalf("sftp reput: %v", res)
	}
	got, err := os.ReadFile(filepath.Join(root, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, full) {
		t.Fatalf("after reput: %d bytes, want %d (the start lost or zeroed: %v)", len(got), len(full), len(got) == len(full))
	}
}
