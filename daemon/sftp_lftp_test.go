package daemon_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/daemon/daemontest"
)

// lftpRun runs lftp commands on the server over sftp. Failures end lftp
// with a non-zero status instead of retrying.
func lftpRun(t *testing.T, s *daemontest.SSHServer, dir string, commands ...string) sshResult {
	t.Helper()
	prog := sshNeed(t, "lftp")
	connect := "ssh -a -x " + strings.Join(s.OpenSSHOptions(), " ")
	script := []string{
		"set cmd:fail-exit yes",
		"set net:max-retries 1",
		"set net:timeout 20",
		"set sftp:connect-program " + `"` + connect + `"`,
	}
	script = append(append(script, commands...), "bye")
	url := "sftp://" + s.User + ":x@" + s.Addr().String()
	return sshRun(t, dir, "", prog, "-e", strings.Join(script, "; "), url)
}

func TestLFTP(t *testing.T) {
	for kind, mk := range sshStores() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			st := mk(t)
			spy := newSSHSpy(st.h)
			s := daemontest.NewSSH(t, spy)
			local := t.TempDir()
			var cmds []string
			sums := map[string]string{}
			for name, n := range sshSizes {
				data := sshRandom(n)
				sums[name] = sshSum(data)
				st.put("srv-"+name, data)
				sshWriteFile(t, local, "up-"+name, data)
				cmds = append(cmds, "get srv-"+name+" -o got-"+name, "put up-"+name+" -o /"+st.upload+"put-"+name)
			}
			if res := lftpRun(t, s, local, cmds...); res.code != 0 {
				t.Fatalf("lftp: %v", res)
			}
			for name, sum := range sums {
				if got := sshFileSum(t, filepath.Join(local, "got-"+name)); got != sum {
					t.Errorf("get %s: sha256 %s, want %s", name, got, sum)
				}
				if b, ok := st.got(st.upload + "put-" + name); !ok || sshSum(b) != sum {
					t.Errorf("put %s: %v, sha256 %s, want %s", name, ok, sshSum(b), sum)
				}
			}
			spy.check(t)
		})
	}
}
