package daemon_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// sftpCheckMode fails the test unless the file at path has mode want.
func sftpCheckMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != want {
		t.Errorf("%s: mode %v (%v), want %v", filepath.Base(path), fi.Mode().Perm(), err, want)
	}
}

// sftpCheckMtime fails the test unless the file at path was modified at want.
func sftpCheckMtime(t *testing.T, path string, want time.Time) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil || !fi.ModTime().Equal(want) {
		t.Errorf("%s: mtime %v (%v), want %v", filepath.Base(path), fi.ModTime(), err, want)
	}
}

var sftpOld = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// chmod and utimes on a Dir change the file on disk: by name, on a
// directory, and on an upload still open (FSETSTAT), whose committed file
// gets them even when it replaces a file of another mode. Setuid bits are
// refused with OP_UNSUPPORTED.
func TestSFTPSetstatApplied(t *testing.T) {
	d, root := sshDir(t)
	f := sshWriteFile(t, root, "f", []byte("12345"))
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := sftpClient(t, daemontest.NewSSH(t, d))
	if err := c.Chmod("f", 0o600); err != nil {
		t.Errorf("chmod: %v", err)
	}
	sftpCheckMode(t, f, 0o600)
	if err := c.Chtimes("f", sftpOld, sftpOld); err != nil {
		t.Errorf("chtimes: %v", err)
	}
	sftpCheckMtime(t, f, sftpOld)
	if err := c.Chmod("sub", 0o700); err != nil {
		t.Errorf("chmod of a directory: %v", err)
	}
	sftpCheckMode(t, filepath.Join(root, "sub"), 0o700)
	if err := c.Chmod("f", os.ModeSetuid|0o755); !sshStatusIs(err, 8) {
		t.Errorf("chmod u+s: %v, want OP_UNSUPPORTED", err)
	}
	sftpCheckMode(t, f, 0o600)

	for name, existing := range map[string]bool{"new": false, "replaced": true} {
		if existing {
			sshWriteFile(t, root, name, []byte("old"))
			if err := os.Chmod(filepath.Join(root, name), 0o640); err != nil {
				t.Fatal(err)
			}
		}
		up, err := c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := up.Write([]byte("uploaded")); err != nil {
			t.Fatal(err)
		}
		if err := up.Chmod(0o604); err != nil {
			t.Errorf("%s: fchmod during the upload: %v", name, err)
		}
		if err := c.Chtimes(name, sftpOld, sftpOld); err != nil {
			t.Errorf("%s: utimes during the upload: %v", name, err)
		}
		if err := up.Close(); err != nil {
			t.Fatalf("%s: close: %v", name, err)
		}
		sftpCheckMode(t, filepath.Join(root, name), 0o604)
		sftpCheckMtime(t, filepath.Join(root, name), sftpOld)
		if b, _ := os.ReadFile(filepath.Join(root, name)); string(b) != "uploaded" {
			t.Errorf("%s: %q", name, b)
		}
	}
}

// What cannot be applied is never answered OK: chmod and utimes on a
// read-only route or a read-only directory are refused with
// PERMISSION_DENIED, on a handler that keeps no modes or times with
// OP_UNSUPPORTED; the file stays as it was.
func TestSFTPSetstatRefused(t *testing.T) {
	readOnlyDir, roRoot := sshDir(t)
	sshWriteFile(t, roRoot, "ro/f", []byte("x"))
	noWrites, nwRoot := sshReadOnlyDir(t)
	sshWriteFile(t, nwRoot, "f", []byte("x"))
	createOnly, coRoot := sshDirWith(t, handlers.WriteCreate)
	sshWriteFile(t, coRoot, "f", []byte("x"))
	mem := handlers.NewMemory()
	mem.Put("f", []byte("x"))
	reg := &registry.Registry{}
	reg.MustRegister("ro/.*", handlers.ReadOnly(readOnlyDir))
	for _, tc := range []struct {
		name string
		h    behaviour.Handler
		file string
		disk string // "" when there is no file on disk to check
		code uint32
	}{
		{"read-only route", reg, "ro/f", filepath.Join(roRoot, "ro", "f"), 3},
		{"read-only directory", noWrites, "f", filepath.Join(nwRoot, "f"), 3},
		{"create-only directory", createOnly, "f", filepath.Join(coRoot, "f"), 3},
		{"memory", mem, "f", "", 8},
	} {
		c := sftpClient(t, daemontest.NewSSH(t, tc.h))
		var before os.FileInfo
		if tc.disk != "" {
			before, _ = os.Stat(tc.disk)
		}
		if err := c.Chmod(tc.file, 0o600); !sftpStatusIs(err, tc.code) {
			t.Errorf("%s: chmod: %v, want status %d", tc.name, err, tc.code)
		}
		if err := c.Chtimes(tc.file, sftpOld, sftpOld); !sftpStatusIs(err, tc.code) {
			t.Errorf("%s: chtimes: %v, want status %d", tc.name, err, tc.code)
		}
		if err := c.Truncate(tc.file, 1); err != nil {
			t.Errorf("%s: truncate to the same size: %v", tc.name, err)
		}
		if tc.disk != "" {
			sftpCheckMode(t, tc.disk, before.Mode().Perm())
			sftpCheckMtime(t, tc.disk, before.ModTime())
		}
	}
}

// OpenSSH's sftp put -p and scp -p (SFTP mode) upload with the local
// file's mode and mtime, which the served directory now has; without -p
// the upload gets the directory's own mode. sftp's chmod on a read-only
// route fails with "Permission denied". An upload with -p to a handler
// that keeps no modes still arrives.
func TestOpenSSHSetstat(t *testing.T) {
	d, root := sshDir(t)
	s := daemontest.NewSSH(t, d)
	local := t.TempDir()
	src := sshWriteFile(t, local, "src", []byte("payload"))
	if err := os.Chmod(src, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(src, sftpOld, sftpOld); err != nil {
		t.Fatal(err)
	}
	if res := sftpBatch(t, s, local, "put -p src put-p\nput src put-plain\n"); res.code != 0 {
		t.Fatalf("sftp put: %v", res)
	}
	if res := scpRun(t, s, local, false, "-p", "src", sshRemote(s, "scp-p")); res.code != 0 {
		t.Fatalf("scp -p: %v", res)
	}
	for _, name := range []string{"put-p", "scp-p"} {
		sftpCheckMode(t, filepath.Join(root, name), 0o600)
		sftpCheckMtime(t, filepath.Join(root, name), sftpOld)
	}
	if fi, err := os.Stat(filepath.Join(root, "put-plain")); err != nil || fi.ModTime().Equal(sftpOld) {
		t.Errorf("put without -p has the source's mtime: %v", err)
	}

	ro := daemontest.NewSSH(t, handlers.ReadOnly(d))
	res := sftpBatch(t, ro, local, "chmod 644 put-p\n")
	if res.code == 0 || !strings.Contains(res.stderr, "Permission denied") {
		t.Errorf("sftp chmod on a read-only route: %v", res)
	}
	sftpCheckMode(t, filepath.Join(root, "put-p"), 0o600)

	mem := handlers.NewMemory()
	m := daemontest.NewSSH(t, mem)
	if res := sftpBatch(t, m, local, "put -p src kept\n"); res.code != 0 {
		t.Errorf("sftp put -p to memory: %v", res)
	}
	if res := scpRun(t, m, local, false, "-p", "src", sshRemote(m, "scp-kept")); res.code != 0 {
		t.Errorf("scp -p to memory: %v", res)
	}
	for _, name := range []string{"kept", "scp-kept"} {
		if b, ok := mem.Get(name); !ok || string(b) != "payload" {
			t.Errorf("%s: %q, %v", name, b, ok)
		}
	}
}

// sftpStatusIs reports whether err is the SFTP status code; pkg/sftp's
// client turns PERMISSION_DENIED into fs.ErrPermission.
func sftpStatusIs(err error, code uint32) bool {
	if code == 3 {
		return errors.Is(err, fs.ErrPermission)
	}
	return sshStatusIs(err, code)
}

// sshReadOnlyDir returns a Dir that refuses every change (WriteNone), as
// filemux serve --root serves without --writable.
func sshReadOnlyDir(t *testing.T) (*handlers.Dir, string) { return sshDirWith(t, handlers.WriteNone) }

func sshDirWith(t *testing.T, policy handlers.WritePolicy) (*handlers.Dir, string) {
	t.Helper()
	root := t.TempDir()
	d, err := handlers.NewDir(root, handlers.DirConfig{Write: policy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, root
}
