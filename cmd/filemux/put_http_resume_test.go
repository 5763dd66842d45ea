package main

import (
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// TestPutHTTPResumeRefused: put --resume with an http:// URL is a usage
// error (2) whose message says why, and nothing reaches the server.
func TestPutHTTPResumeRefused(t *testing.T) {
	work := t.TempDir()
	mem := handlers.NewMemory()
	var requests atomic.Int32
	s := daemontest.NewHTTP(t, mem, func(d *daemon.HTTP) {
		d.AnonymousUploads = func(string) bool { return true }
		d.OnRequest = func(daemon.Stats) error { requests.Add(1); return nil }
	})
	writeFile(t, filepath.Join(work, "fw.bin"), []byte("firmware"))
	for _, args := range [][]string{
		{"put", "--resume", "fw.bin", s.URL("fw.bin")},
		{"put", "--resume", "--quiet", "-", s.URL("")},
	} {
		o := filemux(t, work, []byte("x"), args...).expect(t, statusUsage)
		if !strings.Contains(o.stderr, "--resume is not available with http[s]://: a PUT carries the whole file") ||
			!strings.Contains(o.stderr, "no standard way to upload from an offset") {
			t.Errorf("%v: the message does not say why:\n%s", args, o.stderr)
		}
	}
	// Without --resume the same put works: the refusal is the flag's.
	filemux(t, work, nil, "put", "fw.bin", s.URL("fw.bin")).expect(t, statusOK)
	if got, _ := mem.Get("fw.bin"); string(got) != "firmware" || requests.Load() != 1 {
		t.Errorf("fw.bin holds %q after %d requests, want the one put without --resume", got, requests.Load())
	}
	// put -h names the flag and the reason.
	o := filemux(t, work, nil, "put", "-h", "-", "http://h/f")
	if !strings.Contains(o.stderr, "-resume") || !strings.Contains(o.stderr, "There is no\n--resume") {
		t.Errorf("put -h http:// does not explain --resume:\n%s", o.stderr)
	}
}
