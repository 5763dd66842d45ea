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
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// scpServer starts our SSH server as sftpServer does and returns an SCP
// client for it.
func scpServer(t *testing.T, readOnly bool) (string, *daemontest.SSHServer, *client.SCP) {
	t.Helper()
	root, srv, c := sftpServer(t, readOnly)
	return root, srv, &client.SCP{SSH: c.SSH}
}

var scpSizes = []int{0, 1, 5 << 20}

// scpRoundTrips uploads random files of each size with c, checks the
// server's copy (file name under root, remote path remote(name)), then
// downloads them into a file and into memory; every copy is compared by
// sha256.
func scpRoundTrips(t *testing.T, c *client.SCP, root string, remote func(string) string, sizes []int) {
	t.Helper()
	for _, n := range sizes {
		data := randomBytes(n)
		name := fmt.Sprintf("up-%d.bin", n)
		local := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(local, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := c.WriteFile(context.Background(), remote(name), local); err != nil || got.Bytes != int64(n) {
			t.Fatalf("%d bytes: WriteFile = %d, %v", n, got.Bytes, err)
		}
		if fileSHA(t, filepath.Join(root, name)) != sha(data) {
			t.Fatalf("%d bytes: the server's copy differs", n)
		}
		down := filepath.Join(t.TempDir(), "down.bin")
		if got, err := c.ReadFile(context.Background(), remote(name), down); err != nil || got.Bytes != int64(n) {
			t.Fatalf("%d bytes: ReadFile = %d, %v", n, got.Bytes, err)
		}
		if fileSHA(t, down) != sha(data) {
			t.Fatalf("%d bytes: the downloaded file differs", n)
		}
		if b, _, err := c.ReadBytes(context.Background(), remote(name)); err != nil || sha(b) != sha(data) {
			t.Fatalf("%d bytes: ReadBytes: %v, or the data differs", n, err)
		}
	}
}

func TestSCPOwnServer(t *testing.T) {
	root, _, c := scpServer(t, false)
	scpRoundTrips(t, c, root, func(name string) string { return name }, scpSizes)
	for _, name := range []string{"-dash.bin", "it's a file.bin"} {
		if _, err := c.WriteBytes(context.Background(), name, []byte(name)); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if b, _, err := c.ReadBytes(context.Background(), name); err != nil || string(b) != name {
			t.Fatalf("%q: ReadBytes = %q, %v", name, b, err)
		}
	}

	local := filepath.Join(t.TempDir(), "missing.bin")
	_, err := c.ReadFile(context.Background(), "missing.bin", local)
	se := assertClass(t, err, behaviour.ErrNotFound)
	if !strings.Contains(se.Message, "No such file or directory") {
		t.Errorf("Message = %q, want the server's line", se.Message)
	}
	if se.Protocol != behaviour.SCP || !strings.HasPrefix(se.Error(), `scp read "missing.bin"`) {
		t.Errorf("Protocol %v, Error() = %q, want an scp error", se.Protocol, se.Error())
	}
	assertNothingAt(t, local)
}

func TestSCPPermissionDenied(t *testing.T) {
	root, _, c := scpServer(t, true)
	_, err := c.WriteBytes(context.Background(), "refused.bin", []byte("no"))
	se := assertClass(t, err, behaviour.ErrAccessViolation)
	if se.Message == "" {
		t.Error("no server message")
	}
	if _, statErr := os.Stat(filepath.Join(root, "refused.bin")); statErr == nil {
		t.Fatal("the refused upload exists on the server")
	}
}

func TestSCPCredentialsAndHostKeys(t *testing.T) {
	root, srv, c := scpServer(t, false)
	writeFile(t, root, "k.bin", []byte("key"))
	other := daemontest.NewSSH(t, handlers.NewMemory()) // its key is not authorized on srv
	local := filepath.Join(t.TempDir(), "k.bin")

	wrong := *c
	wrong.IdentityFile = other.KeyFile
	_, err := wrong.ReadFile(context.Background(), "k.bin", local)
	assertClass(t, err, client.ErrAuthentication)
	wrong.IdentityFile, wrong.Password = "", "wrong"
	_, err = wrong.WriteBytes(context.Background(), "k2.bin", []byte("x"))
	assertClass(t, err, client.ErrAuthentication)

	// The server's address with another server's key: a changed host key,
	// refused even when new keys are accepted.
	b, err := os.ReadFile(other.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	host := "[127.0.0.1]:" + strings.TrimPrefix(srv.Addr().String(), "127.0.0.1:")
	changed := *c
	changed.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, filepath.Dir(changed.KnownHostsFile), "known_hosts", []byte(host+" "+strings.SplitN(string(b), " ", 2)[1]))
	changed.AcceptNewHostKey = true
	_, err = changed.ReadFile(context.Background(), "k.bin", local)
	assertClass(t, err, client.ErrHostKeyMismatch)

	unknown := *c
	unknown.KnownHostsFile = filepath.Join(t.TempDir(), "empty")
	writeFile(t, filepath.Dir(unknown.KnownHostsFile), "empty", nil)
	_, err = unknown.ReadFile(context.Background(), "k.bin", local)
	assertClass(t, err, client.ErrHostKeyUnknown)
	assertNothingAt(t, local)

	srv.Close()
	_, _, err = c.ReadBytes(context.Background(), "k.bin")
	assertClass(t, err, client.ErrConnectionRefused)
}

// A reader that hides its size is spooled (past the part kept in memory)
// and arrives whole; a spool past SpoolLimit fails before the server is
// contacted.
func TestSCPUploadUnknownSize(t *testing.T) {
	root, _, c := scpServer(t, false)
	data := randomBytes(3<<20 + 7)
	var last client.Progress
	c.Progress = func(p client.Progress) { last = p }
	if _, err := c.WriteFrom(context.Background(), "plain.bin", struct{ io.Reader }{bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, filepath.Join(root, "plain.bin")) != sha(data) {
		t.Fatal("the served file differs")
	}
	if last.Bytes != int64(len(data)) || last.Total != int64(len(data)) || last.Access != behaviour.Write {
		t.Fatalf("last progress = %+v", last)
	}
	c.SpoolLimit = 1 << 20
	_, err := c.WriteFrom(context.Background(), "big.bin", struct{ io.Reader }{bytes.NewReader(data)})
	if !errors.Is(err, client.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := os.Stat(filepath.Join(root, "big.bin")); err == nil {
		t.Fatal("the refused upload exists on the server")
	}
}

// A reader that ends before the size it announced fails the upload as a
// local failure, and the server keeps nothing.
func TestSCPUploadShortReader(t *testing.T) {
	root, _, c := scpServer(t, false)
	_, err := c.WriteFrom(context.Background(), "short.bin", liar{bytes.NewReader([]byte("abc")), 10})
	assertClass(t, err, client.ErrOther)
	if _, err := os.Stat(filepath.Join(root, "short.bin")); err == nil {
		t.Fatal("the server kept a cut upload")
	}
}

// liar announces a size it does not hold.
type liar struct {
	io.Reader
	n int64
}

func (l liar) Size() int64 { return l.n }

func TestSCPVerifyAndMaxSize(t *testing.T) {
	root, _, c := scpServer(t, false)
	data := randomBytes(100000)
	writeFile(t, root, "v.bin", data)
	local := filepath.Join(t.TempDir(), "v.bin")

	c.Verify, _ = client.ParseChecksum(client.SHA256, sha([]byte("other")))
	_, err := c.ReadFile(context.Background(), "v.bin", local)
	if !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("err = %v, want ErrIntegrity", err)
	}
	assertNothingAt(t, local)

	c.Verify = client.Checksum{}
	c.MaxSize = int64(len(data)) - 1
	_, err = c.ReadFile(context.Background(), "v.bin", local)
	if !errors.Is(err, client.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	assertNothingAt(t, local)

	c.Verify, _ = client.ParseChecksum(client.SHA256, sha(data))
	c.MaxSize = int64(len(data))
	if _, err := c.ReadFile(context.Background(), "v.bin", local); err != nil || fileSHA(t, local) != sha(data) {
		t.Fatalf("with the right digest and size: %v", err)
	}
}

// Remote paths that name no file are refused before connecting.
func TestSCPBadRemotePaths(t *testing.T) {
	_, _, c := scpServer(t, false)
	for _, remote := range []string{"", "dir/", ".", "..", "a/..", "x\ny"} {
		_, _, err := c.ReadBytes(context.Background(), remote)
		assertClass(t, err, client.ErrOther)
		_, err = c.WriteBytes(context.Background(), remote, []byte("x"))
		assertClass(t, err, client.ErrOther)
	}
}

// Cancelling the context ends the spool of an endless reader.
func TestSCPSpoolCancelled(t *testing.T) {
	_, _, c := scpServer(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.WriteFrom(ctx, "endless.bin", slowZeros{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// slowZeros yields 1 KiB of zeros per millisecond, forever.
type slowZeros struct{}

func (slowZeros) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	n := min(len(p), 1024)
	clear(p[:n])
	return n, nil
}
