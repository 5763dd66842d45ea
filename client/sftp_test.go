package client_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"golang.org/x/crypto/ssh"
)

// sftpServer starts our SSH server on a fresh directory that takes every
// upload (read-only when readOnly is set), and returns the directory, the
// server and a client that logs in with the test key.
func sftpServer(t *testing.T, readOnly bool) (string, *daemontest.SSHServer, *client.SFTP) {
	t.Helper()
	root := t.TempDir()
	d, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	var h behaviour.Handler = d
	if readOnly {
		h = handlers.ReadOnly(d)
	}
	srv := daemontest.NewSSH(t, h)
	return root, srv, sshClient(srv.Addr().String(), srv.User, srv.KeyFile, srv.KnownHostsFile)
}

func sshClient(addr, user, key, knownHosts string) *client.SFTP {
	return &client.SFTP{SSH: client.SSH{Addr: addr, User: user, IdentityFile: key, KnownHostsFile: knownHosts}}
}

var sftpSizes = []int{0, 1, 5 << 20}

func TestSFTPDownloadSizes(t *testing.T) {
	root, _, c := sftpServer(t, false)
	for i, n := range sftpSizes {
		c.Fsync = i%2 == 1 // both ways of committing
		data := randomBytes(n)
		name := "down" + strings.Repeat("x", n%7) + ".bin"
		writeFile(t, root, name, data)
		local := filepath.Join(t.TempDir(), "got.bin")
		got, err := c.ReadFile(context.Background(), name, local)
		if err != nil || got.Bytes != int64(n) {
			t.Fatalf("%d bytes: ReadFile = %d, %v", n, got.Bytes, err)
		}
		if fileSHA(t, local) != sha(data) {
			t.Fatalf("%d bytes: the local file differs", n)
		}
		var buf bytes.Buffer
		if _, err := c.ReadTo(context.Background(), name, &buf); err != nil || sha(buf.Bytes()) != sha(data) {
			t.Fatalf("%d bytes: ReadTo: %v, or the data differs", n, err)
		}
	}
}

func TestSFTPUploadSizes(t *testing.T) {
	root, _, c := sftpServer(t, false)
	for _, n := range sftpSizes {
		data := randomBytes(n)
		local := filepath.Join(t.TempDir(), "up.bin")
		if err := os.WriteFile(local, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := c.WriteFile(context.Background(), "file.bin", local); err != nil || got.Bytes != int64(n) {
			t.Fatalf("%d bytes: WriteFile = %d, %v", n, got.Bytes, err)
		}
		if fileSHA(t, filepath.Join(root, "file.bin")) != sha(data) {
			t.Fatalf("%d bytes: WriteFile: the served file differs", n)
		}
		if _, err := c.WriteBytes(context.Background(), "bytes.bin", data); err != nil {
			t.Fatal(err)
		}
		if fileSHA(t, filepath.Join(root, "bytes.bin")) != sha(data) {
			t.Fatalf("%d bytes: WriteBytes: the served file differs", n)
		}
	}
}

// An io.Reader that hides its size still arrives whole.
func TestSFTPUploadPlainReader(t *testing.T) {
	root, _, c := sftpServer(t, false)
	data := randomBytes(1<<20 + 3)
	if _, err := c.WriteFrom(context.Background(), "plain.bin", struct{ *bytes.Reader }{bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, filepath.Join(root, "plain.bin")) != sha(data) {
		t.Fatal("the served file differs")
	}
}

func TestSFTPProgressAndChunks(t *testing.T) {
	root, _, c := sftpServer(t, false)
	data := randomBytes(1 << 20)
	writeFile(t, root, "p.bin", data)
	c.Concurrency, c.ChunkSize = 4, 8192
	var calls int
	var last client.Progress
	c.Progress = func(p client.Progress) { calls++; last = p }
	got, _, err := c.ReadBytes(context.Background(), "p.bin")
	if err != nil || sha(got) != sha(data) {
		t.Fatalf("ReadBytes: %v, or the data differs", err)
	}
	if last.Bytes != int64(len(data)) || last.Total != int64(len(data)) || last.Access != behaviour.Read {
		t.Fatalf("last progress = %+v", last)
	}
	if calls < len(data)/8192 {
		t.Fatalf("%d progress calls for chunks of 8192", calls)
	}
}

func TestSFTPVerify(t *testing.T) {
	root, _, c := sftpServer(t, false)
	writeFile(t, root, "v.bin", []byte("payload"))
	sum, _ := client.ParseChecksum(client.SHA256, sha([]byte("other")))
	c.Verify = sum
	local := filepath.Join(t.TempDir(), "v.bin")
	_, err := c.ReadFile(context.Background(), "v.bin", local)
	if !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("err = %v, want ErrIntegrity", err)
	}
	assertNothingAt(t, local)
}

func assertNothingAt(t *testing.T, local string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(local))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("left behind in %s: %v", filepath.Dir(local), entries)
	}
}

func assertClass(t *testing.T, err, class error) *client.Error {
	t.Helper()
	var se *client.Error
	if !errors.As(err, &se) || !errors.Is(err, class) {
		t.Fatalf("err = %v, want a *client.Error of class %v", err, class)
	}
	return se
}

func TestSFTPNotFound(t *testing.T) {
	_, _, c := sftpServer(t, false)
	local := filepath.Join(t.TempDir(), "missing.bin")
	_, err := c.ReadFile(context.Background(), "missing.bin", local)
	assertClass(t, err, behaviour.ErrNotFound)
	assertNothingAt(t, local)
}

func TestSFTPPermissionDenied(t *testing.T) {
	root, _, c := sftpServer(t, true)
	_, err := c.WriteBytes(context.Background(), "refused.bin", []byte("no"))
	assertClass(t, err, behaviour.ErrAccessViolation)
	if _, statErr := os.Stat(filepath.Join(root, "refused.bin")); statErr == nil {
		t.Fatal("the refused upload exists on the server")
	}
}

func TestSFTPWrongKey(t *testing.T) {
	_, srv, c := sftpServer(t, false)
	other := daemontest.NewSSH(t, handlers.NewMemory()) // its key is not authorized on srv
	c.IdentityFile = other.KeyFile
	local := filepath.Join(t.TempDir(), "x.bin")
	_, err := c.ReadFile(context.Background(), "x.bin", local)
	assertClass(t, err, client.ErrAuthentication)
	assertNothingAt(t, local)
	c.IdentityFile, c.Password = "", "wrong"
	_, _, err = c.ReadBytes(context.Background(), "x.bin")
	assertClass(t, err, client.ErrAuthentication)
	_ = srv
}

// A known_hosts file naming another key for the server's address.
func TestSFTPHostKeyMismatch(t *testing.T) {
	_, srv, c := sftpServer(t, false)
	other := daemontest.NewSSH(t, handlers.NewMemory())
	b, err := os.ReadFile(other.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	host := "[127.0.0.1]:" + strings.TrimPrefix(srv.Addr().String(), "127.0.0.1:")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	line := host + " " + strings.SplitN(string(b), " ", 2)[1]
	if err := os.WriteFile(kh, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	c.KnownHostsFile, c.AcceptNewHostKey = kh, true // never overrides a changed key
	local := filepath.Join(t.TempDir(), "x.bin")
	_, err = c.ReadFile(context.Background(), "x.bin", local)
	assertClass(t, err, client.ErrHostKeyMismatch)
	assertNothingAt(t, local)
	if after, _ := os.ReadFile(kh); string(after) != line {
		t.Fatalf("known_hosts changed to %q", after)
	}
}

func TestSFTPHostKeyUnknown(t *testing.T) {
	root, _, c := sftpServer(t, false)
	writeFile(t, root, "k.bin", []byte("key"))
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c.KnownHostsFile = kh
	_, _, err := c.ReadBytes(context.Background(), "k.bin")
	assertClass(t, err, client.ErrHostKeyUnknown)

	c.AcceptNewHostKey = true
	if got, _, err := c.ReadBytes(context.Background(), "k.bin"); err != nil || string(got) != "key" {
		t.Fatalf("with AcceptNewHostKey: %q, %v", got, err)
	}
	c.AcceptNewHostKey = false // the key is now known
	if _, _, err := c.ReadBytes(context.Background(), "k.bin"); err != nil {
		t.Fatalf("after accepting: %v", err)
	}
}

func TestSFTPConnectionRefused(t *testing.T) {
	_, srv, c := sftpServer(t, false)
	srv.Close()
	_, _, err := c.ReadBytes(context.Background(), "x.bin")
	assertClass(t, err, client.ErrConnectionRefused)
}

// A server that accepts the connection and never speaks.
func TestSFTPConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	c := sshClient(ln.Addr().String(), "u", "", filepath.Join(t.TempDir(), "known_hosts"))
	c.Password, c.ConnectTimeout = "x", 200*time.Millisecond
	start := time.Now()
	_, _, err = c.ReadBytes(context.Background(), "x.bin")
	se := assertClass(t, err, client.ErrTimeout)
	if !se.Timeout() || time.Since(start) > 5*time.Second {
		t.Fatalf("Timeout() = %v after %v", se.Timeout(), time.Since(start))
	}
}

// An encrypted key file logs in with its passphrase, and not without.
func TestSFTPKeyPassphrase(t *testing.T) {
	root, srv, c := sftpServer(t, false)
	writeFile(t, root, "e.bin", []byte("encrypted"))
	pem, err := os.ReadFile(srv.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(key, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	c.IdentityFile = filepath.Join(t.TempDir(), "id_enc")
	if err := os.WriteFile(c.IdentityFile, encodePEM(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadBytes(context.Background(), "e.bin"); err == nil || !strings.Contains(err.Error(), "Passphrase") {
		t.Fatalf("without the passphrase: %v", err)
	}
	c.Passphrase = []byte("secret")
	if got, _, err := c.ReadBytes(context.Background(), "e.bin"); err != nil || string(got) != "encrypted" {
		t.Fatalf("with the passphrase: %q, %v", got, err)
	}
}

// The server's status message reaches Error.Message. pkg/sftp turns
// "no such file" and "permission denied" into os errors without their text,
// so only the other statuses carry one.
func TestSFTPServerMessage(t *testing.T) {
	busy := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return nil, &behaviour.Error{Code: behaviour.CodeUndefined, Message: "device busy, try later"}
	})
	srv := daemontest.NewSSH(t, busy)
	c := sshClient(srv.Addr().String(), srv.User, srv.KeyFile, srv.KnownHostsFile)
	_, _, err := c.ReadBytes(context.Background(), "running-config")
	se := assertClass(t, err, client.ErrOther)
	if se.Message != "device busy, try later" {
		t.Fatalf("Message = %q in %v", se.Message, err)
	}
}

func encodePEM(b *pem.Block) []byte { return pem.EncodeToMemory(b) }

// A failure on the local side is never the server's "not found" or
// "permission denied".
func TestSFTPLocalFailures(t *testing.T) {
	root, _, c := sftpServer(t, false)
	writeFile(t, root, "l.bin", []byte("local"))
	_, err := c.ReadFile(context.Background(), "l.bin", filepath.Join(t.TempDir(), "no-such-dir", "l.bin"))
	assertClass(t, err, client.ErrOther)
	if errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	_, err = c.WriteFile(context.Background(), "up.bin", filepath.Join(t.TempDir(), "missing.bin"))
	assertClass(t, err, client.ErrOther)
	_, err = c.WriteFrom(context.Background(), "up.bin", iotest.ErrReader(errors.New("reader broke")))
	se := assertClass(t, err, client.ErrOther)
	if !strings.Contains(se.Error(), "reader broke") {
		t.Fatalf("err = %v", err)
	}
}

// A virtual file whose size the server does not know (a ReadFunc stream)
// arrives whole: pkg/sftp reads it sequentially up to EOF.
func TestSFTPUnknownSize(t *testing.T) {
	data := randomBytes(300000)
	stream := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return struct{ io.Reader }{bytes.NewReader(data)}, nil
	})
	srv := daemontest.NewSSH(t, stream)
	c := sshClient(srv.Addr().String(), srv.User, srv.KeyFile, srv.KnownHostsFile)
	local := filepath.Join(t.TempDir(), "stream.bin")
	if n, err := c.ReadFile(context.Background(), "stream.bin", local); err != nil || n.Bytes != int64(len(data)) {
		t.Fatalf("ReadFile = %d, %v", n.Bytes, err)
	}
	if fileSHA(t, local) != sha(data) {
		t.Fatal("the local file differs")
	}
}

// A server with an RSA and an ed25519 host key, known by its ed25519 key
// only: the client asks for the known key's algorithm, where by default it
// would prefer RSA and take that key for a changed one.
func TestSFTPHostKnownByOneOfItsKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaSigner, err := ssh.NewSignerFromKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	mem := handlers.NewMemory()
	mem.Put("r.bin", []byte("two keys"))
	srv := daemontest.NewSSH(t, mem, func(d *daemon.SSH) { d.HostKeys = append(d.HostKeys, rsaSigner) })
	c := sshClient(srv.Addr().String(), srv.User, srv.KeyFile, srv.KnownHostsFile)
	if got, _, err := c.ReadBytes(context.Background(), "r.bin"); err != nil || string(got) != "two keys" {
		t.Fatalf("ReadBytes = %q, %v", got, err)
	}
}

// MaxSize refuses a file the server announces as larger, and a stream of
// unknown size that grows past it; nothing is left at the local path.
func TestSFTPMaxSize(t *testing.T) {
	data := randomBytes(200000)
	mem := handlers.NewMemory()
	mem.Put("big.bin", data)
	stream := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return struct{ io.Reader }{bytes.NewReader(data)}, nil
	})
	for name, h := range map[string]behaviour.Handler{"announced": mem, "stream": stream} {
		srv := daemontest.NewSSH(t, h)
		c := sshClient(srv.Addr().String(), srv.User, srv.KeyFile, srv.KnownHostsFile)
		c.MaxSize = int64(len(data)) - 1
		local := filepath.Join(t.TempDir(), "big.bin")
		_, err := c.ReadFile(context.Background(), "big.bin", local)
		assertClass(t, err, client.ErrOther)
		if !errors.Is(err, client.ErrTooLarge) {
			t.Fatalf("%s: err = %v, want ErrTooLarge", name, err)
		}
		assertNothingAt(t, local)
		c.MaxSize = int64(len(data))
		if _, err := c.ReadFile(context.Background(), "big.bin", local); err != nil || fileSHA(t, local) != sha(data) {
			t.Fatalf("%s: at the limit: %v", name, err)
		}
	}
}

// A server that sends part of a file and then stalls: IdleTimeout, or the
// context's deadline, ends the download with ErrTimeout and nothing at the
// local path.
func TestSFTPIdleTimeout(t *testing.T) {
	release := make(chan struct{})
	stall := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return io.MultiReader(bytes.NewReader(randomBytes(100000)), stalled(release)), nil
	})
	srv := daemontest.NewSSH(t, stall)
	t.Cleanup(func() { close(release) }) // runs before the server closes
	c := sshClient(srv.Addr().String(), srv.User, srv.KeyFile, srv.KnownHostsFile)
	c.IdleTimeout = 300 * time.Millisecond
	local := filepath.Join(t.TempDir(), "stall.bin")
	start := time.Now()
	_, err := c.ReadFile(context.Background(), "stall.bin", local)
	assertClass(t, err, client.ErrTimeout)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
	assertNothingAt(t, local)

	// Without IdleTimeout the caller's deadline ends the stalled download.
	c.IdleTimeout = 0
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = c.ReadFile(ctx, "stall.bin", local)
	assertClass(t, err, client.ErrTimeout)
	assertNothingAt(t, local)
}

// stalled is a reader that blocks until release is closed, then ends.
type stalled chan struct{}

func (s stalled) Read([]byte) (int, error) { <-s; return 0, io.EOF }
