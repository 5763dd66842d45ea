package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
	"github.com/filemux/filemux/registry"
)

// The users of filemux's own HTTP server in these tests: alice logs in
// with a password checked against a bcrypt htpasswd file, bob with a
// bearer token from a token file.
const (
	httpOwnUser     = "alice"
	httpOwnPassword = "correct horse battery"
	httpOwnTokenFor = "bob"
	httpOwnToken    = "0123456789abcdef-bob-token"
	httpOwnMaxSize  = 1 << 20 // the daemon's MaxSize
	httpOwnSmall    = 10_000  // the small/ Memory's MaxTotal
)

// httpOwnAuth is a daemontest option that writes the password and token
// files and gives them to the server.
func httpOwnAuth(t *testing.T) daemontest.HTTPOption {
	t.Helper()
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(httpOwnPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	pw, tok := filepath.Join(dir, "htpasswd"), filepath.Join(dir, "tokens")
	if err := os.WriteFile(pw, []byte(httpOwnUser+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tok, []byte(httpOwnTokenFor+":"+httpOwnToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(d *daemon.HTTP) { d.PasswordFile, d.TokenFile = pw, tok }
}

// httpOwnServer is filemux's daemon.HTTP over a registry: refuse/ (the
// refusals of the one-error table), small/ (a Memory of httpOwnSmall
// bytes at most: a full disk) and everything else from a writable Dir,
// whose root it returns; uploads need alice or bob, and MaxSize is
// httpOwnMaxSize.
func httpOwnServer(t *testing.T) (*daemontest.HTTPServer, string, *httpOwnFailures) {
	t.Helper()
	root := t.TempDir()
	d, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny, MakeParents: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	small, err := handlers.NewMemoryWith(handlers.MemoryConfig{Write: handlers.WriteAny, MaxTotal: httpOwnSmall})
	if err != nil {
		t.Fatal(err)
	}
	var r registry.Registry
	for _, route := range []struct {
		pattern string
		h       behaviour.Handler
	}{{`refuse/.*`, refusing{}}, {`small/.*`, small}, {`.*`, d}} {
		if err := r.Register(route.pattern, route.h); err != nil {
			t.Fatal(err)
		}
	}
	failed := &httpOwnFailures{}
	s := daemontest.NewHTTP(t, &r, httpOwnAuth(t), func(d *daemon.HTTP) {
		d.MaxSize = httpOwnMaxSize
		d.OnFailure = failed.add
	})
	return s, root, failed
}

// httpOwnFailures keeps the daemon's failed transfers.
type httpOwnFailures struct {
	mu    sync.Mutex
	stats []daemon.Stats
}

func (f *httpOwnFailures) add(s daemon.Stats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats = append(f.stats, s)
}

// of returns the failures of the named file.
func (f *httpOwnFailures) of(name string) []daemon.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []daemon.Stats
	for _, s := range f.stats {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// httpOwnQuiet waits until the server runs no transfer, so that what an
// aborted upload left can be looked at.
func httpOwnQuiet(t *testing.T, s *daemontest.HTTPServer) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(s.HTTP.Active()) > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("transfers still running: %+v", s.HTTP.Active())
		}
	}
}

// httpOwnFiles lists every file under root, temporary files included.
func httpOwnFiles(t *testing.T, root string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			names = append(names, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// sized gives a reader a Len, so that client.HTTP sends a Content-Length.
type sized struct {
	io.Reader
	n int
}

func (s sized) Len() int { return s.n }

// wantStatus checks that err is a *client.Error of class class whose
// cause is the server's status code.
func wantStatus(t *testing.T, err error, code int, class error) {
	t.Helper()
	wantClass(t, err, class)
	var se *client.StatusError
	if !errors.As(err, &se) || se.Code != code {
		t.Errorf("%v: want the status %d", err, code)
	}
}

// TestHTTPOwnDaemon runs client.HTTP against filemux's own daemon.HTTP
// over loopback: downloads and uploads with basic auth (bcrypt) and a
// bearer token, atomic uploads on the server, ranges and resume, and the
// classes of the server's refusals.
func TestHTTPOwnDaemon(t *testing.T) {
	s, root, failed := httpOwnServer(t)
	ctx := context.Background()
	url := s.URL("")
	_, sum := peers.RandomFile(t, root, "boot.bin", 300_000)
	data, err := os.ReadFile(filepath.Join(root, "boot.bin"))
	if err != nil {
		t.Fatal(err)
	}
	verify, _ := client.ParseChecksum(client.SHA256, sum)
	alice := &client.HTTP{URL: url, User: httpOwnUser, Password: httpOwnPassword}
	bob := &client.HTTP{URL: url, Token: httpOwnToken}

	t.Run("ReadFile", func(t *testing.T) {
		var last client.Progress
		c := &client.HTTP{URL: url, Verify: verify, Progress: func(p client.Progress) { last = p }}
		dst := filepath.Join(t.TempDir(), "boot.bin")
		res, err := c.ReadFile(ctx, "boot.bin", dst)
		if err != nil {
			t.Fatal(err)
		}
		if got := peers.SHA256File(dst); got != sum || res.Bytes != int64(len(data)) || res.Protocol != behaviour.HTTP {
			t.Errorf("sha256 %s (want %s), result %+v", got, sum, res)
		}
		if last.Total != int64(len(data)) {
			t.Errorf("progress total %d, want %d (the daemon's Content-Length)", last.Total, len(data))
		}
		// With credentials too: a read needs none, but right ones are fine.
		if got, _, err := bob.ReadBytes(ctx, "boot.bin"); err != nil || !bytes.Equal(got, data) {
			t.Errorf("GET with the token: %d bytes, %v", len(got), err)
		}
	})

	t.Run("WriteFile", func(t *testing.T) {
		src, sent := peers.RandomFile(t, t.TempDir(), "cfg.txt", 200_000)
		for who, c := range map[string]*client.HTTP{"password": alice, "token": bob} {
			res, err := c.WriteFile(ctx, "up/"+who+"/cfg.txt", src)
			if err != nil {
				t.Fatalf("%s: %v", who, err)
			}
			if got := peers.SHA256File(filepath.Join(root, "up", who, "cfg.txt")); got != sent || res.Bytes != 200_000 {
				t.Errorf("%s: uploaded %d bytes, sha256 %s, want %s", who, res.Bytes, got, sent)
			}
		}
		if _, err := alice.WriteFrom(ctx, "up/stream", struct{ io.Reader }{strings.NewReader("chunked")}); err != nil {
			t.Errorf("an upload of unknown size: %v", err)
		}
		if _, err := alice.WriteBytes(ctx, "up/empty", nil); err != nil {
			t.Errorf("an empty upload: %v", err)
		}
		for name, want := range map[string]string{"stream": "chunked", "empty": ""} {
			if b, err := os.ReadFile(filepath.Join(root, "up", name)); err != nil || string(b) != want {
				t.Errorf("up/%s holds %q (%v), want %q", name, b, err, want)
			}
		}
	})

	t.Run("AtomicUpload", func(t *testing.T) {
		// A source that breaks part way, with a Content-Length and chunked,
		// new and over an existing file; and one past MaxSize that does
		// not say its size. None leaves anything visible on the server:
		// no new file, no temporary file, the old file as it was.
		keep := filepath.Join(root, "atomic", "keep.bin")
		if _, err := alice.WriteBytes(ctx, "atomic/keep.bin", []byte("old contents")); err != nil {
			t.Fatal(err)
		}
		before := httpOwnFiles(t, root)
		for i, body := range []io.Reader{
			sized{&failingReader{n: 100_000}, 300_000},
			&failingReader{n: 100_000},
		} {
			for _, name := range []string{fmt.Sprintf("atomic/new%d.bin", i), "atomic/keep.bin"} {
				if _, err := alice.WriteFrom(ctx, name, body); err == nil {
					t.Errorf("%s: an upload whose source broke succeeded", name)
				}
				body = &failingReader{n: 100_000}
			}
		}
		_, err := alice.WriteFrom(ctx, "atomic/huge.bin", io.LimitReader(zeros{}, httpOwnMaxSize+100_000))
		wantStatus(t, err, 413, behaviour.ErrDiskFull)
		httpOwnQuiet(t, s)
		if after := httpOwnFiles(t, root); strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("failed uploads left files:\nbefore %q\nafter  %q", before, after)
		}
		// The uploads did reach the handler before they failed. The
		// server may end a transfer whose client broke off after the
		// client has moved on, so its report is waited for.
		for _, name := range []string{"atomic/new0.bin", "atomic/new1.bin", "atomic/keep.bin", "atomic/huge.bin"} {
			fs := failed.of(name)
			for deadline := time.Now().Add(5 * time.Second); len(fs) == 0 && time.Now().Before(deadline); fs = failed.of(name) {
				time.Sleep(time.Millisecond)
			}
			if len(fs) == 0 {
				t.Errorf("%s: the daemon saw no failed upload", name)
			}
			for _, st := range fs {
				if st.Access != behaviour.Write || st.Bytes == 0 {
					t.Errorf("%s: the daemon's failure %+v moved no data", name, st)
				}
			}
		}
		if b, _ := os.ReadFile(keep); string(b) != "old contents" {
			t.Errorf("a failed upload over keep.bin left %d bytes", len(b))
		}
	})

	t.Run("Ranges", func(t *testing.T) {
		var buf bytes.Buffer
		if _, err := (&client.HTTP{URL: url}).ReadRange(ctx, "boot.bin", 1000, 2000, &buf); err != nil || !bytes.Equal(buf.Bytes(), data[1000:2000]) {
			t.Errorf("ReadRange 1000-2000: %d bytes, %v", buf.Len(), err)
		}
		buf.Reset()
		if _, err := (&client.HTTP{URL: url}).ReadRange(ctx, "boot.bin", 299_990, -1, &buf); err != nil || !bytes.Equal(buf.Bytes(), data[299_990:]) {
			t.Errorf("ReadRange to the end: %d bytes, %v", buf.Len(), err)
		}
		_, err := (&client.HTTP{URL: url}).ReadRange(ctx, "boot.bin", 400_000, -1, &buf)
		wantStatus(t, err, 416, client.ErrOther)
	})

	t.Run("Resume", func(t *testing.T) {
		c := &client.HTTP{URL: url, Verify: verify}
		dst := filepath.Join(t.TempDir(), "boot.bin")
		if err := os.WriteFile(dst, data[:123_456], 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := c.ResumeReadFile(ctx, "boot.bin", dst)
		if err != nil || res.Bytes != int64(len(data)-123_456) {
			t.Fatalf("resume: %+v, %v", res, err)
		}
		if got := peers.SHA256File(dst); got != sum {
			t.Errorf("resumed file sha256 %s, want %s", got, sum)
		}
		// Complete already: the daemon's 416 names the size; nothing moves.
		if res, err := c.ResumeReadFile(ctx, "boot.bin", dst); err != nil || res.Bytes != 0 {
			t.Errorf("resume of a complete file: %+v, %v", res, err)
		}
		// Longer than the remote file: fails, the local file kept.
		if err := os.WriteFile(dst, append(data, 'x'), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ResumeReadFile(ctx, "boot.bin", dst); err == nil {
			t.Error("resume of a local file longer than the remote one succeeded")
		}
		if fi, _ := os.Stat(dst); fi.Size() != int64(len(data)+1) {
			t.Errorf("the failed resume left %d bytes", fi.Size())
		}
	})

	t.Run("Statuses", func(t *testing.T) {
		anon := &client.HTTP{URL: url}
		_, _, err := anon.ReadBytes(ctx, "missing.bin")
		wantStatus(t, err, 404, behaviour.ErrNotFound)
		// 401: no credentials on an upload, a wrong password, a wrong token.
		for who, c := range map[string]*client.HTTP{
			"anonymous":      anon,
			"wrong password": {URL: url, User: httpOwnUser, Password: "wrong"},
			"unknown user":   {URL: url, User: "mallory", Password: httpOwnPassword},
			"wrong token":    {URL: url, Token: "wrong-token-0123456789"},
		} {
			_, err := c.WriteBytes(ctx, "up/x", []byte("x"))
			wantStatus(t, err, 401, behaviour.ErrAccessViolation)
			if errors.Is(err, behaviour.ErrNotFound) {
				t.Errorf("%s: %v is not found too", who, err)
			}
		}
		// Wrong credentials are 401 on a read too.
		_, _, err = (&client.HTTP{URL: url, Token: "wrong-token-0123456789"}).ReadBytes(ctx, "boot.bin")
		wantStatus(t, err, 401, behaviour.ErrAccessViolation)
		// 403: a handler's refusal, and a name the daemon refuses.
		_, err = alice.WriteBytes(ctx, "refuse/locked.cfg", []byte("x"))
		wantStatus(t, err, 403, behaviour.ErrAccessViolation)
		_, _, err = anon.ReadBytes(ctx, "CON")
		wantStatus(t, err, 403, behaviour.ErrAccessViolation)
		// 413: past the daemon's MaxSize, announced.
		_, err = alice.WriteBytes(ctx, "up/big", make([]byte, httpOwnMaxSize+1))
		wantStatus(t, err, 413, behaviour.ErrDiskFull)
		// 507: the Memory behind small/ is full.
		_, err = bob.WriteBytes(ctx, "small/fits", make([]byte, httpOwnSmall/2))
		if err != nil {
			t.Fatal(err)
		}
		_, err = bob.WriteBytes(ctx, "small/overflows", make([]byte, httpOwnSmall))
		wantStatus(t, err, 507, behaviour.ErrDiskFull)
		// 409: a handler's file-exists refusal.
		_, err = alice.WriteBytes(ctx, "refuse/exists.cfg", []byte("x"))
		wantStatus(t, err, 409, behaviour.ErrFileExists)
	})
}

// zeros is an endless reader of zero bytes, of unknown size.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestHTTPOwnDaemonTrust: an HTTPS server whose certificate does not
// verify is refused with the host-key classes, before anything is sent.
func TestHTTPOwnDaemonTrust(t *testing.T) {
	ca, cert, key := peers.TLSFiles(t, t.TempDir())
	otherCA, _, _ := peers.TLSFiles(t, t.TempDir())
	mem := handlers.NewMemory()
	mem.Put("fw.bin", []byte("firmware"))
	s := daemontest.NewHTTP(t, mem, func(d *daemon.HTTP) { d.TLSCertFile, d.TLSKeyFile = cert, key })
	ctx := context.Background()
	if got, _, err := (&client.HTTP{URL: s.URL(""), CAFile: ca}).ReadBytes(ctx, "fw.bin"); err != nil || string(got) != "firmware" {
		t.Fatalf("with the CA: %q, %v", got, err)
	}
	for _, c := range []struct {
		name  string
		c     *client.HTTP
		class error
	}{
		{"system roots", &client.HTTP{URL: s.URL("")}, client.ErrHostKeyUnknown},
		{"another CA", &client.HTTP{URL: s.URL(""), CAFile: otherCA}, client.ErrHostKeyUnknown},
		{"another name", &client.HTTP{URL: fmt.Sprintf("https://localhost:%d/", s.Addr().Port()), CAFile: ca}, client.ErrHostKeyMismatch},
	} {
		_, _, err := c.c.ReadBytes(ctx, "fw.bin")
		wantClass(t, err, c.class)
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Protocol != behaviour.HTTP {
			t.Errorf("%s: %v is not an HTTP *client.Error", c.name, err)
		}
		_, err = c.c.WriteBytes(ctx, "fw.bin", []byte("changed"))
		wantClass(t, err, c.class)
	}
	if got, _ := mem.Get("fw.bin"); string(got) != "firmware" {
		t.Errorf("an upload to an untrusted server changed fw.bin to %q", got)
	}
}

// TestHTTPOwnDaemonStat: Stat's HEAD gives the size and modification
// time daemon.HTTP sends, from a Dir and from a Memory, and a missing
// file is not found.
func TestHTTPOwnDaemonStat(t *testing.T) {
	s, root, failed := httpOwnServer(t)
	ctx := context.Background()
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	peers.RandomFile(t, root, "dir/boot.bin", 12_345)
	mtime := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(root, "dir", "boot.bin"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	c := &client.HTTP{URL: s.URL(""), Token: httpOwnToken}
	fi, err := c.Stat(ctx, "dir/boot.bin")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Name() != "boot.bin" || fi.Size() != 12_345 || !fi.ModTime().Equal(mtime) || !fi.Mode().IsRegular() || fi.IsDir() {
		t.Errorf("Stat: %s %d %v %v", fi.Name(), fi.Size(), fi.ModTime(), fi.Mode())
	}
	if _, err := c.WriteBytes(ctx, "small/cfg", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if fi, err := c.Stat(ctx, "small/cfg"); err != nil || fi.Size() != 5 || time.Since(fi.ModTime()) > time.Minute {
		t.Errorf("Stat of a Memory file: %v, %v", fi, err)
	}
	_, err = c.Stat(ctx, "dir/missing.bin")
	wantStatus(t, err, 404, behaviour.ErrNotFound)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Op != "stat" {
		t.Errorf("a failed Stat: %v", err)
	}
	// Stat reads nothing: the daemon reports its HEAD as declined, no bytes sent.
	httpOwnQuiet(t, s)
	heads := failed.of("dir/boot.bin")
	if len(heads) != 1 || heads[0].Outcome != daemon.OutcomeDeclined || heads[0].Bytes != 0 {
		t.Errorf("the daemon saw %+v, want one declined HEAD", heads)
	}
}
