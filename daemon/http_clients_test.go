package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// httpCurl runs curl, never through a proxy nor with a user's curlrc.
func httpCurl(t *testing.T, dir string, args ...string) sshResult {
	t.Helper()
	prog := sshNeed(t, "curl")
	return sshRun(t, dir, "", prog, append([]string{"-q", "-sS", "--noproxy", "*"}, args...)...)
}

// httpWget runs wget, never through a proxy nor with a user's wgetrc.
func httpWget(t *testing.T, dir string, args ...string) sshResult {
	t.Helper()
	prog := sshNeed(t, "wget")
	return sshRun(t, dir, "", prog, append([]string{"--no-config", "--no-proxy", "-q"}, args...)...)
}

// httpDirServer serves a directory holding data as "srv/file.bin", and
// the same bytes from memory as "mem.bin" through a handler without
// random access.
func httpDirServer(t *testing.T, data []byte) *daemontest.HTTPServer {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "srv", "file.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	dir, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return daemontest.NewHTTP(t, dir)
}

func TestCurlHTTP(t *testing.T) {
	data := sshRandom(3<<20 + 17)
	s := httpDirServer(t, data)
	local := t.TempDir()
	if res := httpCurl(t, local, "-f", "-o", "got", s.URL("srv/file.bin")); res.code != 0 {
		t.Fatalf("curl GET: %v", res)
	}
	if got := sshFileSum(t, filepath.Join(local, "got")); got != sshSum(data) {
		t.Errorf("GET: sha256 %s, want %s", got, sshSum(data))
	}
	res := httpCurl(t, local, "-f", "-I", s.URL("srv/file.bin"))
	if res.code != 0 || !strings.Contains(strings.ToLower(res.stdout), "content-length: 3145745") {
		t.Errorf("curl HEAD: %v", res)
	}
	if res := httpCurl(t, local, "-f", "-r", "1000-1999", "-o", "part", s.URL("srv/file.bin")); res.code != 0 {
		t.Fatalf("curl range: %v", res)
	}
	if got := sshFileSum(t, filepath.Join(local, "part")); got != sshSum(data[1000:2000]) {
		t.Errorf("range: sha256 %s, want %s", got, sshSum(data[1000:2000]))
	}
	// curl -R keeps the Last-Modified time; -z with that file then sends
	// If-Modified-Since and gets a 304.
	res = httpCurl(t, local, "-f", "-R", "-o", "stamped", s.URL("srv/file.bin"))
	if res.code != 0 {
		t.Fatalf("curl -R: %v", res)
	}
	res = httpCurl(t, local, "-f", "-z", filepath.Join(local, "stamped"), "-w", "%{http_code}", "-o", "again", s.URL("srv/file.bin"))
	if res.code != 0 || res.stdout != "304" {
		t.Errorf("curl conditional GET: %v, want 304", res)
	}
	res = httpCurl(t, local, "-w", "%{http_code}", "-o", "/dev/null", s.URL("srv/missing"))
	if res.stdout != "404" {
		t.Errorf("curl missing: %v, want 404", res)
	}
	res = httpCurl(t, local, "--path-as-is", "-w", "%{http_code}", "-o", "/dev/null", s.URL("srv/../../etc/passwd"))
	if res.stdout != "403" {
		t.Errorf("curl traversal: %v, want 403", res)
	}
}

func TestWgetHTTP(t *testing.T) {
	data := sshRandom(1<<20 + 3)
	s := httpDirServer(t, data)
	local := t.TempDir()
	if res := httpWget(t, local, "-O", "got", s.URL("srv/file.bin")); res.code != 0 {
		t.Fatalf("wget GET: %v", res)
	}
	if got := sshFileSum(t, filepath.Join(local, "got")); got != sshSum(data) {
		t.Errorf("GET: sha256 %s, want %s", got, sshSum(data))
	}
	// wget -c resumes a partial file with a range request.
	if err := os.WriteFile(filepath.Join(local, "part"), data[:4096], 0o644); err != nil {
		t.Fatal(err)
	}
	if res := httpWget(t, local, "-c", "-O", "part", s.URL("srv/file.bin")); res.code != 0 {
		t.Fatalf("wget -c: %v", res)
	}
	if got := sshFileSum(t, filepath.Join(local, "part")); got != sshSum(data) {
		t.Errorf("resumed: sha256 %s, want %s", got, sshSum(data))
	}
	if res := httpWget(t, local, "-O", "none", s.URL("srv/missing")); res.code != 8 {
		t.Errorf("wget missing: %v, want exit 8 (server error response)", res)
	}
}
