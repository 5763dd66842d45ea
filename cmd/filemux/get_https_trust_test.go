package main

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// TestGetPutHTTPSUntrusted runs get and put against filemux's own HTTPS
// server, whose certificate a CA made in the test signed: without that CA
// (the system's roots), with another CA, and by a name the certificate
// does not hold, each exits 11 with a message that says the certificate
// is the reason; with the CA both succeed.
func TestGetPutHTTPSUntrusted(t *testing.T) {
	work := t.TempDir()
	ca, cert, key := peers.TLSFiles(t, t.TempDir())
	otherCA, _, _ := peers.TLSFiles(t, t.TempDir())
	mem := handlers.NewMemory()
	mem.Put("fw.bin", []byte("firmware"))
	s := daemontest.NewHTTP(t, mem, func(d *daemon.HTTP) {
		d.TLSCertFile, d.TLSKeyFile = cert, key
		d.AnonymousUploads = func(string) bool { return true }
	})
	url := s.URL("fw.bin")
	writeFile(t, filepath.Join(work, "up.txt"), []byte("upload"))
	byName := "https://" + net.JoinHostPort("localhost", strconv.Itoa(int(s.Addr().Port()))) + "/fw.bin"

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"get, system roots", []string{"get", url, "got.bin"}, "signed by no CA the client trusts"},
		{"get, another CA", []string{"get", "--ca-file", otherCA, url, "got.bin"}, "signed by no CA the client trusts"},
		{"get, another name", []string{"get", "--ca-file", ca, byName, "got.bin"}, "certificate is not for localhost"},
		{"put, system roots", []string{"put", "up.txt", url}, "signed by no CA the client trusts"},
		{"put, another CA", []string{"put", "--ca-file", otherCA, "up.txt", url}, "signed by no CA the client trusts"},
	} {
		o := filemux(t, work, nil, c.args...)
		t.Logf("%s: exit %d: %s", c.name, o.status, o.stderr)
		if o.status != int(statusHostKey) || !strings.Contains(o.stderr, c.want) || !strings.Contains(o.stderr, "x509: ") {
			t.Errorf("%s: exit %d, want %d with %q; stderr:\n%s", c.name, o.status, statusHostKey, c.want, o.stderr)
		}
		if strings.Contains(o.stderr, "panic") {
			t.Errorf("%s: %s", c.name, o.stderr)
		}
	}
	if got, _ := mem.Get("fw.bin"); string(got) != "firmware" {
		t.Errorf("a refused put reached the server: fw.bin holds %q", got)
	}
	filemux(t, work, nil, "get", "--ca-file", ca, url, "got.bin").expect(t, statusOK)
	filemux(t, work, nil, "put", "--ca-file", ca, "up.txt", url).expect(t, statusOK)
	if got, _ := mem.Get("fw.bin"); string(got) != "upload" {
		t.Errorf("put with the CA: fw.bin holds %q", got)
	}
}
