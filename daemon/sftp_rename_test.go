package daemon_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// OpenSSH's sftp renames with posix-rename@openssh.com, which replaces an
// existing target as rename(2) does; a plain SFTP RENAME does not. Both on
// a directory and in memory, and never over a directory.
func TestSFTPPosixRenameReplaces(t *testing.T) {
	d, root := sshDir(t)
	sshWriteFile(t, root, "a.txt", []byte("new"))
	sshWriteFile(t, root, "b.txt", []byte("old"))
	sshWriteFile(t, root, "c.txt", []byte("c"))
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := daemontest.NewSSH(t, d)
	local := t.TempDir()
	if res := sftpBatch(t, s, local, "rename a.txt b.txt\n"); res.code != 0 {
		t.Fatalf("sftp rename onto an existing file: %v %s %s", res, res.stdout, res.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(root, "b.txt")); err != nil || string(b) != "new" {
		t.Errorf("b.txt after rename: %q, %v, want \"new\"", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "a.txt")); err == nil {
		t.Error("a.txt still exists after the rename")
	}
	c := sftpClient(t, s)
	if err := c.Rename("/c.txt", "/b.txt"); err == nil {
		t.Error("a plain RENAME replaced an existing file")
	}
	if err := c.PosixRename("/c.txt", "/dir"); err == nil {
		t.Error("posix-rename replaced a directory")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "b.txt")); string(b) != "new" {
		t.Errorf("b.txt changed by a refused rename: %q", b)
	}

	m := handlers.NewMemory()
	ms := daemontest.NewSSH(t, m)
	mc := sftpClient(t, ms)
	for name, data := range map[string]string{"/x": "x", "/y": "y"} {
		if err := sftpPut(mc, name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := mc.Rename("/x", "/y"); err == nil {
		t.Error("memory: a plain RENAME replaced an existing file")
	}
	if err := mc.PosixRename("/x", "/y"); err != nil {
		t.Fatalf("memory: posix-rename onto an existing file: %v", err)
	}
	if got, err := sftpReadAll(mc, "/y"); err != nil || string(got) != "x" {
		t.Errorf("memory: /y after posix-rename: %q, %v, want \"x\"", got, err)
	}
}
