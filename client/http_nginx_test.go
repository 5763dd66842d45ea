package client_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// TestHTTPNginx runs the HTTP client against a real nginx over loopback
// sockets: GET, HTTPS with a test CA, ranges, PUT with basic auth, and the
// classes of nginx's refusals.
func TestHTTPNginx(t *testing.T) {
	n := peers.ServeNginx(t)
	ctx := context.Background()
	_, sum := peers.RandomFile(t, n.Root, "boot.bin", 300_000)
	data, err := os.ReadFile(filepath.Join(n.Root, "boot.bin"))
	if err != nil {
		t.Fatal(err)
	}
	verify, _ := client.ParseChecksum(client.SHA256, sum)

	t.Run("ReadFile", func(t *testing.T) {
		var calls int
		var last client.Progress
		c := &client.HTTP{URL: n.URL, Verify: verify, Progress: func(p client.Progress) { calls++; last = p }}
		dst := filepath.Join(t.TempDir(), "boot.bin")
		res, err := c.ReadFile(ctx, "boot.bin", dst)
		if err != nil {
			t.Fatal(err)
		}
		if got := peers.SHA256File(dst); got != sum {
			t.Errorf("sha256 %s, want %s", got, sum)
		}
		if res.Bytes != int64(len(data)) || res.Protocol != behaviour.HTTP || res.Access != behaviour.Read {
			t.Errorf("result %+v", res)
		}
		if calls < 2 || last.Bytes != int64(len(data)) || last.Total != int64(len(data)) {
			t.Errorf("progress: %d calls, last %+v", calls, last)
		}
	})

	t.Run("HTTPS", func(t *testing.T) {
		c := &client.HTTP{URL: n.TLSURL, CAFile: n.CAFile}
		got, _, err := c.ReadBytes(ctx, "boot.bin")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("with the CA: %d bytes, %v", len(got), err)
		}
		if _, _, err := (&client.HTTP{URL: n.TLSURL}).ReadBytes(ctx, "boot.bin"); err == nil {
			t.Error("a certificate of an unknown CA was accepted")
		}
		if _, _, err := (&client.HTTP{URL: n.TLSURL, InsecureSkipVerify: true}).ReadBytes(ctx, "boot.bin"); err != nil {
			t.Errorf("InsecureSkipVerify: %v", err)
		}
	})

	t.Run("Packed", func(t *testing.T) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte("firmware"))
		zw.Close()
		if err := os.WriteFile(filepath.Join(n.Root, "packed", "fw.gz"), gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		got, _, err := (&client.HTTP{URL: n.URL}).ReadBytes(ctx, "packed/fw.gz")
		if err != nil || !bytes.Equal(got, gz.Bytes()) {
			t.Errorf("a .gz labelled Content-Encoding gzip: %q, %v; want the packed bytes", got, err)
		}
	})

	t.Run("Redirects", func(t *testing.T) {
		c := &client.HTTP{URL: n.URL, User: n.User, Password: n.Password}
		if got, _, err := c.ReadBytes(ctx, "moved/boot.bin"); err != nil || !bytes.Equal(got, data) {
			t.Errorf("a redirect on the same origin: %d bytes, %v", len(got), err)
		}
		if _, _, err := c.ReadBytes(ctx, "away/boot.bin"); err == nil {
			t.Error("a redirect to another origin was followed, with the credentials")
		}
	})

	t.Run("ReadRange", func(t *testing.T) {
		c := &client.HTTP{URL: n.URL}
		for _, r := range [][2]int64{{1000, 5000}, {299_000, -1}, {0, 1}} {
			var buf bytes.Buffer
			if _, err := c.ReadRange(ctx, "boot.bin", r[0], r[1], &buf); err != nil {
				t.Fatalf("%v: %v", r, err)
			}
			end := r[1]
			if end < 0 {
				end = int64(len(data))
			}
			if !bytes.Equal(buf.Bytes(), data[r[0]:end]) {
				t.Errorf("%v: %d bytes differ from the file's", r, buf.Len())
			}
		}
	})

	t.Run("ResumeReadFile", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "boot.bin")
		if err := os.WriteFile(dst, data[:123_456], 0o644); err != nil {
			t.Fatal(err)
		}
		c := &client.HTTP{URL: n.URL, Verify: verify}
		res, err := c.ResumeReadFile(ctx, "boot.bin", dst)
		if err != nil {
			t.Fatal(err)
		}
		if res.Bytes != int64(len(data)-123_456) || peers.SHA256File(dst) != sum {
			t.Errorf("resumed %d bytes, sha256 %s", res.Bytes, peers.SHA256File(dst))
		}
		// Complete already: nginx answers 416 with the size.
		if res, err := c.ResumeReadFile(ctx, "boot.bin", dst); err != nil || res.Bytes != 0 {
			t.Errorf("resuming a complete file: %d bytes, %v", res.Bytes, err)
		}
		bad, _ := client.ParseChecksum(client.SHA256, peers.SHA256([]byte("other")))
		if _, err := (&client.HTTP{URL: n.URL, Verify: bad}).ResumeReadFile(ctx, "boot.bin", dst); !errors.Is(err, client.ErrIntegrity) {
			t.Errorf("resuming a complete file with a wrong digest: %v", err)
		}
		// Longer than the remote file: 416 with another size fails.
		if err := os.WriteFile(dst, append(data, 'x'), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ResumeReadFile(ctx, "boot.bin", dst); err == nil {
			t.Error("resuming a local file longer than the remote one passed")
		}
	})

	t.Run("Handlers", func(t *testing.T) {
		mem := handlers.NewMemory()
		up := &client.HTTP{URL: n.URL, User: n.User, Password: n.Password}
		mem.Put("local/cfg", []byte("hostname r1\n"))
		if _, err := up.WriteHandler(ctx, "upload/r1.cfg", "local/cfg", mem); err != nil {
			t.Fatal(err)
		}
		if _, err := up.ReadHandler(ctx, "upload/r1.cfg", "local/back", mem); err != nil {
			t.Fatal(err)
		}
		if b, _ := mem.Get("local/back"); string(b) != "hostname r1\n" {
			t.Errorf("round trip through nginx: %q", b)
		}
		_, err := up.ReadHandler(ctx, "upload/none", "local/none", mem)
		wantClass(t, err, behaviour.ErrNotFound)
		if _, ok := mem.Get("local/none"); ok {
			t.Error("a 404 created the local file")
		}
	})

	t.Run("Refusals", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "kept")
		if err := os.WriteFile(dst, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		c := &client.HTTP{URL: n.URL}
		_, err := c.ReadFile(ctx, "missing.bin", dst)
		wantClass(t, err, behaviour.ErrNotFound)
		if b, _ := os.ReadFile(dst); string(b) != "old" {
			t.Errorf("a failed download changed the local file to %q", b)
		}
		_, _, err = c.ReadBytes(ctx, "private/x")
		wantClass(t, err, behaviour.ErrAccessViolation)
		_, _, err = c.ReadBytes(ctx, "forbidden/x")
		wantClass(t, err, behaviour.ErrAccessViolation)
		bad, _ := client.ParseChecksum(client.SHA256, peers.SHA256([]byte("other")))
		_, err = (&client.HTTP{URL: n.URL, Verify: bad}).ReadFile(ctx, "boot.bin", dst)
		if !errors.Is(err, client.ErrIntegrity) {
			t.Errorf("a wrong digest: %v", err)
		}
		_, err = (&client.HTTP{URL: n.URL, MaxSize: 1000}).ReadFile(ctx, "boot.bin", dst)
		if !errors.Is(err, client.ErrTooLarge) {
			t.Errorf("past MaxSize: %v", err)
		}
		if b, _ := os.ReadFile(dst); string(b) != "old" {
			t.Errorf("a refused download changed the local file to %q", b)
		}
	})

	t.Run("Put", func(t *testing.T) {
		c := &client.HTTP{URL: n.URL, User: n.User, Password: n.Password}
		src, sent := peers.RandomFile(t, t.TempDir(), "cfg.txt", 70_000)
		res, err := c.WriteFile(ctx, "upload/dev/cfg.txt", src)
		if err != nil {
			t.Fatal(err)
		}
		if got := peers.SHA256File(filepath.Join(n.Root, "upload/dev/cfg.txt")); got != sent || res.Bytes != 70_000 {
			t.Errorf("uploaded %d bytes, sha256 %s, want %s", res.Bytes, got, sent)
		}
		if _, err := c.WriteFrom(ctx, "upload/stream", struct{ io.Reader }{bytes.NewBufferString("chunked")}); err != nil {
			t.Errorf("an upload of unknown size: %v", err)
		}
		if _, err := c.WriteBytes(ctx, "upload/empty", nil); err != nil {
			t.Errorf("an empty upload: %v", err)
		}
		for name, want := range map[string]string{"stream": "chunked", "empty": ""} {
			if b, err := os.ReadFile(filepath.Join(n.Root, "upload", name)); err != nil || string(b) != want {
				t.Errorf("upload/%s holds %q (%v), want %q", name, b, err, want)
			}
		}
		tok := &client.HTTP{URL: n.URL, Token: n.Token}
		if _, err := tok.WriteBytes(ctx, "token/t.txt", []byte("bearer")); err != nil {
			t.Errorf("PUT with the bearer token: %v", err)
		}
		if b, _, err := tok.ReadBytes(ctx, "token/t.txt"); err != nil || string(b) != "bearer" {
			t.Errorf("GET with the bearer token: %q, %v", b, err)
		}
		_, err = (&client.HTTP{URL: n.URL, Token: "wrong"}).WriteBytes(ctx, "token/t.txt", []byte("x"))
		wantClass(t, err, behaviour.ErrAccessViolation)
		_, err = (&client.HTTP{URL: n.URL}).WriteBytes(ctx, "upload/anon", []byte("x"))
		wantClass(t, err, behaviour.ErrAccessViolation)
		_, err = (&client.HTTP{URL: n.URL, User: n.User, Password: "wrong"}).WriteBytes(ctx, "upload/anon", []byte("x"))
		wantClass(t, err, behaviour.ErrAccessViolation)
		_, err = c.WriteBytes(ctx, "upload/big", make([]byte, peers.NginxMaxBody+1))
		wantClass(t, err, behaviour.ErrDiskFull)
		_, err = c.WriteBytes(ctx, "boot.bin", []byte("x"))
		wantClass(t, err, behaviour.ErrAccessViolation) // 405: no PUT outside /upload/
	})
}

// HTTP has the method set of the other clients.
var _ transferer = (*client.HTTP)(nil)

// TestHTTPConnectionRefused needs no server: nothing listens on the port.
func TestHTTPConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, _, err = (&client.HTTP{URL: "http://" + addr}).ReadBytes(context.Background(), "x")
	wantClass(t, err, client.ErrConnectionRefused)
}

func wantClass(t *testing.T, err, class error) {
	t.Helper()
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Class != class || ce.Protocol != behaviour.HTTP {
		t.Errorf("error %v, want an *client.Error of class %v", err, class)
	}
}

// TestHTTPIdleTimeout: a server that accepts and never answers fails the
// download with ErrTimeout after IdleTimeout.
func TestHTTPIdleTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			go io.Copy(io.Discard, c)
		}
	}()
	start := time.Now()
	_, _, err = (&client.HTTP{URL: "http://" + l.Addr().String(), IdleTimeout: 200 * time.Millisecond}).ReadBytes(context.Background(), "x")
	wantClass(t, err, client.ErrTimeout)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
}
