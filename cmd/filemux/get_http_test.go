package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/internal/peers"
)

// TestGetPutHTTPNginx runs get and put with http:// and https:// URLs
// against a real nginx: the exit statuses of the table, --sha256,
// --max-size, --resume, --ca-file and --password-file.
func TestGetPutHTTPNginx(t *testing.T) {
	n := peers.ServeNginx(t)
	work := t.TempDir()
	data := peers.RandomBytes(200_000)
	writeFile(t, filepath.Join(n.Root, "fw.bin"), data)
	if err := os.Chmod(filepath.Join(n.Root, "fw.bin"), 0o644); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(work, "pw")
	writeFile(t, pw, []byte(n.Password+"\n"))
	hostPort := strings.TrimPrefix(n.URL, "http://")
	tlsHostPort := strings.TrimPrefix(n.TLSURL, "https://")

	o := filemux(t, work, nil, "get", "--sha256", sha(data), n.URL+"/fw.bin").expect(t, statusOK)
	if fileSHA(t, filepath.Join(work, "fw.bin")) != sha(data) || !strings.Contains(o.stderr, "got ") {
		t.Fatalf("get: content differs or no summary (%q)", o.stderr)
	}
	o = filemux(t, work, nil, "get", "--quiet", "--ca-file", n.CAFile, n.TLSURL+"/fw.bin", "-").expect(t, statusOK)
	if sha([]byte(o.stdout)) != sha(data) {
		t.Fatal("get https:// to stdout: content differs")
	}
	writeFile(t, filepath.Join(work, "part.bin"), data[:77_777])
	filemux(t, work, nil, "get", "--resume", "--sha256", sha(data), n.URL+"/fw.bin", "part.bin").expect(t, statusOK)
	if fileSHA(t, filepath.Join(work, "part.bin")) != sha(data) {
		t.Fatal("get --resume: content differs")
	}

	filemux(t, work, nil, "put", "--password-file", pw, "fw.bin", "http://"+n.User+"@"+hostPort+"/upload/").expect(t, statusOK)
	if fileSHA(t, filepath.Join(n.Root, "upload", "fw.bin")) != sha(data) {
		t.Fatal("put: content differs")
	}
	filemux(t, work, []byte("from stdin"), "put", "--ca-file", n.CAFile, "--password-file", pw, "-", "https://"+n.User+"@"+tlsHostPort+"/upload/stdin.txt").expect(t, statusOK)
	if b, _ := os.ReadFile(filepath.Join(n.Root, "upload", "stdin.txt")); string(b) != "from stdin" {
		t.Fatalf("put from stdin over https: %q", b)
	}
	tok := filepath.Join(work, "token")
	writeFile(t, tok, []byte(n.Token+"\n"))
	filemux(t, work, nil, "put", "--token-file", tok, "fw.bin", n.URL+"/token/fw.bin").expect(t, statusOK)
	filemux(t, work, nil, "get", "--token-file", tok, "--sha256", sha(data), n.URL+"/token/fw.bin", "tok.bin").expect(t, statusOK)
	writeFile(t, filepath.Join(work, "big.bin"), make([]byte, peers.NginxMaxBody+1))

	for _, c := range []struct {
		name string
		args []string
		want status
	}{
		{"404", []string{"get", n.URL + "/missing.bin", "x"}, statusNotFound},
		{"401", []string{"get", n.URL + "/private/x", "x"}, statusAccess},
		{"403", []string{"get", n.URL + "/forbidden/x", "x"}, statusAccess},
		{"put without login", []string{"put", "fw.bin", n.URL + "/upload/anon.bin"}, statusAccess},
		{"put without token", []string{"put", "fw.bin", n.URL + "/token/anon.bin"}, statusAccess},
		{"token and user", []string{"get", "--token-file", tok, "--password-file", pw, "http://u@" + hostPort + "/fw.bin", "x"}, statusUsage},
		{"413", []string{"put", "--password-file", pw, "big.bin", "http://" + n.User + "@" + hostPort + "/upload/"}, statusDiskFull},
		{"sha256", []string{"get", "--sha256", sha([]byte("other")), n.URL + "/fw.bin", "x"}, statusIntegrity},
		{"max-size", []string{"get", "--max-size", "1K", n.URL + "/fw.bin", "x"}, statusTooLarge},
		{"unknown CA", []string{"get", n.TLSURL + "/fw.bin", "x"}, statusHostKey},
		{"password in URL", []string{"get", "http://u:p@" + hostPort + "/fw.bin"}, statusUsage},
		{"query", []string{"get", n.URL + "/fw.bin?x=1", "x"}, statusUsage},
		{"resume to stdout", []string{"get", "--resume", n.URL + "/fw.bin", "-"}, statusUsage},
		{"put --resume", []string{"put", "--resume", "fw.bin", n.URL + "/upload/r.bin"}, statusUsage},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := filemux(t, work, nil, c.args...).expect(t, c.want)
			t.Log(o.stderr)
			if _, err := os.Stat(filepath.Join(work, "x")); err == nil {
				t.Error("a failed get left LOCAL behind")
			}
		})
	}
}

// TestGetHTTPHelp shows the HTTP usage for an http:// URL.
func TestGetHTTPHelp(t *testing.T) {
	o := filemux(t, t.TempDir(), nil, "get", "-h", "http://h/f")
	for _, s := range []string{"-token-file", "-ca-file", "-resume", "-sha256", "-insecure", "401 and 403 exit 4"} {
		if !strings.Contains(o.stderr, s) {
			t.Errorf("get -h http:// lacks %q", s)
		}
	}
}
