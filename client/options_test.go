package client_test

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/faultnet"
)

// TestVerify: each digest accepts the right file; a wrong digest fails
// with ErrIntegrity, leaves nothing at the local path, and the server is
// told.
func TestVerify(t *testing.T) {
	h := newHooks()
	root, _, c := dirServer(t, h.option())
	data := randomBytes(20000)
	writeFile(t, root, "fw.bin", data)
	m, s1 := md5.Sum(data), sha1.Sum(data)
	sums := map[client.Algorithm]string{client.MD5: hex.EncodeToString(m[:]), client.SHA1: hex.EncodeToString(s1[:]), client.SHA256: sha(data)}
	dir := t.TempDir()
	for alg, sum := range sums {
		var err error
		if c.Verify, err = client.ParseChecksum(alg, strings.ToUpper(sum)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadFile(context.Background(), "fw.bin", filepath.Join(dir, alg.String())); err != nil {
			t.Fatalf("%v: %v", alg, err)
		}
	}
	c.Verify, _ = client.ParseChecksum(client.SHA256, sha([]byte("something else")))
	bad := filepath.Join(t.TempDir(), "fw.bin")
	_, err := c.ReadFile(context.Background(), "fw.bin", bad)
	var ie *client.IntegrityError
	if !errors.Is(err, client.ErrIntegrity) || !errors.As(err, &ie) || hex.EncodeToString(ie.Got) != sha(data) {
		t.Fatalf("err = %v, want ErrIntegrity with the real digest", err)
	}
	assertAbsent(t, bad)
	// The hooks of back-to-back transfers may come in either order: count.
	successes := 0
	for range len(sums) + 1 {
		if h.next(t).Outcome == daemon.OutcomeSuccess {
			successes++
		}
	}
	if successes != len(sums) {
		t.Errorf("the server counts %d successes, want %d: the refused download must not be one", successes, len(sums))
	}
}

// TestParseChecksum refuses bad hex and wrong lengths.
func TestParseChecksum(t *testing.T) {
	for _, tc := range []struct {
		alg client.Algorithm
		sum string
	}{{client.SHA256, "abc"}, {client.MD5, strings.Repeat("z", 32)}, {client.SHA1, strings.Repeat("a", 32)}, {0, "00"}} {
		if _, err := client.ParseChecksum(tc.alg, tc.sum); err == nil {
			t.Errorf("ParseChecksum(%v, %q) succeeded", tc.alg, tc.sum)
		}
	}
}

// TestMaxSizeAgainstDaemon: with tsize the refusal comes before any data;
// without it, when the stream passes the limit.
func TestMaxSizeAgainstDaemon(t *testing.T) {
	root, _, c := dirServer(t)
	writeFile(t, root, "big", randomBytes(10000))
	c.MaxSize = 4000
	for _, tsize := range []bool{true, false} {
		c.TSize = tsize
		var got int64
		c.Progress = func(p client.Progress) { got = p.Bytes }
		path := filepath.Join(t.TempDir(), "big")
		if _, err := c.ReadFile(context.Background(), "big", path); !errors.Is(err, client.ErrTooLarge) {
			t.Fatalf("tsize %v: err = %v, want ErrTooLarge", tsize, err)
		}
		assertAbsent(t, path)
		if tsize && got != 0 {
			t.Errorf("with tsize %d bytes moved before the refusal", got)
		}
	}
}

// TestProgress: the callback sees the bytes grow to the size, with the
// total when tsize told it.
func TestProgress(t *testing.T) {
	root, _, c := dirServer(t)
	data := randomBytes(50000)
	writeFile(t, root, "f", data)
	for _, tsize := range []bool{true, false} {
		var calls []client.Progress
		c.TSize, c.Progress = tsize, func(p client.Progress) { calls = append(calls, p) }
		if _, _, err := c.ReadBytes(context.Background(), "f"); err != nil {
			t.Fatal(err)
		}
		want := int64(-1)
		if tsize {
			want = int64(len(data))
		}
		checkProgress(t, calls, want, int64(len(data)))
		calls = nil
		if _, err := c.WriteBytes(context.Background(), "g", data); err != nil {
			t.Fatal(err)
		}
		checkProgress(t, calls, int64(len(data)), int64(len(data)))
	}
}

func checkProgress(t *testing.T, calls []client.Progress, total, size int64) {
	t.Helper()
	if len(calls) < 2 {
		t.Fatalf("%d progress calls", len(calls))
	}
	for i, p := range calls {
		if p.Total != total || (i > 0 && p.Bytes < calls[i-1].Bytes) {
			t.Fatalf("call %d: %+v (total want %d)", i, p, total)
		}
	}
	if last := calls[len(calls)-1]; last.Bytes != size || calls[0].Bytes != 0 {
		t.Fatalf("progress from %d to %d, want 0 to %d", calls[0].Bytes, last.Bytes, size)
	}
}

// TestNetascii: line ends become CR LF on the wire and come back as they
// were.
func TestNetascii(t *testing.T) {
	root, _, c := dirServer(t)
	c.Mode = behaviour.Netascii
	text := strings.Repeat("line one\nline two\r\n\n", 100)
	if _, err := c.WriteBytes(context.Background(), "t.txt", []byte(text)); err != nil {
		t.Fatal(err)
	}
	got, res, err := c.ReadBytes(context.Background(), "t.txt")
	if err != nil || string(got) != text || res.Mode != behaviour.Netascii {
		t.Fatalf("netascii round trip: %q, %v", got[:min(40, len(got))], err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "t.txt")); string(b) != text {
		t.Fatalf("the server stored %d bytes, want the %d local ones", len(b), len(text))
	}
}

// TestCustomOptionsSent: extra options go out with the request; our
// daemon does not negotiate them, so none come back.
func TestCustomOptionsSent(t *testing.T) {
	h := newHooks()
	root, _, c := dirServer(t, h.option())
	writeFile(t, root, "f", []byte("x"))
	c.Options = []behaviour.Option{{Name: "token", Value: "abc"}}
	_, res, err := c.ReadBytes(context.Background(), "f")
	if err != nil || res.Options.Has("token") {
		t.Fatalf("res %+v, err %v", res, err)
	}
	req := h.request(t)
	if v, _ := req.Requested.Get("token"); v != "abc" {
		t.Fatal("the daemon did not see token=abc")
	}
}

// TestBadClient: invalid fields fail before anything is sent.
func TestBadClient(t *testing.T) {
	for _, c := range []client.TFTP{
		{},
		{Addr: "127.0.0.1:69", BlockSize: 7},
		{Addr: "127.0.0.1:69", WindowSize: -1},
		{Addr: "127.0.0.1:69", Options: []behaviour.Option{{Name: "BlkSize", Value: "1"}}},
		{Addr: "127.0.0.1:69", Options: []behaviour.Option{{Name: "a", Value: "1"}, {Name: "A", Value: "2"}}},
		{Addr: "127.0.0.1:69", Verify: client.Checksum{Algorithm: client.SHA256, Sum: []byte{1}}},
		{Addr: "127.0.0.1:69", LocalAddr: "nowhere"},
		{Addr: "127.0.0.1:0"},
	} {
		if _, _, err := c.ReadBytes(context.Background(), "f"); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

// TestLocalAddr sends from the configured address and port.
func TestLocalAddr(t *testing.T) {
	h := newHooks()
	root, _, c := dirServer(t, h.option())
	writeFile(t, root, "f", []byte("x"))
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	c.LocalAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if _, _, err := c.ReadBytes(context.Background(), "f"); err != nil {
		t.Fatal(err)
	}
	if s := h.request(t); int(s.Peer.Port()) != port {
		t.Fatalf("the server saw the request from %v, want port %d", s.Peer, port)
	}
}

// TestIPv6 transfers over ::1, with and without brackets in LocalAddr.
func TestIPv6(t *testing.T) {
	if pc, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback here:", err)
	} else {
		pc.Close()
	}
	root, _, c := dirServer(t, func(d *daemon.TFTP) { d.ListenAddr = "[::1]:0" })
	data := randomBytes(3000)
	writeFile(t, root, "f", data)
	c.LocalAddr = "::1"
	got, res, err := c.ReadBytes(context.Background(), "f")
	if err != nil || sha(got) != sha(data) || !strings.HasPrefix(res.Server, "[::1]:") {
		t.Fatalf("res %+v, err %v", res, err)
	}
	if _, err := c.WriteBytes(context.Background(), "g", data); err != nil {
		t.Fatal(err)
	}
}

// TestCancel: cancelling mid-download returns the context's error, leaves
// nothing at the local path and tells the server with an ERROR.
func TestCancel(t *testing.T) {
	h := newHooks()
	root, _, c := dirServer(t, h.option())
	writeFile(t, root, "f", randomBytes(200000))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Progress = func(p client.Progress) {
		if p.Bytes > 50000 {
			cancel()
		}
	}
	path := filepath.Join(t.TempDir(), "f")
	start := time.Now()
	_, err := c.ReadFile(ctx, "f", path)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("cancellation took %v", d)
	}
	assertAbsent(t, path)
	if s := h.next(t); s.Outcome != daemon.OutcomeFailed || !strings.Contains(s.Err.Error(), "cancel") {
		t.Fatalf("the server saw %v (%v), want a failure the client reported", s.Outcome, s.Err)
	}
}

// TestCancelBeforeAnswer: cancelling while the server has not answered
// ends at once.
func TestCancelBeforeAnswer(t *testing.T) {
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	c := &client.TFTP{Addr: silent.LocalAddr().String(), Timeout: 10 * time.Second}
	start := time.Now()
	if _, _, err := c.ReadBytes(ctx, "f"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancellation took %v", d)
	}
}

// TestCancelUpload: the same for an upload, whose local handler is
// aborted once, and whose server hears of it.
func TestCancelUpload(t *testing.T) {
	h := newHooks()
	_, _, c := dirServer(t, h.option())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.Progress = func(p client.Progress) {
		if p.Bytes > 20000 {
			cancel()
		}
	}
	rec := &recorder{Memory: handlers.NewMemory()}
	rec.Put("local", randomBytes(100000))
	if _, err := c.WriteHandler(ctx, "up", "local", rec); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if rec.aborts != 1 {
		t.Fatalf("Abort called %d times", rec.aborts)
	}
	if s := h.next(t); s.Outcome != daemon.OutcomeFailed || !strings.Contains(s.Err.Error(), "cancel") {
		t.Fatalf("the server saw %v (%v), want a failure the client reported", s.Outcome, s.Err)
	}
}

// TestLossyServer: downloads and uploads through a daemon whose every
// datagram may be dropped, duplicated or reordered, with windows.
func TestLossyServer(t *testing.T) {
	root := t.TempDir()
	d, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lossy := faultnet.Wrap(pc, faultnet.Faults{Seed: 7, Drop: 0.03, Duplicate: 0.03, Reorder: 0.03})
	// Loopback is trusted, so that single-port mode grants the windows
	// and the retries this test is about.
	srv := &daemon.TFTP{Handler: d, Ports: daemon.PortsSingle, Timeout: 100 * time.Millisecond, MaxWindowSize: 8, Retries: 20,
		TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	go srv.Serve(lossy)
	t.Cleanup(func() { srv.Close() })
	data := randomBytes(300000)
	writeFile(t, root, "f", data)
	c := &client.TFTP{Addr: pc.LocalAddr().String(), BlockSize: 1024, WindowSize: 8, Timeout: 100 * time.Millisecond, Retries: 20}
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			got, _, err := c.ReadBytes(context.Background(), "f")
			if err != nil || sha(got) != sha(data) {
				t.Errorf("download %d: %d bytes, %v", i, len(got), err)
				return
			}
			if _, err := c.WriteBytes(context.Background(), "up"+strconv.Itoa(i), got); err != nil {
				t.Errorf("upload %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if n := lossy.Counts(); n.Dropped == 0 {
		t.Errorf("no datagram was dropped: %+v", n)
	}
}
