package daemontest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/pkg/sftp"
)

// undeclared is a decorator written after the mutating capabilities: it
// declares nothing but Unwrap.
type undeclared struct{ behaviour.Handler }

func (u undeclared) Unwrap() behaviour.Handler { return u.Handler }

// TestSFTPRemoveThroughUndeclaredDecorator runs sftp rm, rename, mkdir and
// chmod over a real socket against a writable directory behind a
// decorator that declares none of them: each is refused and the directory
// is unchanged, while stat still answers.
func TestSFTPRemoveThroughUndeclaredDecorator(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "router-confg"), []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	srv := daemontest.NewSSH(t, undeclared{dir})
	conn, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Stat("/router-confg"); err != nil {
		t.Errorf("stat through the decorator: %v", err)
	}
	if err := c.Remove("/router-confg"); err == nil {
		t.Error("rm through a decorator that declares no Remove succeeded")
	}
	if err := c.Rename("/router-confg", "/moved"); err == nil {
		t.Error("rename through the decorator succeeded")
	}
	if err := c.Mkdir("/new"); err == nil {
		t.Error("mkdir through the decorator succeeded")
	}
	if err := c.Chmod("/router-confg", 0o600); err == nil {
		t.Error("chmod through the decorator succeeded")
	}
	fi, err := os.Stat(filepath.Join(root, "router-confg"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("router-confg after the refusals: %v, %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(root, "new")); err == nil {
		t.Error("mkdir created the directory")
	}
}
