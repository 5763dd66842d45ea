package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/client"
)

// want is the content "<seed>-<n>.bin" must have, built here from the
// format's definition rather than through the handler.
func want(seed string, n int) []byte {
	b := make([]byte, n)
	rng := rand.NewChaCha8(sha256.Sum256([]byte("filemux example " + seed)))
	_, _ = rng.Read(b)
	return b
}

// sumLine is the sha256sum line of data named name.
func sumLine(data []byte, name string) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]) + "  " + name + "\n"
}

func TestContract(t *testing.T) {
	h := &Synthetic{MaxSize: 1 << 20}
	err := behaviourtest.TestHandler(h, behaviourtest.Spec{
		Reads: map[string][]byte{
			"a-1000.bin":        want("a", 1000),
			"b-70K.bin":         want("b", 70<<10),
			"empty-0.bin":       {},
			"a-1000.bin.sha256": []byte(sumLine(want("a", 1000), "a-1000.bin")),
		},
		RefuseReads: map[string]behaviour.Code{
			"readme.txt":   behaviour.CodeNotFound,
			"a-2M.bin":     behaviour.CodeNotFound, // beyond MaxSize
			"Upper-1K.bin": behaviour.CodeNotFound,
			"a-1T.bin":     behaviour.CodeNotFound,
			"a-.bin":       behaviour.CodeNotFound,
		},
		RefuseWrites: map[string]behaviour.Code{
			// The kit uploads 70000 random bytes: right size, wrong bytes.
			"a-70000.bin":       behaviour.CodeUndefined,
			"a-5.bin":           behaviour.CodeUndefined,
			"a-1000.bin.sha256": behaviour.CodeAccessViolation,
			"readme.txt":        behaviour.CodeAccessViolation,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUploadChecks(t *testing.T) {
	ctx := context.Background()
	h := &Synthetic{}
	if err := behaviourtest.Write(ctx, h, "c-70000.bin", want("c", 70000)); err != nil {
		t.Fatalf("exact upload refused: %v", err)
	}
	bad := want("c", 70000)
	bad[69999] ^= 1
	for name, tc := range map[string]struct {
		data []byte
		msg  string
	}{
		"one bit flipped": {bad, "checksum mismatch"},
		"one byte short":  {want("c", 69999), "size mismatch"},
		"one byte long":   {want("c", 70001), "size mismatch"},
	} {
		err := behaviourtest.Write(ctx, h, "c-70000.bin", tc.data)
		if got := behaviour.PeerMessage(err); got != tc.msg {
			t.Errorf("%s: error %v (peer sees %q), want %q", name, err, got, tc.msg)
		}
	}
}

// start runs the program on a free loopback port until the test ends.
func start(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan netip.AddrPort, 1)
	cfg := config{
		Listen:  "127.0.0.1:0",
		MaxSize: 1 << 30,
		Grace:   50 * time.Millisecond, // the transfers are over: cut the dallies
		Logger:  slog.New(slog.NewTextHandler(t.Output(), nil)),
		Ready:   func(a netip.AddrPort) { ready <- a },
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
		return a.String()
	case err := <-done:
		done <- err
		t.Fatalf("run ended before listening: %v", err)
	}
	return ""
}

func TestServeClient(t *testing.T) {
	addr := start(t)
	ctx := context.Background()
	c := &client.TFTP{Addr: addr, BlockSize: 1468, WindowSize: 16, TSize: true}

	data, res, err := c.ReadBytes(ctx, "demo-4M.bin")
	if err != nil {
		t.Fatal(err)
	}
	if res.Size != 4<<20 || !bytes.Equal(data, want("demo", 4<<20)) {
		t.Fatalf("got %d bytes (tsize %d) differing from the generated file", len(data), res.Size)
	}
	line, _, err := c.ReadBytes(ctx, "demo-4M.bin.sha256")
	if err != nil || string(line) != sumLine(data, "demo-4M.bin") {
		t.Fatalf("digest file %q (%v), want the sha256 of what was served", line, err)
	}

	// The same handler as the client's local side checks a download as it
	// arrives, without holding it; under another name it must refuse it.
	if _, err := c.ReadHandler(ctx, "demo-4M.bin", "demo-4M.bin", &Synthetic{}); err != nil {
		t.Errorf("download into the checking handler: %v", err)
	}
	_, err = c.ReadHandler(ctx, "demo-4M.bin", "other-4M.bin", &Synthetic{})
	if behaviour.PeerMessage(err) != "checksum mismatch" {
		t.Errorf("download of other bytes: %v, want checksum mismatch", err)
	}

	// Uploads: generated locally and checked by the server.
	if _, err := c.WriteHandler(ctx, "demo-1M.bin", "demo-1M.bin", &Synthetic{}); err != nil {
		t.Errorf("upload of the right bytes: %v", err)
	}
	bad := want("demo", 1<<20)
	bad[12345] ^= 0x80
	checkServerError(t, "corrupted upload", c.WriteBytes, "demo-1M.bin", bad, "checksum mismatch")
	checkServerError(t, "short upload", c.WriteBytes, "demo-1M.bin", bad[:1000], "size mismatch")

	_, _, err = c.ReadBytes(ctx, "nothing-here.txt")
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != behaviour.CodeNotFound {
		t.Errorf("unknown name: %v, want ERROR 1", err)
	}
}

type writeFunc func(context.Context, string, []byte) (client.Result, error)

// checkServerError uploads data and wants the server's ERROR 0 with msg.
func checkServerError(t *testing.T, what string, write writeFunc, name string, data []byte, msg string) {
	t.Helper()
	_, err := write(context.Background(), name, data)
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != behaviour.CodeUndefined || se.Message != msg {
		t.Errorf("%s: %v, want the server's ERROR 0 %q", what, err, msg)
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
		t.Skipf("%s is not installed (apt-get install curl tftp-hpa): %v", prog, err)
	}
	return path
}

// command runs prog with a deadline and returns its error and output.
func command(t *testing.T, prog string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, prog, args...).CombinedOutput()
}

func TestServeCurl(t *testing.T) {
	curl := need(t, "curl")
	addr := start(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "demo.bin")
	url := "tftp://" + addr + "/"

	if b, err := command(t, curl, "-sS", "--tftp-blksize", "1468", "-o", out, url+"demo-2M.bin"); err != nil {
		t.Fatalf("curl download: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, want("demo", 2<<20)) {
		t.Fatalf("curl got %d bytes differing from the generated file (%v)", len(got), err)
	}
	line, err := command(t, curl, "-sS", url+"demo-2M.bin.sha256")
	if err != nil || string(line) != sumLine(got, "demo-2M.bin") {
		t.Fatalf("curl digest file %q (%v)", line, err)
	}

	if b, err := command(t, curl, "-sS", "-T", out, url+"demo-2M.bin"); err != nil {
		t.Errorf("curl upload of the same bytes: %v\n%s", err, b)
	}
	got[len(got)/2] ^= 1
	if err := os.WriteFile(out, got, 0o600); err != nil {
		t.Fatal(err)
	}
	// curl exits 71 on an ERROR 0 and does not print its text.
	b, err := command(t, curl, "-sS", "-T", out, url+"demo-2M.bin")
	if code := exitCode(err); code != 71 {
		t.Errorf("curl upload of a corrupted file: exit %d (%v), want 71\n%s", code, err, b)
	}
}

// exitCode returns the exit status of a finished command, 0 for nil and -1
// when it did not run or was killed.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestServeTFTPHPA(t *testing.T) {
	tftp := need(t, "tftp")
	addr := netip.MustParseAddrPort(start(t))
	out := filepath.Join(t.TempDir(), "demo.bin")
	b, err := command(t, tftp, "-m", "binary", addr.Addr().String(), strconv.Itoa(int(addr.Port())), "-c", "get", "demo-300K.bin", out)
	if err != nil {
		t.Fatalf("tftp get: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(want("demo", 300<<10)) {
		t.Fatalf("tftp-hpa got %d bytes whose sha256 differs (%v)", len(got), err)
	}
}

// The 100 MiB file the README advertises, over real UDP with large blocks and
// windows, checked against the digest the server publishes.
func TestServeLargeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("100 MiB transfer skipped in -short mode")
	}
	addr := start(t)
	ctx := context.Background()
	c := &client.TFTP{Addr: addr, BlockSize: 65464, WindowSize: 64, TSize: true}
	line, _, err := c.ReadBytes(ctx, "demo-100M.bin.sha256")
	if err != nil {
		t.Fatal(err)
	}
	if c.Verify, err = client.ParseChecksum(client.SHA256, string(line[:64])); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	res, err := c.ReadTo(ctx, "demo-100M.bin", h)
	if err != nil {
		t.Fatal(err)
	}
	// The digest of the format's definition, computed here.
	exp := sha256.New()
	_, _ = io.CopyN(exp, rand.NewChaCha8(sha256.Sum256([]byte("filemux example demo"))), 100<<20)
	if res.Bytes != 100<<20 || res.WindowSize != 64 || !bytes.Equal(h.Sum(nil), exp.Sum(nil)) {
		t.Fatalf("%d bytes in windows of %d, sha256 %x; want 100 MiB in windows of 64, sha256 %x", res.Bytes, res.WindowSize, h.Sum(nil), exp.Sum(nil))
	}
}
