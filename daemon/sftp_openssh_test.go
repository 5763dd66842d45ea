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
func sshStores(t *testing.T) map[string]func() sshStore {
	dirStore := func(seq bool) func() sshStore {
		return func() sshStore {
			d, root := sshDir(t)
			var h behaviour.Handler = d
			if seq {
				h = sshSequential{d}
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
	return map[string]func() sshStore{
		"dir":        dirStore(false),
		"sequential": dirStore(true),
		"memory": func() sshStore {
			m := handlers.NewMemory()
			return sshStore{h: m, put: m.Put, got: m.Get}
		},
		"virtual": func() sshStore {
			files := map[string][]byte{}
			v := newSSHVirtual(files)
			return sshStore{h: v.handler(), put: func(name string, data []byte) { files[name] = data },
				got: v.upload, upload: "up/", noStats: true}
		},
	}
}

func TestOpenSSHSFTPHandlers(t *testing.T) {
	for kind, mk := range sshStores(t) {
		for _, requests := range []string{"", "64"} {
			t.Run(kind+"/R"+requests, func(t *testing.T) {
				st := mk()
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
