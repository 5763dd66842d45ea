package peers

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestServersServe proves each server starter gives a server that really
// serves: curl fetches a random file by sha256, and uploads one where the
// server accepts uploads.
func TestServersServe(t *testing.T) {
	for _, k := range ServerKinds {
		t.Run(k.String(), func(t *testing.T) {
			Need(t, "curl")
			root := ServedDir(t)
			_, sum := RandomFile(t, root, "file.bin", 100_000)
			s := Serve(t, k, ServerConfig{Root: root, Writable: k.Writable()})
			local := filepath.Join(t.TempDir(), "got.bin")
			if res := Get(t, Curl, Request{Server: s.Addr, Remote: "file.bin", Local: local}); res.Err != nil {
				t.Fatalf("download: %v", res.Err)
			}
			if got := SHA256File(local); got != sum {
				t.Fatalf("download sha256 = %s, want %s", got, sum)
			}
			if !k.Writable() {
				return
			}
			up, upSum := RandomFile(t, t.TempDir(), "up.bin", 70_000)
			if res := Put(t, Curl, Request{Server: s.Addr, Remote: "uploaded.bin", Local: up}); res.Err != nil {
				t.Fatalf("upload: %v", res.Err)
			}
			if got := waitSHA256(filepath.Join(root, "uploaded.bin"), upSum); got != upSum {
				t.Fatalf("uploaded sha256 = %s, want %s", got, upSum)
			}
		})
	}
}

// waitSHA256 waits briefly for an upload to show its full content: some
// servers finish writing after the client has its last ACK.
func waitSHA256(path, want string) string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := SHA256File(path)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServerMissingFile checks that every server answers a missing file
// with ERROR 1 (so probes and error tests can rely on it) and keeps serving.
func TestServerMissingFile(t *testing.T) {
	for _, k := range ServerKinds {
		t.Run(k.String(), func(t *testing.T) {
			Need(t, "curl")
			root := ServedDir(t)
			_, sum := RandomFile(t, root, "there.bin", 600)
			s := Serve(t, k, ServerConfig{Root: root})
			local := filepath.Join(t.TempDir(), "got.bin")
			res := Get(t, Curl, Request{Server: s.Addr, Remote: "not-there.bin", Local: local})
			if res.Err == nil || res.Code != 1 {
				t.Fatalf("missing file: code %d (exit %d, err %v), want code 1", res.Code, res.Exit, res.Err)
			}
			if res := Get(t, Curl, Request{Server: s.Addr, Remote: "there.bin", Local: local}); res.Err != nil {
				t.Fatalf("after the error: %v", res.Err)
			}
			if got := SHA256File(local); got != sum {
				t.Fatalf("sha256 = %s, want %s", got, sum)
			}
		})
	}
}

// TestServerCloseStopsProcessGroup checks that Close leaves no process of
// the server behind, including tftpd-hpa's per-transfer children.
func TestServerCloseStopsProcessGroup(t *testing.T) {
	Need(t, TFTPDHPA.Programs()...)
	s, err := StartServer(context.Background(), TFTPDHPA, ServerConfig{Root: ServedDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	if err := syscall.Kill(-pid, 0); err != nil {
		t.Fatalf("process group %d not running before Close: %v", pid, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if groupAlive(pid) {
		t.Fatalf("process group %d still running after Close", pid)
	}
	if !s.Exited() {
		t.Fatal("Exited() = false after Close")
	}
}

// TestStartServerRefusesBadConfig checks the errors that need no program.
func TestStartServerRefusesBadConfig(t *testing.T) {
	if _, err := StartServer(context.Background(), TFTPDHPA, ServerConfig{}); err == nil {
		t.Error("no root: no error")
	}
	if _, err := StartServer(context.Background(), Dnsmasq, ServerConfig{Root: t.TempDir(), Writable: true}); err == nil {
		t.Error("writable dnsmasq: no error")
	}
}

// TestDnsmasqGetsOwnAddress checks that two dnsmasq servers can run at once,
// each on port 69 of its own loopback address.
func TestDnsmasqGetsOwnAddress(t *testing.T) {
	root := ServedDir(t)
	a := Serve(t, Dnsmasq, ServerConfig{Root: root})
	b := Serve(t, Dnsmasq, ServerConfig{Root: root})
	if a.Addr == b.Addr || a.Addr.Port() != 69 || b.Addr.Port() != 69 {
		t.Fatalf("addresses %v and %v, want two distinct 127.0.0.X:69", a.Addr, b.Addr)
	}
}

func TestMain(m *testing.M) {
	// The servers run as root in CI; a umask that hides files from them
	// would fail the tests for the wrong reason.
	syscall.Umask(0o022)
	os.Exit(m.Run())
}
