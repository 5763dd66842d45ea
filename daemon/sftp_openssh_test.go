package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// sshSizes are the file sizes every client moves both ways.
var sshSizes = map[string]int{"empty": 0, "one": 1, "exact32k": 32 << 10, "big5m": 5 << 20}

// sftpBatch runs OpenSSH's sftp with a batch file and extra options.
func sftpBatch(t *testing.T, s *daemontest.SSHServer, dir, batch string, opts ...string) sshResult {
	t.Helper()
	prog := sshNeed(t, "sftp")
	bf := filepath.Join(dir, "batch")
	if err := os.WriteFile(bf, []byte(batch), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append(append(s.OpenSSHOptions(), sshOpenSSHPort(s)...), opts...), "-b", bf, sshTarget(s))
	return sshRun(t, dir, "", prog, args...)
}

// sshStore is a handler under test with its way of holding files: put
// places a file the client downloads, got returns what the client uploaded.
type sshStore struct {
	h       behaviour.Handler
	put     func(name string, data []byte)
	got     func(name string) ([]byte, bool)
	upload  string // prefix of the names uploads go to
	noStats bool   // the handler cannot stat or list
}

// sshStores returns the handlers every client is tried with: a directory
// with and without random access, the in-memory store, and virtual files
// of unknown size.
func sshStores() map[string]func(*testing.T) sshStore {
	dirStore := func(seq bool) func(*testing.T) sshStore {
		return func(t *testing.T) sshStore {
			d, root := sshDir(t)
			var h behaviour.Handler = d
			if seq {
				h = sequential(d)
			}
			return sshStore{
				h:   h,
				put: func(name string, data []byte) { sshWriteFile(t, root, name, data) },
				got: func(name string) ([]byte, bool) {
					b, err := os.ReadFile(filepath.Join(root, name))
					return b, err == nil
				},
			}
		}
	}
	return map[string]func(*testing.T) sshStore{
		"dir":        dirStore(false),
		"sequential": dirStore(true),
		"memory": func(*testing.T) sshStore {
			m := handlers.NewMemory()
			return sshStore{h: m, put: m.Put, got: m.Get}
		},
		"virtual": func(*testing.T) sshStore {
			files := map[string][]byte{}
			v := newSSHVirtual(files)
			return sshStore{h: v.handler(), put: func(name string, data []byte) { files[name] = data },
				got: v.upload, upload: "up/", noStats: true}
		},
	}
}

func TestOpenSSHSFTPHandlers(t *testing.T) {
	for kind, mk := range sshStores() {
		for _, requests := range []string{"", "64"} {
			t.Run(kind+"/R"+requests, func(t *testing.T) {
				t.Parallel()
				st := mk(t)
				spy := newSSHSpy(st.h)
				s := daemontest.NewSSH(t, spy)
				local := t.TempDir()
				var batch strings.Builder
				sums := map[string]string{}
				for name, n := range sshSizes {
					data := sshRandom(n)
					sums[name] = sshSum(data)
					st.put("srv-"+name, data)
					sshWriteFile(t, local, "up-"+name, data)
					batch.WriteString("get srv-" + name + " got-" + name + "\n")
					batch.WriteString("put up-" + name + " /" + st.upload + "put-" + name + "\n")
				}
				var opts []string
				if requests != "" {
					opts = []string{"-R", requests}
				}
				if res := sftpBatch(t, s, local, batch.String(), opts...); res.code != 0 {
					t.Fatalf("sftp: %v", res)
				}
				for name, sum := range sums {
					if got := sshFileSum(t, filepath.Join(local, "got-"+name)); got != sum {
						t.Errorf("get %s: sha256 %s, want %s", name, got, sum)
					}
					b, ok := st.got(st.upload + "put-" + name)
					if !ok || sshSum(b) != sum {
						t.Errorf("put %s: %v, sha256 %s, want %s", name, ok, sshSum(b), sum)
					}
				}
				spy.check(t)
			})
		}
	}
}

func TestOpenSSHSFTPTemplate(t *testing.T) {
	s := daemontest.NewSSH(t, handlers.Template("hostname {{.Name}} user {{.Transfer.User}} via {{.Transfer.Protocol}}\n"))
	local := t.TempDir()
	if res := sftpBatch(t, s, local, "get /configs/sw-1 sw-1.cfg\n"); res.code != 0 {
		t.Fatalf("sftp: %v", res)
	}
	got, _ := os.ReadFile(filepath.Join(local, "sw-1.cfg"))
	if want := "hostname configs/sw-1 user tester via sftp\n"; string(got) != want {
		t.Errorf("rendered %q, want %q", got, want)
	}
}

// sftp -b runs ls, mkdir, rename, rm and rmdir against a directory, and
// ls of a root that cannot be listed is empty rather than an error.
func TestOpenSSHSFTPCommands(t *testing.T) {
	d, root := sshDir(t)
	sshWriteFile(t, root, "a.txt", []byte("a"))
	sshWriteFile(t, root, "gone.txt", []byte("g"))
	s := daemontest.NewSSH(t, d)
	local := t.TempDir()
	res := sftpBatch(t, s, local, "ls -1\nmkdir newdir\nrename a.txt newdir/b.txt\nrm gone.txt\nls -1 newdir\nmkdir empty\nrmdir empty\n")
	if res.code != 0 {
		t.Fatalf("sftp: %v", res)
	}
	if !strings.Contains(res.stdout, "a.txt") || !strings.Contains(res.stdout, "newdir/b.txt") {
		t.Errorf("ls output lacks the files: %s", res.stdout)
	}
	if b, err := os.ReadFile(filepath.Join(root, "newdir", "b.txt")); err != nil || string(b) != "a" {
		t.Errorf("rename: %q, %v", b, err)
	}
	for _, gone := range []string{"gone.txt", "a.txt", "empty"} {
		if _, err := os.Stat(filepath.Join(root, gone)); err == nil {
			t.Errorf("%s still exists", gone)
		}
	}
	if res := sftpBatch(t, s, local, "rm missing\n"); res.code == 0 {
		t.Errorf("rm of a missing file exited 0")
	}

	v := daemontest.NewSSH(t, newSSHVirtual(nil).handler())
	if res := sftpBatch(t, v, local, "ls\n"); res.code != 0 || strings.TrimSpace(strings.TrimPrefix(res.stdout, "sftp> ls")) != "" {
		t.Errorf("ls of an unlistable root: %v", res)
	}
	if res := sftpBatch(t, v, local, "mkdir x\n"); res.code == 0 {
		t.Errorf("mkdir on a handler without it exited 0")
	}
}
