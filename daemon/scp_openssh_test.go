package daemon_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/daemon/daemontest"
)

// scpRun runs OpenSSH's scp with the server's options; legacy adds -O.
func scpRun(t *testing.T, s *daemontest.SSHServer, dir string, legacy bool, args ...string) sshResult {
	t.Helper()
	prog := sshNeed(t, "scp")
	opts := append(s.OpenSSHOptions(), sshOpenSSHPort(s)...)
	if legacy {
		opts = append(opts, "-O")
	}
	return sshRun(t, dir, "", prog, append(opts, args...)...)
}

// sshRemote returns "user@127.0.0.1:path".
func sshRemote(s *daemontest.SSHServer, path string) string { return sshTarget(s) + ":" + path }

func TestOpenSSHSCP(t *testing.T) {
	for _, mode := range []struct {
		name   string
		legacy bool
	}{{"sftp", false}, {"legacy", true}} {
		for kind, mk := range sshStores() {
			t.Run(mode.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				st := mk(t)
				spy := newSSHSpy(st.h)
				s := daemontest.NewSSH(t, spy)
				local := t.TempDir()
				for name, n := range sshSizes {
					data := sshRandom(n)
					st.put("srv-"+name, data)
					up := sshWriteFile(t, local, "up-"+name, data)
					if res := scpRun(t, s, local, mode.legacy, sshRemote(s, "srv-"+name), "got-"+name); res.code != 0 {
						t.Fatalf("scp download %s: %v", name, res)
					}
					if got := sshFileSum(t, filepath.Join(local, "got-"+name)); got != sshSum(data) {
						t.Errorf("download %s: sha256 %s, want %s", name, got, sshSum(data))
					}
					if res := scpRun(t, s, local, mode.legacy, up, sshRemote(s, "/"+st.upload+"put-"+name)); res.code != 0 {
						t.Fatalf("scp upload %s: %v", name, res)
					}
					if b, ok := st.got(st.upload + "put-" + name); !ok || sshSum(b) != sshSum(data) {
						t.Errorf("upload %s: %v, sha256 %s, want %s", name, ok, sshSum(b), sshSum(data))
					}
				}
				spy.check(t)
			})
		}
	}
}

// scp -r and -p both ways, in both modes, through a directory.
func TestOpenSSHSCPRecursive(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		name := "sftp"
		if legacy {
			name = "legacy"
		}
		t.Run(name, func(t *testing.T) {
			d, root := sshDir(t)
			spy := newSSHSpy(d)
			s := daemontest.NewSSH(t, spy)
			local := t.TempDir()
			tree := map[string][]byte{
				"tree/a.bin":         sshRandom(1000),
				"tree/empty":         nil,
				"tree/sub/b.bin":     sshRandom(70000),
				"tree/sub/deep/c.tx": []byte("c\n"),
			}
			for p, data := range tree {
				sshWriteFile(t, local, p, data)
			}
			if res := scpRun(t, s, local, legacy, "-r", "-p", "tree", sshRemote(s, "uploaded")); res.code != 0 {
				t.Fatalf("scp -r upload: %v", res)
			}
			old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
			if err := os.Chtimes(filepath.Join(root, "uploaded", "sub", "b.bin"), old, old); err != nil {
				t.Fatal(err)
			}
			if res := scpRun(t, s, local, legacy, "-r", "-p", sshRemote(s, "uploaded"), "back"); res.code != 0 {
				t.Fatalf("scp -r download: %v", res)
			}
			for p, data := range tree {
				rel := p[len("tree/"):]
				if got := sshFileSum(t, filepath.Join(root, "uploaded", rel)); got != sshSum(data) {
					t.Errorf("uploaded %s: sha256 %q, want %s", rel, got, sshSum(data))
				}
				if got := sshFileSum(t, filepath.Join(local, "back", rel)); got != sshSum(data) {
					t.Errorf("downloaded %s: sha256 %q, want %s", rel, got, sshSum(data))
				}
			}
			if fi, err := os.Stat(filepath.Join(local, "back", "sub", "b.bin")); err != nil || !fi.ModTime().Equal(old) {
				t.Errorf("scp -p: downloaded file has mtime %v (%v), want the served file's %v", fi.ModTime(), err, old)
			}
			spy.check(t)
		})
	}
}
