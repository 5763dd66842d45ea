package daemon_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/daemon/daemontest"
	"golang.org/x/crypto/ssh"
)

// curlRun runs curl against the server with the test key, checking the
// host key by its SHA-256 fingerprint.
func curlRun(t *testing.T, s *daemontest.SSHServer, dir string, args ...string) sshResult {
	t.Helper()
	prog := sshNeed(t, "curl")
	fp := strings.TrimPrefix(ssh.FingerprintSHA256(s.HostKey), "SHA256:")
	opts := []string{"-sS", "--key", s.KeyFile, "--pubkey", s.KeyFile + ".pub", "--hostpubsha256", fp}
	return sshRun(t, dir, "", prog, append(opts, args...)...)
}

func TestCurlSFTPAndSCP(t *testing.T) {
	for _, scheme := range []string{"sftp", "scp"} {
		for kind, mk := range sshStores() {
			t.Run(scheme+"/"+kind, func(t *testing.T) {
				t.Parallel()
				st := mk(t)
				spy := newSSHSpy(st.h)
				s := daemontest.NewSSH(t, spy)
				local := t.TempDir()
				for name, n := range sshSizes {
					data := sshRandom(n)
					st.put("srv-"+name, data)
					up := sshWriteFile(t, local, "up-"+name, data)
					if res := curlRun(t, s, local, "-o", "got-"+name, s.URL(scheme, "srv-"+name)); res.code != 0 {
						t.Fatalf("curl download %s: %v", name, res)
					}
					if got := sshFileSum(t, filepath.Join(local, "got-"+name)); got != sshSum(data) {
						t.Errorf("download %s: sha256 %s, want %s", name, got, sshSum(data))
					}
					if res := curlRun(t, s, local, "-T", up, s.URL(scheme, st.upload+"put-"+name)); res.code != 0 {
						t.Fatalf("curl upload %s: %v", name, res)
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
