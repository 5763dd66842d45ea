package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

const (
	testVersion = "9.9"
	testSize    = 3<<20 + 123 // not a multiple of any block size
	testName    = "acme-" + testVersion + ".bin"
)

// server is the running program as the test sees it.
type server struct {
	tftp, sftp netip.AddrPort
	clientKey  ssh.Signer
	clientPriv ed25519.PrivateKey
	hostKey    ssh.PublicKey
}

// start runs the program with SFTP on free loopback ports until the test
// ends, with a host key and a client key made for the test.
func start(t *testing.T) server {
	t.Helper()
	_, hostSigner := newKey(t)
	userPriv, user := newKey(t)
	s := server{clientKey: user, clientPriv: userPriv, hostKey: hostSigner.PublicKey()}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]netip.AddrPort, 1)
	cfg := config{
		Listen:         "127.0.0.1:0",
		SFTP:           "127.0.0.1:0",
		Version:        testVersion,
		Size:           testSize,
		HostKeys:       []ssh.Signer{hostSigner},
		AuthorizedKeys: []ssh.PublicKey{user.PublicKey()},
		Logger:         slog.New(slog.NewTextHandler(t.Output(), nil)),
		Grace:          50 * time.Millisecond,
		Ready:          func(tftp, sftp netip.AddrPort) { ready <- [2]netip.AddrPort{tftp, sftp} },
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case a := <-ready:
		s.tftp, s.sftp = a[0], a[1]
	case err := <-done:
		done <- err
		t.Fatalf("run ended before listening: %v", err)
	}
	return s
}

// newKey makes an ed25519 key.
func newKey(t *testing.T) (ed25519.PrivateKey, ssh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return priv, signer
}

// published fetches the digest the server publishes and checks it names the
// image and matches the image the test builds itself.
func published(t *testing.T, c *client.TFTP) client.Checksum {
	t.Helper()
	line, _, err := c.ReadBytes(context.Background(), testName+".sha256")
	if err != nil {
		t.Fatal(err)
	}
	hexSum, name, ok := strings.Cut(strings.TrimSuffix(string(line), "\n"), "  ")
	want := sha256.Sum256(demoImage(testVersion, testSize))
	sum, err := client.ParseChecksum(client.SHA256, hexSum)
	if !ok || name != testName || err != nil || !bytes.Equal(sum.Sum, want[:]) {
		t.Fatalf("published digest %q (%v), want the sha256 %x of %s", line, err, want, testName)
	}
	return sum
}

func TestTFTPWindows(t *testing.T) {
	s := start(t)
	dir := t.TempDir()
	sum := published(t, &client.TFTP{Addr: s.tftp.String()})
	for _, tc := range []struct{ block, window int }{{1468, 16}, {8192, 64}, {512, 1}} {
		c := &client.TFTP{Addr: s.tftp.String(), BlockSize: tc.block, WindowSize: tc.window, TSize: true, Verify: sum}
		local := filepath.Join(dir, strconv.Itoa(tc.window)+".bin")
		res, err := c.ReadFile(context.Background(), testName, local)
		if err != nil {
			t.Fatalf("blksize %d windowsize %d: %v", tc.block, tc.window, err)
		}
		if res.BlockSize != tc.block || res.WindowSize != tc.window || res.Size != testSize {
			t.Errorf("negotiated blksize %d windowsize %d tsize %d; want %d, %d, %d", res.BlockSize, res.WindowSize, res.Size, tc.block, tc.window, testSize)
		}
		if got := fileSum(t, local); got != sha256.Sum256(demoImage(testVersion, testSize)) {
			t.Errorf("windowsize %d: the file on disk has sha256 %x", tc.window, got)
		}
	}
}

// A corrupted download (here: a digest that does not match) is never
// committed: the local file is not created.
func TestTFTPIntegrityCheck(t *testing.T) {
	s := start(t)
	wrong := sha256.Sum256([]byte("another image"))
	c := &client.TFTP{Addr: s.tftp.String(), WindowSize: 16, Verify: client.Checksum{Algorithm: client.SHA256, Sum: wrong[:]}}
	local := filepath.Join(t.TempDir(), "fw.bin")
	_, err := c.ReadFile(context.Background(), testName, local)
	if !errors.Is(err, client.ErrIntegrity) {
		t.Fatalf("download with a wrong digest: %v, want ErrIntegrity", err)
	}
	if _, err := os.Stat(local); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a download that failed its check left %s behind (%v)", local, err)
	}
	_, err = c.WriteBytes(context.Background(), testName, []byte("evil"))
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != behaviour.CodeAccessViolation {
		t.Errorf("upload: %v, want ERROR 2", err)
	}
}

func fileSum(t *testing.T, path string) [sha256.Size]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestSFTP(t *testing.T) {
	s := start(t)
	conn, err := ssh.Dial("tcp", s.sftp.String(), &ssh.ClientConfig{
		User:            "device",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.clientKey)},
		HostKeyCallback: ssh.FixedHostKey(s.hostKey),
		Timeout:         5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()

	entries, err := sc.ReadDir("/")
	if err != nil || len(entries) != 2 || entries[0].Name() != testName || entries[0].Size() != testSize {
		t.Fatalf("ls /: %v (%v), want %s of %d bytes and its digest", entries, err, testName, testSize)
	}
	f, err := sc.Open("/" + testName)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(demoImage(testVersion, testSize)); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("SFTP download has sha256 %x, want %x", h.Sum(nil), want)
	}
	if _, err := sc.Create("/upload.bin"); err == nil {
		t.Error("SFTP upload accepted by a read-only store")
	}
}

// need returns the path of an external program, or skips the test (fails it
// when CI=true).
func need(t *testing.T, prog string) string {
	t.Helper()
	path, err := exec.LookPath(prog)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required with CI=true: %v", prog, err)
		}
		t.Skipf("%s is not installed (apt-get install curl openssh-client): %v", prog, err)
	}
	return path
}

// command runs prog in dir with a deadline and fails the test if it fails.
func command(t *testing.T, dir, prog string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", prog, args, err, out)
	}
}

func TestCurlAndSha256sum(t *testing.T) {
	curl := need(t, "curl")
	sha256sum := need(t, "sha256sum")
	s := start(t)
	dir := t.TempDir()
	url := "tftp://" + s.tftp.String() + "/"
	command(t, dir, curl, "-sS", "--tftp-blksize", "1468", "-o", testName, url+testName)
	command(t, dir, curl, "-sS", "-o", testName+".sha256", url+testName+".sha256")
	command(t, dir, sha256sum, "--strict", "-c", testName+".sha256")
	if got := fileSum(t, filepath.Join(dir, testName)); got != sha256.Sum256(demoImage(testVersion, testSize)) {
		t.Errorf("curl's download has sha256 %x", got)
	}
}

func TestOpenSSHSFTP(t *testing.T) {
	sftpCmd := need(t, "sftp")
	s := start(t)
	dir := t.TempDir()
	key := writeKey(t, dir, s)
	command(t, dir, sftpCmd, "-q", "-P", strconv.Itoa(int(s.sftp.Port())), "-i", key,
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+filepath.Join(dir, "known_hosts"),
		"-o", "GlobalKnownHostsFile=/dev/null",
		"device@"+s.sftp.Addr().String()+":"+testName, filepath.Join(dir, "fw.bin"))
	if got := fileSum(t, filepath.Join(dir, "fw.bin")); got != sha256.Sum256(demoImage(testVersion, testSize)) {
		t.Errorf("OpenSSH sftp's download has sha256 %x", got)
	}
}

// writeKey writes the test's client key and a known_hosts file for the
// server into dir, as OpenSSH wants them, and returns the key's path.
func writeKey(t *testing.T, dir string, s server) string {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(s.clientPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	host := "[" + s.sftp.Addr().String() + "]:" + strconv.Itoa(int(s.sftp.Port()))
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(host+" "+string(ssh.MarshalAuthorizedKey(s.hostKey))), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
