package peers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// RandomBytes returns n bytes of fresh random data: each call differs, so
// a transfer cannot pass by serving a stale file.
func RandomBytes(n int) []byte {
	var seed [32]byte
	_, _ = rand.Read(seed[:]) // never fails (crypto/rand panics instead)
	b := make([]byte, n)
	_, _ = mrand.NewChaCha8(seed).Read(b)
	return b
}

// RandomFile writes n random bytes to dir/name (mode 0644, readable by
// servers that serve world-readable files only) and returns the path and
// the SHA-256 of the content.
func RandomFile(t testing.TB, dir, name string, n int) (path, sum string) {
	t.Helper()
	b := RandomBytes(n)
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatalf("peers: %v", err)
	}
	// WriteFile's mode is reduced by the umask; the servers need 0644.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatalf("peers: %v", err)
	}
	return path, SHA256(b)
}

// SHA256 returns the hex SHA-256 of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SHA256File returns the hex SHA-256 of the file at path, or "missing: ..."
// when it cannot be read, so that a comparison with a real sum fails with
// the reason in the message.
func SHA256File(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "missing: " + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unreadable: " + err.Error()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ServedDir returns a fresh temporary directory that every server can serve
// and write into (mode 0777: atftpd wants a world-writable root, dnsmasq
// world-readable files).
func ServedDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatalf("peers: %v", err)
	}
	return dir
}
