package daemon_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/pkg/sftp"
)

// sshHalfway serves files of 5 MiB that fail after 1 MiB, and takes
// uploads that fail after 1 MiB: no transfer can succeed. known says
// whether reads announce their size.
type sshHalfway struct {
	behaviour.Base
	known   bool
	commits atomic.Int32
}

const (
	sshHalfSize   = 5 << 20
	sshHalfFailAt = 1 << 20
)

var errSSHHalfway = behaviour.NewError(behaviour.CodeDiskFull, "broke halfway")

func (h *sshHalfway) Open(_ context.Context, t *behaviour.Transfer) error {
	if t.Access == behaviour.Read && h.known {
		t.SetSize(sshHalfSize)
	}
	t.State = new(int)
	return nil
}

// Stat describes every file as a regular file, so that clients need no
// probe.
func (h *sshHalfway) Stat(_ context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	size := int64(0)
	if h.known {
		size = sshHalfSize
	}
	return behaviour.FileInfo{FileName: path.Base(t.Name), FileSize: size, FileMode: 0o644}, nil
}

func (h *sshHalfway) Read(t *behaviour.Transfer, p []byte) (int, error) {
	done := t.State.(*int)
	if *done >= sshHalfFailAt {
		return 0, errSSHHalfway
	}
	n := min(len(p), sshHalfFailAt-*done)
	*done += n
	return n, nil
}

func (h *sshHalfway) Write(t *behaviour.Transfer, p []byte, last bool) error {
	done := t.State.(*int)
	if *done += len(p); *done > sshHalfFailAt {
		return errSSHHalfway
	}
	if last {
		h.commits.Add(1)
	}
	return nil
}

// Every client exits non-zero when the handler fails halfway; the
// handler sees exactly one Abort and no commit.
func TestClientsHandlerFailsHalfway(t *testing.T) {
	for name, cl := range sshClients {
		for _, known := range []bool{true, false} {
			t.Run(name+sshKnown(known), func(t *testing.T) {
				t.Parallel()
				h := &sshHalfway{known: known}
				spy := newSSHSpy(h)
				s := daemontest.NewSSH(t, spy)
				local := t.TempDir()
				if res := cl.get(t, s, local, "file", "got"); res.code == 0 {
					t.Errorf("get exited 0: %v", res)
				}
				spy.waitCounts(t, 0, 1)
				up := sshWriteFile(t, local, "up", sshRandom(sshHalfSize))
				if res := cl.put(t, s, local, up, "put"); res.code == 0 {
					t.Errorf("put exited 0: %v", res)
				}
				spy.waitCounts(t, 0, 2)
				spy.check(t)
				if n := h.commits.Load(); n != 0 {
					t.Errorf("%d commits", n)
				}
			})
		}
	}
}

func sshKnown(known bool) string {
	if known {
		return "/known-size"
	}
	return "/unknown-size"
}

// A missing file and a refused upload fail every client, and nothing is
// written.
func TestClientsMissingAndRefused(t *testing.T) {
	root := t.TempDir()
	sshWriteFile(t, root, "present", []byte("here"))
	ro := handlers.MustDir(root) // read-only
	t.Cleanup(func() { ro.Close() })
	for name, cl := range sshClients {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spy := newSSHSpy(ro)
			s := daemontest.NewSSH(t, spy)
			local := t.TempDir()
			if res := cl.get(t, s, local, "missing", "got"); res.code == 0 {
				t.Errorf("get of a missing file exited 0: %v", res)
			}
			if _, err := os.Stat(filepath.Join(local, "got")); err == nil && name != "curl-sftp" && name != "curl-scp" {
				t.Errorf("get of a missing file left a local file")
			}
			up := sshWriteFile(t, local, "up", []byte("refused"))
			if res := cl.put(t, s, local, up, "refused"); res.code == 0 {
				t.Errorf("put to a read-only directory exited 0: %v", res)
			}
			if _, err := os.Stat(filepath.Join(root, "refused")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("refused upload exists: %v", err)
			}
			spy.check(t)
		})
	}
}

// Names that try to leave the root stay inside it: "..", absolute paths
// and a link pointing outside.
func TestClientsTraversal(t *testing.T) {
	outside := t.TempDir()
	sshWriteFile(t, outside, "secret", []byte("outside the root"))
	d, root := sshDir(t)
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "link")); err != nil {
		t.Skipf("no symbolic links: %v", err)
	}
	rel, err := filepath.Rel(root, filepath.Join(outside, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	for name, cl := range sshClients {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := daemontest.NewSSH(t, d)
			local := t.TempDir()
			for _, remote := range []string{rel, "../../../../../../../../" + outside + "/secret", "link"} {
				res := cl.get(t, s, local, remote, "got")
				if b, err := os.ReadFile(filepath.Join(local, "got")); err == nil && string(b) == "outside the root" {
					t.Errorf("get %q read the file outside the root: %v", remote, res)
				}
				if res.code == 0 {
					t.Errorf("get %q exited 0: %v", remote, res)
				}
			}
			up := sshWriteFile(t, local, "evil", []byte("evil"))
			_ = cl.put(t, s, local, up, "../../../../"+filepath.Base(outside)+"/evil")
			if _, err := os.Stat(filepath.Join(outside, "evil")); err == nil {
				t.Errorf("an upload left the root")
			}
		})
	}
}

// pkg/sftp sees the status codes it maps to Go errors.
func TestPkgSFTPClientErrors(t *testing.T) {
	root := t.TempDir()
	ro := handlers.MustDir(root)
	t.Cleanup(func() { ro.Close() })
	s := daemontest.NewSSH(t, ro)
	c := sftpClient(t, s)
	if _, err := c.Open("missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("open of a missing file: %v, want os.ErrNotExist", err)
	}
	if _, err := c.Stat("missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of a missing file: %v, want os.ErrNotExist", err)
	}
	if _, err := c.Create("new"); !errors.Is(err, os.ErrPermission) {
		t.Errorf("create in a read-only directory: %v, want os.ErrPermission", err)
	}
	if err := c.Symlink("a", "b"); !sshStatusIs(err, 8) {
		t.Errorf("symlink: %v, want OP_UNSUPPORTED", err)
	}
	if _, err := sftpReadAll(c, "/"); err == nil {
		t.Errorf("reading the root as a file succeeded")
	}
}

// sshStatusIs reports whether err is an SFTP status with code.
func sshStatusIs(err error, code uint32) bool {
	var st *sftp.StatusError
	return errors.As(err, &st) && st.Code == code
}
